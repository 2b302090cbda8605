"""The contracts in wa_hub.schema: files of the current release load, mismatches are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import MalformedInputError
from wa_hub.report import render_table
from wa_hub.schema import (
    SCHEMA_VERSION,
    BenchManifest,
    InstructionManifest,
    PredictionsMeta,
    Results,
    RunRecord,
    load_manifest,
    load_model_file,
    write_model,
)
from wa_hub.study import BENCH_SETS

V010 = Path(__file__).parent / "data" / "v0.1.0"  # written by wa-hub 0.1.0 (`evaluate`, `train`, builds)


def test_results_of_release_0_1_0_load_and_report(tmp_path: Path) -> None:
    raw = json.loads((V010 / "results.json").read_text())
    assert "schema_version" not in raw and "f0.5" in raw["sets"]["conll14"]  # the old, flat layout
    res = load_model_file(V010 / "results.json", Results)
    assert res.schema_version == SCHEMA_VERSION and list(res.sets) == [s.config for s in BENCH_SETS]
    conll = res.sets["conll14"]
    assert conll.f_beta == conll.score == raw["sets"]["conll14"]["f0.5"] and conll.beta == 0.5
    assert conll.counts == {k: raw["sets"]["conll14"][k] for k in ("correct", "proposed", "gold")}
    assert res.sets["bea19"].counts.keys() == {"tp", "fp", "fn"}
    assert res.sets["asset"].components.keys() == {"add", "keep", "delete"}
    assert res.average == raw["average"] and res.complete is raw["complete"]
    # an upgraded file is written in the current shape and reads back the same
    write_model(tmp_path / "results.json", res)
    assert load_model_file(tmp_path / "results.json", Results) == res
    assert "| references |" in render_table([res])
    r = CliRunner().invoke(app, ["report", str(V010 / "results.json"), "--format", "csv"])
    assert r.exit_code == 0 and r.output.splitlines()[1].startswith("references,100.00,100.00")


def test_run_json_and_manifests_of_release_0_1_0_load() -> None:
    run = load_model_file(V010 / "run.json", RunRecord)
    assert run.method == "lora" and run.base_model.source == "tiny:llama" and isinstance(run.git_commit, str)
    assert run.verification is not None and run.verification.tensors_checked > 0
    bench = load_manifest(V010 / "bench-manifest.json")
    assert isinstance(bench, BenchManifest) and [c.name for c in bench.configs][-1] == "all"
    assert [c.name for c in bench.configs if c.default] == ["all"] and bench.configs[0].split == "test"
    data = load_manifest(V010 / "data-manifest.json")
    assert isinstance(data, InstructionManifest) and data.counts["mixed"] == 188
    assert [c.name for c in data.configs if c.default] == ["mixed"]
    meta = load_model_file(V010 / "predictions-meta.json", PredictionsMeta)
    assert meta.decoding["name"] == "greedy"


def test_current_producers_write_what_the_schema_reads(
    sample_bench: Path, reference_results: Results
) -> None:
    manifest = load_manifest(sample_bench)
    assert isinstance(manifest, BenchManifest) and manifest.schema_version == SCHEMA_VERSION
    assert manifest.counts["all"] == sum(manifest.counts[s.config] for s in BENCH_SETS)
    assert reference_results.schema_version == SCHEMA_VERSION and reference_results.complete


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda o: o["sets"]["conll14"].update(score="high"), "sets.conll14.score"),
        (lambda o: o["sets"]["jfleg"].update(bleu=1.0), "sets.jfleg.bleu is not a known field"),
        (lambda o: o.pop("bench"), "bench is missing"),
        (lambda o: o["decoding"].update(name="nucleus"), "decoding.name"),
        (lambda o: o.update(schema_version=99), "newer wa-hub"),
    ],
)
def test_a_file_that_does_not_match_is_one_line_naming_file_and_field(
    tmp_path: Path, reference_results: Results, edit: object, field: str
) -> None:
    obj = json.loads(reference_results.model_dump_json())
    edit(obj)  # type: ignore[operator]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(MalformedInputError) as e:
        load_model_file(path, Results)
    msg = str(e.value)
    assert msg.startswith(f"{path}: ") and field in msg and "\n" not in msg


def test_non_finite_scores_are_refused(tmp_path: Path, reference_results: Results) -> None:
    path = tmp_path / "results.json"
    obj = json.loads(reference_results.model_dump_json())
    obj["average"] = float("nan")
    path.write_text(json.dumps(obj))  # Python's json writes NaN (not valid JSON, but json.loads reads it)
    with pytest.raises(MalformedInputError, match="average"):
        load_model_file(path, Results)
    path.write_bytes(b'{"sets": "\xff"}')
    with pytest.raises(MalformedInputError, match=r"results.json:1: expected UTF-8"):
        load_model_file(path, Results)
