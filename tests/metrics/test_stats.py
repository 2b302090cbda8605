"""Per-sentence statistics (`sentence_stats`) and `aggregate`: the corpus numbers back exactly, and B
resampled corpus scores at once that equal scoring each resampled corpus on its own."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from wa_hub import m2 as codec
from wa_hub.fileio import read_lines
from wa_hub.metrics import errant, get_metric, gleu, m2, sari
from wa_hub.metrics._common import transpose
from wa_hub.metrics.gleu import _corpus_gleu
from wa_hub.metrics.m2 import read_m2_blocks
from wa_hub.metrics.stats import SentenceStats


def resamples(n: int, b: int, seed: int = 0) -> np.ndarray:
    """(b, n) row multiplicities of b bootstrap resamples."""
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)])


def expand(row: np.ndarray, *columns: Sequence) -> list[list]:
    """The resampled corpus a weight row stands for: sentence i repeated row[i] times, in sentence order."""
    picks = [i for i, k in enumerate(row) for _ in range(int(k))]
    return [[col[i] for i in picks] for col in columns]


def one_hot(n: int, i: int) -> np.ndarray:
    w = np.zeros((1, n))
    w[0, i] = 1
    return w


def f05(c: int, p: int, g: int) -> float:
    """The official corpus F0.5 of counts (0-100), written out."""
    prec, rec = (c / p if p else 1.0), (c / g if g else 1.0)
    return 100 * 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec else 0.0


def perturb(sentence: str, i: int) -> str:
    tokens = sentence.split()
    rng = random.Random(i)
    if i % 3 == 0 and len(tokens) > 2:
        k = rng.randrange(len(tokens))
        tokens[k] = "the" if tokens[k] != "the" else "a"
    if i % 5 == 0 and tokens:
        del tokens[rng.randrange(len(tokens))]
    return " ".join(tokens)


def single_annotator(blocks: Sequence[str], annotator: int = 0) -> list[str]:
    """The gold blocks with only one annotator's edits (no annotator choice to make)."""
    out = []
    for text in blocks:
        b = codec.parse_block(text)
        out.append(codec.format_block(codec.Block(b.source, b.edits_of(annotator))))
    return out


@pytest.fixture(scope="module")
def conll14(test_data: Path) -> tuple[list[str], list[str]]:
    blocks = read_m2_blocks(test_data / "conll14" / "official-2014.combined.m2")
    hyps = [perturb(codec.apply_edits(codec.parse_block(b), i % 2), i) for i, b in enumerate(blocks)]
    return blocks, hyps


@pytest.fixture(scope="module")
def jfleg(test_data: Path) -> tuple[list[str], list[list[str]], list[str]]:
    d = test_data / "jfleg" / "test"
    src = read_lines(d / "test.src")
    refs = transpose([read_lines(d / f"test.ref{i}") for i in range(4)])
    return src, refs, [perturb(r[0], i) for i, r in enumerate(refs)]


@pytest.fixture(scope="module")
def asset(test_data: Path) -> tuple[list[str], list[list[str]], list[str]]:
    src = read_lines(test_data / "asset" / "asset.test.orig")
    refs = transpose([read_lines(test_data / f"asset/asset.test.simp.{i}") for i in range(10)])
    return src, refs, [perturb(r[1], i) for i, r in enumerate(refs)]


# --- aggregate() is the corpus metric, number for number ---


@pytest.mark.conformance
def test_m2_stats_give_the_corpus_result(conll14: tuple[list[str], list[str]]) -> None:
    blocks, hyps = conll14
    spec = get_metric("m2")
    stats = spec.sentence_stats(hyps, blocks)
    result = spec.aggregate(stats)
    assert result == m2(hyps, blocks)
    assert stats.n == 1312 and result.counts == {k: int(stats.arrays[k].sum()) for k in result.counts}
    assert (stats.arrays["correct"] <= stats.arrays["proposed"]).all()
    # all ones: the corpus F0.5; a one-hot row: that sentence's own counts in it
    assert spec.aggregate(stats, np.ones((1, stats.n)))[0] == result.score
    i = int(np.argmax(stats.arrays["proposed"] > stats.arrays["correct"]))
    c, p, g = (int(stats.arrays[k][i]) for k in ("correct", "proposed", "gold"))
    assert spec.aggregate(stats, one_hot(stats.n, i))[0] == pytest.approx(f05(c, p, g), rel=1e-12)


@pytest.mark.conformance
def test_gleu_stats_give_the_corpus_result(jfleg: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, hyps = jfleg
    spec = get_metric("gleu")
    stats = spec.sentence_stats(src, refs, hyps)
    result = spec.aggregate(stats)
    assert result == gleu(src, refs, hyps)
    assert stats.arrays["stats"].shape == (4 * len(src), 10) and stats.arrays["draws"].shape == (
        500,
        len(src),
    )
    assert spec.aggregate(stats, np.ones((2, stats.n))) == pytest.approx([result.score] * 2, rel=1e-12)
    # the first sentence alone draws as the official script would for a one-sentence corpus
    assert spec.aggregate(stats, one_hot(stats.n, 0))[0] == pytest.approx(
        gleu(src[:1], refs[:1], hyps[:1]).score, rel=1e-12
    )


@pytest.mark.conformance
def test_sari_stats_give_the_corpus_result(asset: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, hyps = asset
    for deletion in ("f1", "precision"):
        spec = get_metric("sari")
        stats = spec.sentence_stats(src, refs, hyps, deletion=deletion)  # type: ignore[arg-type]
        result = spec.aggregate(stats)
        assert result == sari(src, refs, hyps, deletion=deletion)  # type: ignore[arg-type]
        assert spec.aggregate(stats, np.ones((1, stats.n)))[0] == pytest.approx(result.score, rel=1e-12)
    # one-hot rows are the sentences' own SARI
    for i in (0, 7, 123, len(src) - 1):
        alone = sari(src[i : i + 1], refs[i : i + 1], hyps[i : i + 1], deletion="precision").score
        assert spec.aggregate(stats, one_hot(stats.n, i))[0] == pytest.approx(alone, rel=1e-12)


@pytest.mark.conformance
def test_errant_stats_give_the_corpus_result(conll14: tuple[list[str], list[str]]) -> None:
    blocks, hyps = conll14[0][200:260], conll14[1][200:260]
    spec = get_metric("errant")
    stats = spec.sentence_stats(hyps, blocks)
    result = spec.aggregate(stats)
    assert result == errant(hyps, blocks)
    assert result.categories and stats.arrays["categories"].shape == (60, len(stats.labels), 3)
    assert spec.aggregate(stats, np.ones((1, 60)))[0] == result.score
    # with one annotator there is no choice to make: one-hot rows are the sentences alone
    single = single_annotator(blocks)
    one = spec.sentence_stats(hyps, single)
    for i in (0, 3, 11, 42):
        alone = errant(hyps[i : i + 1], single[i : i + 1])
        assert spec.aggregate(one, one_hot(60, i))[0] == alone.score
        assert {k: int(one.arrays[k][i]) for k in ("tp", "fp", "fn")} == alone.counts


# --- B resampled scores at once == each resampled corpus scored on its own ---


@pytest.mark.conformance
def test_sari_resamples_equal_scoring_each(asset: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, hyps = (x[:150] for x in asset)
    stats = get_metric("sari").sentence_stats(src, refs, hyps)
    w = resamples(150, 4)
    got = get_metric("sari").aggregate(stats, w)
    assert got.shape == (4,)
    for row, score in zip(w, got, strict=True):
        assert score == pytest.approx(sari(*expand(row, src, refs, hyps)).score, rel=1e-12)


@pytest.mark.conformance
def test_gleu_resamples_equal_scoring_each(jfleg: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, hyps = (x[:200] for x in jfleg)
    w = resamples(200, 3, seed=1)
    # one reference per sentence: every draw takes it, so each resample is a corpus the official script scores
    single = [[r[0]] for r in refs]
    stats = get_metric("gleu").sentence_stats(src, single, hyps, iterations=50)
    got = get_metric("gleu").aggregate(stats, w)
    for row, score in zip(w, got, strict=True):
        s, r, h = expand(row, src, single, hyps)
        assert score == pytest.approx(gleu(s, r, h, iterations=50).score, rel=1e-12)
    # four references: each sentence keeps its own 500 draws in every resample (a slow loop over rows)
    stats = get_metric("gleu").sentence_stats(src, refs, hyps)
    got = get_metric("gleu").aggregate(stats, w)
    a = stats.arrays
    for row, score in zip(w, got, strict=True):
        per_iteration = []
        for draws in a["draws"]:
            totals = [0] * 10
            for i, k in enumerate(row):
                for t, x in enumerate(a["stats"][a["start"][i] + draws[i]]):
                    totals[t] += int(k) * int(x)
            per_iteration.append(_corpus_gleu(totals))
        assert score == pytest.approx(100 * math.fsum(per_iteration) / 500, rel=1e-12)


@pytest.mark.conformance
def test_m2_resamples_equal_scoring_each(conll14: tuple[list[str], list[str]]) -> None:
    blocks, hyps = conll14[0][:120], conll14[1][:120]
    w = resamples(120, 3, seed=2)
    spec = get_metric("m2")
    # with one annotator, a resample scored on its own makes the same choices
    single = single_annotator(blocks, 1)
    got = spec.aggregate(spec.sentence_stats(hyps, single), w)
    for row, score in zip(w, got, strict=True):
        assert score == m2(*expand(row, hyps, single)).score
    # with two, the counts each sentence was scored with are re-summed (a slow loop over rows)
    stats = spec.sentence_stats(hyps, blocks)
    got = spec.aggregate(stats, w)
    for row, score in zip(w, got, strict=True):
        c, p, g = (
            sum(int(k) * int(x) for k, x in zip(row, stats.arrays[f], strict=True)) for f in stats.arrays
        )
        assert score == pytest.approx(f05(c, p, g), rel=1e-12)


def test_errant_resamples_equal_scoring_each() -> None:
    gold = [
        "S This are a sentence .\nA 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0",
        "S He go to school yesterday .\nA 1 2|||R:VERB:TENSE|||went|||REQUIRED|||-NONE-|||0",
        "S Nothing is wrong here .\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0",
        "S I like the apple .\nA 3 4|||R:NOUN:NUM|||apples|||REQUIRED|||-NONE-|||0",
    ]
    hyps = ["This is sentence .", "He went to school .", "Nothing is wrong here !", "I like apples ."]
    spec = get_metric("errant")
    stats = spec.sentence_stats(hyps, gold)
    w = np.array([[2, 0, 1, 1], [0, 0, 4, 0], [1, 1, 1, 1], [0, 3, 0, 1]])
    got = spec.aggregate(stats, w)
    for row, score in zip(w, got, strict=True):
        assert score == errant(*expand(row, hyps, gold)).score
    for i in range(4):
        assert spec.aggregate(stats, one_hot(4, i))[0] == errant(hyps[i : i + 1], gold[i : i + 1]).score


def test_m2_one_hot_rows_are_single_sentences() -> None:
    gold = [
        "S He go to school .\nA 1 2|||Vform|||goes|||REQUIRED|||-NONE-|||0",
        "S She like cats .\nA 1 2|||SVA|||likes|||REQUIRED|||-NONE-|||0",
        "S It is ok .",
    ]
    hyps = ["He goes to school .", "She liked cats .", "It is fine ."]
    stats = get_metric("m2").sentence_stats(hyps, gold)
    assert stats.arrays["correct"].tolist() == [1, 0, 0] and stats.arrays["proposed"].tolist() == [1, 1, 1]
    for i in range(3):
        assert (
            get_metric("m2").aggregate(stats, one_hot(3, i))[0] == m2(hyps[i : i + 1], gold[i : i + 1]).score
        )


def test_weights_are_checked() -> None:
    stats = get_metric("sari").sentence_stats(["a b"], [["a"]], ["a"])
    assert isinstance(stats, SentenceStats)
    for bad, message in (
        (np.ones(1), r"shape \(B, 1\)"),
        (np.ones((2, 3)), r"shape \(B, 1\)"),
        (-np.ones((1, 1)), "non-negative"),
        (np.full((1, 1), np.nan), "finite"),
    ):
        with pytest.raises(ValueError, match=message):
            get_metric("sari").aggregate(stats, bad)
    # a row of zeros is an empty corpus, not an error
    assert get_metric("sari").aggregate(stats, np.zeros((1, 1)))[0] == 0.0
