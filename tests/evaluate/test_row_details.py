"""Per-row details in predictions/<set>.jsonl, and `evaluate --rescore` from them (no model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_tokenize_sets import ordinary_text_run
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.evaluate import clean_prediction, evaluate
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.rescore import rescore
from wa_hub.metrics import get_metric
from wa_hub.schema import EvalSettings, PredictionRow, Results
from wa_hub.study import BENCH_SETS


def rows_of(pred_dir: Path, config: str) -> list[PredictionRow]:
    path = pred_mod.set_file(pred_dir, config)
    return [PredictionRow.model_validate_json(line) for line in path.read_text().splitlines()]


def test_each_row_keeps_the_raw_output_the_scored_hypothesis_and_its_own_score(
    bench_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run" / "results.json"
    res = evaluate(EvalSettings(model="tiny:llama", bench=str(bench_dir), out=out, limit=3, batch_size=3,
                                max_new_tokens=6))  # fmt: skip
    assert res is not None
    for s in BENCH_SETS:
        rows, entry = rows_of(out.parent / "predictions", s.config), res.sets[s.config]
        assert len(rows) == 3
        for r in rows:
            assert r.raw is not None and r.prediction == clean_prediction(r.raw)
            assert r.hypothesis is not None and r.score is not None and 0 <= r.score <= 100
        if get_metric(s.metric).inputs == "m2":  # edit counts, summing to the corpus counts
            for key, total in entry.counts.items():
                assert sum(r.counts[key] for r in rows if r.counts) == total, (s.config, key)
        else:
            assert all(r.counts is None for r in rows)
        if entry.tokenize == "none":
            assert all(r.hypothesis == r.prediction for r in rows)


def test_a_perfect_row_scores_100_and_the_source_copied_scores_its_misses(
    bench_dir: Path, tmp_path: Path
) -> None:
    kw: dict[str, Any] = {"sets": "conll14,bea19"}
    evaluate(EvalSettings(model="-", bench=str(bench_dir), out=tmp_path / "r" / "results.json",
                          predictions_from="references", **kw))  # fmt: skip
    evaluate(EvalSettings(model="-", bench=str(bench_dir), out=tmp_path / "s" / "results.json",
                          predictions_from="source", **kw))  # fmt: skip
    for config in ("conll14", "bea19"):
        perfect = rows_of(tmp_path / "r" / "predictions", config)
        copied = rows_of(tmp_path / "s" / "predictions", config)
        assert all(r.score == 100.0 and r.raw is None for r in perfect)
        for r in copied:
            assert r.counts is not None and r.score is not None
            proposed = r.counts.get("proposed", r.counts.get("tp", 0) + r.counts.get("fp", 0))
            gold = r.counts.get("gold", r.counts.get("tp", 0) + r.counts.get("fn", 0))
            assert proposed == 0 and r.score == (100.0 if gold == 0 else 0.0)


def test_rescore_with_another_tokenize_needs_no_model(
    bench_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plain" / "results.json"
    as_is = ordinary_text_run(bench_dir, out, tokenize="none")
    auto = ordinary_text_run(bench_dir, tmp_path / "auto" / "results.json")

    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("rescore loaded a model")

    monkeypatch.setattr("wa_hub.evaluate.run.load_model", no_model)
    again = rescore(out)  # each set's own setting: auto for the tokenized golds
    assert Results.model_validate_json(out.read_text()) == again
    for s in BENCH_SETS:
        new, old = again.sets[s.config], as_is.sets[s.config]
        assert new.score == auto.sets[s.config].score and new.tokenize == auto.sets[s.config].tokenize
        assert new.generated == 0 and new.reused == new.n == old.n
    assert again.model == as_is.model and again.decoding == as_is.decoding and again.complete
    hyps = {r.id: r.hypothesis for r in rows_of(out.parent / "predictions", "conll14")}
    assert hyps == {r.id: r.hypothesis for r in rows_of(tmp_path / "auto" / "predictions", "conll14")}

    # elsewhere: the predictions are copied beside the new results; nothing is replaced without asking
    other = tmp_path / "other" / "results.json"
    back = rescore(out, tokenize="none", out=other)
    assert back.sets["conll14"].score == as_is.sets["conll14"].score
    assert (other.parent / "predictions" / "meta.json").is_file()
    assert rows_of(out.parent / "predictions", "conll14")[0].hypothesis == hyps[next(iter(hyps))]
    with pytest.raises(UsageError, match="already exists; pass --overwrite"):
        rescore(out, out=other)
    assert rescore(out, out=other, overwrite=True).sets["conll14"].tokenize == "auto"


def test_rescore_refuses_a_changed_benchmark_and_a_folder_without_predictions(
    bench_dir: Path, tmp_path: Path
) -> None:
    bench = tmp_path / "bench"
    shutil.copytree(bench_dir, bench)
    out = tmp_path / "run" / "results.json"
    evaluate(EvalSettings(model="-", bench=str(bench), out=out, predictions_from="references", sets="sts"))
    parquet = next((bench / "data" / "sts").glob("*.parquet"))
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    with pytest.raises(UsageError, match="no longer holds the data these predictions were scored on"):
        rescore(out)
    lone = tmp_path / "lone" / "results.json"
    lone.parent.mkdir()
    lone.write_text(out.read_text().replace(str(out.parent), str(tmp_path / "nowhere")))
    with pytest.raises(UsageError, match="no predictions/"):
        rescore(lone)


def test_cli_rescore(bench_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run" / "results.json"
    evaluate(
        EvalSettings(model="-", bench=str(bench_dir), out=out, predictions_from="references", sets="jfleg")
    )
    runner = CliRunner()
    r = runner.invoke(app, ["evaluate", "--rescore", str(out), "--tokenize", "none"])
    assert r.exit_code == 0, r.output
    assert "JFL" in r.output and json.loads(out.read_text())["sets"]["jfleg"]["tokenize"] == "none"
    r = runner.invoke(app, ["evaluate", "tiny:llama", "--rescore", str(out)])
    assert r.exit_code == 2 and "leave out MODEL and --bench" in r.output
    r = runner.invoke(app, ["evaluate", "tiny:llama"])
    assert r.exit_code == 2 and "give MODEL and --bench" in r.output


def test_a_prediction_over_the_m2_limit_names_its_row(bench_dir: Path, tmp_path: Path) -> None:
    from wa_hub.evaluate.bench import load_set
    from wa_hub.evaluate.run import predictions_meta
    from wa_hub.schema import write_model

    settings = EvalSettings(model="-", bench=str(bench_dir), out=tmp_path / "results.json",
                            predictions_from="source", sets="conll14")  # fmt: skip
    (tmp_path / "predictions").mkdir()
    write_model(tmp_path / "predictions" / "meta.json", predictions_meta(settings))
    rows = load_set(str(bench_dir), "conll14")
    long = [PredictionRow(id=rows[0].id, prediction=" ".join(["word"] * 600))]
    pred_mod.append(pred_mod.set_file(tmp_path / "predictions", "conll14"), long)
    with pytest.raises(UsageError, match=f"conll14 row {rows[0].id}: m2: sentence 1 has a hypothesis of 600"):
        evaluate(settings)
