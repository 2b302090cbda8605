"""`evaluate` end to end on a benchmark folder in the contract layout: scores, results.json, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.evaluate import evaluate, greedy
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.bench import load_set
from wa_hub.m2 import apply_edits, parse_block
from wa_hub.schema import EvalSettings, Results, load_model_file
from wa_hub.study import BENCH_SETS

ALL = [s.config for s in BENCH_SETS]
CHEAP = "jfleg,itr-f,wnc,sts"  # sets whose metrics need no spaCy (fast resume tests)


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_apply_m2_edits() -> None:
    block = (
        "S The patient have a right to know the result of the test .\n"
        "A 2 3|||SVA|||has|||REQUIRED|||-NONE-|||0\n"
        "A 8 9|||Nn|||results|||REQUIRED|||-NONE-|||1\n"
        "A 7 7|||ArtOrDet|||the|||REQUIRED|||-NONE-|||1"
    )
    assert apply_edits(parse_block(block)) == "The patient has a right to know the result of the test ."
    assert (
        apply_edits(parse_block(block), 1) == "The patient have a right to know the the results of the test ."
    )
    assert apply_edits(parse_block("S a b c\nA 1 2|||U:NOUN||||||REQUIRED|||-NONE-|||0")) == "a c"


def run(model: str, bench: Path, out: Path, **kw: Any) -> Results:
    res = evaluate(EvalSettings(model=model, bench=str(bench), out=out, **kw))
    assert res is not None
    return res


def test_tiny_model_on_every_set(bench_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run" / "results.json"
    res = run("tiny:llama", bench_dir, out, limit=2, batch_size=2, max_new_tokens=6)
    assert load_model_file(out, Results) == res
    assert list(res.sets) == ALL
    for spec in BENCH_SETS:
        s = res.sets[spec.config]
        assert s.metric == spec.metric and s.n == 2 and s.generated == 2
        assert 0 <= s.score <= 100 and s.seconds >= 0
        if spec.metric in ("m2", "errant"):
            assert s.precision is not None and s.recall is not None and s.score == s.f_beta and s.beta == 0.5
        preds = read_jsonl(tmp_path / "run" / "predictions" / f"{spec.config}.jsonl")
        assert [p["id"] for p in preds] == [r.id for r in load_set(str(bench_dir), spec.config)[:2]]
        assert all("\n" not in p["prediction"] for p in preds)
    assert res.complete is False and res.average is None  # --limit cut every set: no "All" average
    assert all(res.sets[c].rows == 8 for c in ALL)
    assert res.model.source == "tiny:llama" and res.model.adapter is None
    assert res.bench.path_or_id == str(bench_dir.resolve()) and res.bench.data_sha256
    assert res.decoding.name == "greedy" and res.decoding.max_new_tokens == 6
    assert res.decoding.engine == "rolling"
    assert res.versions["transformers"] and res.wa_hub_version


def test_engine_batches_gives_the_same_predictions(bench_dir: Path, tmp_path: Path) -> None:
    """`--engine batches` (generate() per batch, the old path) and the rolling default agree on the tiny
    model when each row has the same length budget (a fixed --max-new-tokens)."""
    kw: dict[str, Any] = {"sets": "jfleg,wnc", "limit": 5, "batch_size": 2, "max_new_tokens": 6}
    rolling = run("tiny:llama", bench_dir, tmp_path / "a" / "results.json", **kw)
    r = CliRunner().invoke(
        app,
        ["evaluate", "tiny:llama", "--bench", str(bench_dir), "--sets", "jfleg,wnc", "--limit", "5",
         "--batch-size", "2", "--max-new-tokens", "6", "--engine", "batches", "--out",
         str(tmp_path / "b" / "results.json")],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    batches = load_model_file(tmp_path / "b" / "results.json", Results)
    assert batches.decoding.engine == "batches" and rolling.decoding.engine == "rolling"
    for c in ("jfleg", "wnc"):
        assert read_jsonl(tmp_path / "a" / "predictions" / f"{c}.jsonl") == read_jsonl(
            tmp_path / "b" / "predictions" / f"{c}.jsonl"
        )


def test_reference_predictions_score_high(bench_dir: Path, tmp_path: Path) -> None:
    """Feeding each row's first reference scores the top of each metric; copying the source scores low."""
    ref = run("-", bench_dir, tmp_path / "ref" / "results.json", predictions_from="references")
    src = run("-", bench_dir, tmp_path / "src" / "results.json", predictions_from="source")
    assert ref.complete is True and ref.average is not None and src.average is not None
    for spec in BENCH_SETS:
        r, s = ref.sets[spec.config], src.sets[spec.config]
        if spec.metric in ("m2", "errant"):
            assert r.precision == r.recall == r.score == 100.0, spec.config
            assert s.recall == 0.0
        else:
            assert r.score >= 60.0, spec.config
        assert r.score > s.score, spec.config
    assert ref.average > 75 > src.average


def test_interrupted_run_resumes_without_regenerating(
    bench_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = greedy.greedy_rolling
    generated: list[int] = []
    fail_after = {"calls": 1}

    def flaky(*args: Any) -> None:  # the rolling engine, interrupted when its second row ends
        on_done = args[7]

        def done(idx: list[int], tokens: list[list[int]]) -> None:
            if fail_after["calls"] == 0:
                raise KeyboardInterrupt
            fail_after["calls"] -= 1
            generated.extend(idx)
            on_done(idx, tokens)

        real(*args[:7], done, *args[8:])

    monkeypatch.setattr(greedy, "greedy_rolling", flaky)
    out = tmp_path / "results.json"
    kw: dict[str, Any] = {"sets": CHEAP, "batch_size": 1, "max_new_tokens": 5, "limit": 3}
    with pytest.raises(KeyboardInterrupt):
        run("tiny:llama", bench_dir, out, **kw)
    assert not out.exists()  # no half-written results
    first = pred_mod.read_done(tmp_path / "predictions", "jfleg")
    assert len(first) == 1 and len(generated) == 1

    fail_after["calls"] = 10_000
    generated.clear()
    res = run("tiny:llama", bench_dir, out, **kw)
    assert res.sets["jfleg"].reused == 1 and res.sets["jfleg"].generated == 2
    assert len(generated) == 4 * 3 - 1  # every row once, except the one finished before the kill
    final = {p["id"]: p["prediction"] for p in read_jsonl(tmp_path / "predictions" / "jfleg.jsonl")}
    assert all(final[i] == p.prediction for i, p in first.items())

    generated.clear()
    again = run("tiny:llama", bench_dir, out, **kw)  # all done: nothing generated, same scores
    assert generated == []
    for k, v in res.sets.items():
        assert again.sets[k] == v.model_copy(
            update={"generated": 0, "reused": v.n, "seconds": again.sets[k].seconds}
        )


def test_partial_last_line_is_dropped_and_redone(bench_dir: Path, tmp_path: Path) -> None:
    pred_dir = tmp_path / "predictions"
    kw: dict[str, Any] = {"predictions_from": "references", "sets": "sts", "limit": 2}
    run("-", bench_dir, tmp_path / "results.json", **kw)
    path = pred_dir / "sts.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[1][:10])  # killed while writing the second row
    first_id = load_set(str(bench_dir), "sts")[0].id
    assert list(pred_mod.read_done(pred_dir, "sts")) == [first_id]
    res = run("-", bench_dir, tmp_path / "results.json", **kw)
    assert res.sets["sts"].generated == 1 and len(read_jsonl(path)) == 2


def test_rerun_with_other_settings_is_refused(bench_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    kw: dict[str, Any] = {"sets": "sts", "max_new_tokens": 4, "limit": 2}
    run("tiny:llama", bench_dir, out, **kw)
    with pytest.raises(UsageError, match="different decoding"):
        run("tiny:llama", bench_dir, out, decoding="beam", **kw)
    res = run("tiny:llama", bench_dir, out, decoding="beam", overwrite=True, **kw)
    assert res.sets["sts"].generated == 2 and res.decoding.num_beams == 4


def test_bad_inputs(bench_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown set"):
        run("tiny:llama", bench_dir, tmp_path / "r.json", sets="conll")
    with pytest.raises(UsageError, match="no manifest.json"):
        run("-", tmp_path, tmp_path / "r.json", predictions_from="references", sets="sts")
    with pytest.raises(UsageError, match="is a directory"):
        run("-", bench_dir, tmp_path, predictions_from="references", sets="sts")


def test_same_named_bench_folders_are_read_as_themselves(tmp_path: Path) -> None:
    """Two benchmark folders called writing-bench with other rows: each evaluation reads its own."""
    from wa_hub.build import build_bench

    a = build_bench(None, tmp_path / "a" / "writing-bench", sample=True)
    b = build_bench(None, tmp_path / "b" / "writing-bench", sample=True, spec=_one_row_spec(tmp_path))
    ra = run("-", a, tmp_path / "ra" / "results.json", predictions_from="references", sets="sts")
    rb = run("-", b, tmp_path / "rb" / "results.json", predictions_from="references", sets="sts")
    assert ra.sets["sts"].n == 8 and rb.sets["sts"].n == 1


def _one_row_spec(tmp_path: Path) -> Path:
    from wa_hub.resources import resource

    text = resource("builders", "writing-bench.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "one-row.yaml"
    spec.write_text(text.replace("rows_per_set: 8", "rows_per_set: 1"), encoding="utf-8")
    return spec


def test_missing_bench_folder_fails_before_loading_the_model(tmp_path: Path, monkeypatch: Any) -> None:
    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the model was loaded before the benchmark was checked")

    monkeypatch.setattr("wa_hub.evaluate.run.load_model", no_model)
    with pytest.raises(UsageError, match="no such folder"):
        run("tiny:llama", tmp_path / "missing-bench", tmp_path / "r.json")


def test_cli_evaluate_and_report(bench_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "refs" / "results.json"
    r = runner.invoke(
        app,
        [
            "evaluate",
            "-",
            "--bench",
            str(bench_dir),
            "--predictions-from",
            "references",
            "--sets",
            "sts,wnc",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "STS" in r.output and out.exists()
    r = runner.invoke(app, ["report", str(out), "--format", "csv"])
    assert r.exit_code == 0, r.output
    header, row = r.output.splitlines()
    assert header.startswith("Model,CoNLL,BEA") and row.startswith("references,,,")
    r = runner.invoke(app, ["evaluate", "tiny:llama", "--bench", str(bench_dir), "--decoding", "nucleus"])
    assert r.exit_code == 2 and "--decoding" in r.output and "greedy" in r.output
    r = runner.invoke(app, ["evaluate", "tiny:llama", "--bench", str(bench_dir), "--batch-size", "0"])
    assert r.exit_code == 2 and "--batch-size" in r.output
