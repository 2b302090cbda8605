"""Paired bootstrap comparisons and confidence intervals (wa_hub.compare, wa_hub.significance).

Checked against what they must give (a run against itself, references against the source), against
sacrebleu's own paired bootstrap on BLEU, and against a slow reference implementation that re-scores every
resample with the corpus metric functions.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from wa_hub import compare, metrics, significance
from wa_hub import m2 as codec
from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.schema import Results, load_model_file
from wa_hub.study import BENCH_SETS


def path_of(results: Results) -> Path:
    assert results.predictions is not None
    return Path(results.predictions).parent / "results.json"


@pytest.fixture(scope="module")
def scored(reference_results: Results, source_results: Results) -> dict[str, dict[str, compare.ScoredSet]]:
    r = compare.Rescorer()
    return {
        "references": r.scored_sets(reference_results, path_of(reference_results)),
        "source": r.scored_sets(source_results, path_of(source_results)),
    }


def test_rescoring_gives_the_recorded_scores(scored: dict[str, dict[str, compare.ScoredSet]]) -> None:
    for sets in scored.values():
        assert [s.config for s in sets.values()] == [s.config for s in BENCH_SETS]
        assert not compare.mismatches("run", sets)
        for s in sets.values():
            assert s.score == pytest.approx(s.recorded, abs=1e-9)


def test_a_run_against_itself_differs_by_zero_with_p_one(scored: dict) -> None:
    c = compare.compare(scored["references"], scored["references"], ("r", "r"))
    assert [d.name for d in c.differences] == [s.config for s in BENCH_SETS] + ["average"]
    for d in c.differences:
        assert d.diff.value == 0 and d.diff.low == 0 and d.diff.high == 0
        assert d.p == 1.0
        assert not d.significant
    assert c.better() == [] and c.worse() == []


def test_references_beat_the_source_on_every_set(scored: dict) -> None:
    c = compare.compare(scored["source"], scored["references"], ("source", "references"))
    for d in c.differences:
        assert d.p < 0.01, d
        assert d.diff.low <= d.diff.value <= d.diff.high
        assert d.diff.high < 0 or d.diff.low > 0
    assert c.better() == [s.config for s in BENCH_SETS] + ["average"]
    flipped = compare.compare(scored["references"], scored["source"], ("references", "source"))
    assert flipped.worse() == c.better()
    assert [d.p for d in flipped.differences] == [d.p for d in c.differences]


def test_same_seed_same_numbers_other_seed_other_draws(scored: dict) -> None:
    a = compare.compare(scored["source"], scored["references"], resamples=200, seed=3)
    b = compare.compare(scored["source"], scored["references"], resamples=200, seed=3)
    c = compare.compare(scored["source"], scored["references"], resamples=200, seed=4)
    assert a == b
    assert [d.diff.low for d in a.differences] != [d.diff.low for d in c.differences]


def test_intervals_cover_the_scores(scored: dict) -> None:
    cis = compare.intervals(scored["source"])
    assert set(cis) == {s.config for s in BENCH_SETS} | {"average"}
    for name, ci in cis.items():
        assert ci.low <= ci.value <= ci.high, name
    assert cis["average"].value == pytest.approx(np.mean([s.score for s in scored["source"].values()]))


# --- against sacrebleu and a slow reference -------------------------------------------------------------


def _noisy(sentences: list[str], rate: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for s in sentences:
        tokens = s.split()
        tokens = [t if rng.random() > rate else rng.choice(["the", "a", "of", "very"]) for t in tokens]
        out.append(" ".join(tokens))
    return out


def test_resampling_is_sacrebleus_paired_bootstrap_on_bleu() -> None:
    """The same seed draws sacrebleu's very resamples: the resampled BLEU scores, their mean and 95% CI are
    sacrebleu's `paired_bs` numbers."""
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import Result, _paired_bs_test

    rng = random.Random(0)
    words = [
        "the",
        "cat",
        "sat",
        "on",
        "a",
        "mat",
        "while",
        "dogs",
        "ran",
        "in",
        "parks",
        "near",
        "old",
        "houses",
    ]
    refs = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 15))) for _ in range(120)]
    base, system = _noisy(refs, 0.5, 1), _noisy(refs, 0.3, 2)
    bleu = BLEU()
    base_stats = bleu._extract_corpus_statistics(base, [refs])
    info = {"BLEU": (base_stats, Result(bleu.corpus_score(base, [refs]).score))}
    _, got = _paired_bs_test(info, "sys", system, [refs], {"BLEU": bleu}, n_samples=500, seed=12345)

    stats = np.array(bleu._extract_corpus_statistics(system, [refs]), dtype=np.float64)
    w = significance.resample_weights(len(stats), 500, np.random.default_rng(12345))
    samples = np.array([bleu._compute_score_from_stats(list(row)).score for row in w @ stats])
    ours = significance.interval(float(np.mean(samples)), samples)
    assert got["BLEU"].mean == pytest.approx(ours.value, abs=1e-4)
    # sacrebleu's CI is half the width of its 95% interval (order statistics n // 40 from each end).
    ordered = np.sort(samples)
    assert got["BLEU"].ci == pytest.approx((ordered[500 - 500 // 40 - 1] - ordered[500 // 40]) / 2, abs=1e-4)
    assert ours.half_width == pytest.approx(got["BLEU"].ci, rel=0.05)


def slow_bootstrap(metric: str, inputs: dict, hyps_a: list[str], hyps_b: list[str], rng, resamples: int):
    """Koehn's procedure literally: draw sentence indices, re-score both corpora with the metric function."""
    diffs = []
    n = len(hyps_a)
    for _ in range(resamples):
        idx = rng.choice(n, size=n, replace=True)
        part = {k: [v[i] for i in idx] for k, v in inputs.items()}
        a = metrics.score(metric, hypotheses=[hyps_a[i] for i in idx], **part).score
        b = metrics.score(metric, hypotheses=[hyps_b[i] for i in idx], **part).score
        diffs.append(b - a)
    return np.array(diffs)


def _scored(config: str, metric: str, inputs: dict, hyps: list[str]) -> compare.ScoredSet:
    stats = metrics.sentence_stats(metric, hypotheses=hyps, **inputs)
    score = metrics.get_metric(metric).aggregate(stats).score
    ids = tuple(str(i) for i in range(len(hyps)))
    return compare.ScoredSet(config, ids, ids, tuple(hyps), stats, score, score, len(hyps))


def _asset(test_data: Path, n: int) -> tuple[list[str], list[list[str]]]:
    from wa_hub.fileio import read_lines

    src = read_lines(test_data / "asset/asset.test.orig")[:n]
    refs = [read_lines(test_data / f"asset/asset.test.simp.{k}")[:n] for k in range(10)]
    return src, [list(r) for r in zip(*refs, strict=True)]


@pytest.mark.conformance
def test_vectorised_sari_bootstrap_is_the_slow_one(test_data: Path) -> None:
    src, refs = _asset(test_data, 25)
    refs = [r[:4] for r in refs]
    inputs = {"sources": src, "references": refs}
    a, b = src, [r[0] for r in refs]
    b = _noisy(b, 0.2, 5)
    c = compare.compare(
        {"asset": _scored("asset", "sari", inputs, a)},
        {"asset": _scored("asset", "sari", inputs, b)},
        resamples=100,
        seed=7,
    )
    d = c.differences[0]
    slow = slow_bootstrap("sari", inputs, a, b, significance.set_rng(7, "asset"), 100)
    # The same draws: the same resampled differences, so the same interval and p-value.
    assert d.diff.low == pytest.approx(np.quantile(slow, 0.025), abs=1e-9)
    assert d.diff.high == pytest.approx(np.quantile(slow, 0.975), abs=1e-9)
    assert d.p == significance.p_value(d.diff.value, slow)
    # Other draws: the same within Monte Carlo error.
    other = slow_bootstrap("sari", inputs, a, b, np.random.default_rng(99), 100)
    assert abs(np.std(other, ddof=1) - d.diff.se) < 0.3 * d.diff.se


def test_vectorised_m2_bootstrap_is_the_slow_one() -> None:
    """Single-annotator blocks (the annotator choice is then fixed): re-summed counts are the M2 scorer's."""
    rng = random.Random(1)
    gold, hyps_a, hyps_b = [], [], []
    for i in range(40):
        tokens = [rng.choice(["he", "go", "to", "school", "the", "a", "cat"]) for _ in range(6)]
        k = rng.randrange(6)
        gold.append(f"S {' '.join(tokens)}\nA {k} {k + 1}|||R:OTHER|||fix{i}|||REQUIRED|||-NONE-|||0")
        corrected = tokens[:k] + [f"fix{i}"] + tokens[k + 1 :]
        hyps_a.append(" ".join(tokens if i % 2 else corrected))
        hyps_b.append(" ".join(corrected if i % 3 else tokens[:-1]))
    inputs = {"gold_m2": gold}
    c = compare.compare(
        {"conll14": _scored("conll14", "m2", inputs, hyps_a)},
        {"conll14": _scored("conll14", "m2", inputs, hyps_b)},
        resamples=300,
        seed=1,
    )
    d = c.differences[0]
    slow = slow_bootstrap("m2", inputs, hyps_a, hyps_b, significance.set_rng(1, "conll14"), 300)
    assert d.diff.low == pytest.approx(np.quantile(slow, 0.025), abs=1e-9)
    assert d.diff.high == pytest.approx(np.quantile(slow, 0.975), abs=1e-9)
    assert d.p == significance.p_value(d.diff.value, slow)


@pytest.mark.conformance
def test_ci_of_corpus_m2_on_conll14_covers_the_full_data_score(test_data: Path) -> None:
    blocks = [codec.format_block(b) for b in codec.read_m2(test_data / "conll14/official-2014.combined.m2")]
    hyps = _noisy([codec.apply_edits(codec.parse_block(b), 0) for b in blocks], 0.05, 3)
    s = _scored("conll14", "m2", {"gold_m2": blocks}, hyps)
    assert s.score == pytest.approx(metrics.m2(hyps, blocks).score)
    ci = compare.intervals({"conll14": s})["conll14"]
    assert ci.low < s.score < ci.high
    assert 0.5 < ci.half_width < 10  # 1,312 sentences: a few points, not zero, not everything


def test_min_detectable_difference() -> None:
    assert significance.min_detectable(1.0) == pytest.approx(1.959964 + 0.841621, abs=1e-5)
    assert significance.min_detectable(0.0) == 0.0
    assert significance.p_value(0.0, np.zeros(99)) == 1.0
    assert significance.p_value(5.0, np.full(99, 5.0)) == pytest.approx(1 / 100)


# --- the command --------------------------------------------------------------------------------------------


def test_report_compare_and_ci_command(reference_results: Results, source_results: Results) -> None:
    a, b = path_of(source_results), path_of(reference_results)
    res = CliRunner().invoke(app, ["report", str(a), str(b), "--compare", "--ci", "--resamples", "200"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "±" in out and "paired bootstrap over sentences, 200 resamples" in out
    lines = [line for line in out.splitlines() if line.startswith(("CoNLL ", "Avg "))]
    assert len(lines) == 2 and all("references better" in line for line in lines)
    csv = CliRunner().invoke(app, ["report", str(a), str(b), "--compare", "--format", "csv"])
    assert csv.exit_code == 0
    assert "Set,n,A,B,B-A,95% CI,p,verdict" in csv.output


def test_report_compare_needs_two_runs_and_predictions(reference_results: Results, tmp_path: Path) -> None:
    a = path_of(reference_results)
    res = CliRunner().invoke(app, ["report", str(a), "--compare"])
    assert res.exit_code == 2 and "at least two" in res.output
    moved = load_model_file(a, Results).model_copy(update={"predictions": str(tmp_path / "gone")})
    with pytest.raises(UsageError, match="predictions folder is not there"):
        compare.Rescorer().scored_sets(moved, tmp_path / "results.json")
