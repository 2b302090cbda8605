"""`evaluate` tokenizes ordinary-text outputs as each benchmark set says (its manifest), and records how."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wa_hub.evaluate import evaluate
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.bench import load_set
from wa_hub.evaluate.run import predictions_meta
from wa_hub.evaluate.scoring import reference_predictions
from wa_hub.schema import BenchManifest, EvalSettings, PredictionRow, Results, load_manifest, write_model
from wa_hub.study import BENCH_SETS

TOKENIZED = ("conll14", "bea19", "jfleg")


def _detok(text: str) -> str:
    from sacremoses import MosesDetokenizer

    return MosesDetokenizer(lang="en").detokenize(text.split())


def ordinary_text_run(bench: Path, out: Path, **kw: Any) -> Results:
    """Evaluate a 'model' whose outputs are each row's first reference written as ordinary text.

    The predictions are written where evaluate keeps them, with the meta.json evaluate itself writes, so
    evaluate reuses them (the resume path) and only scores.
    """
    settings = EvalSettings(model="-", bench=str(bench), out=out, predictions_from="references", **kw)
    pred_dir = out.parent / "predictions"
    pred_dir.mkdir(parents=True, exist_ok=True)
    write_model(pred_dir / "meta.json", predictions_meta(settings))
    for s in BENCH_SETS:
        rows = load_set(str(bench), s.config)
        refs = reference_predictions([r.model_dump() for r in rows])
        items = [PredictionRow(id=r.id, prediction=_detok(p)) for r, p in zip(rows, refs, strict=True)]
        pred_mod.append(pred_mod.set_file(pred_dir, s.config), items)
    res = evaluate(settings)
    assert res is not None
    return res


def test_ordinary_text_is_scored_as_tokenized_and_results_say_how(bench_dir: Path, tmp_path: Path) -> None:
    tokenized = evaluate(
        EvalSettings(
            model="-",
            bench=str(bench_dir),
            out=tmp_path / "tok" / "results.json",
            predictions_from="references",
        )  # fmt: skip
    )
    assert tokenized is not None
    auto = ordinary_text_run(bench_dir, tmp_path / "auto" / "results.json")
    none = ordinary_text_run(bench_dir, tmp_path / "none" / "results.json", tokenize="none")
    for s in BENCH_SETS:
        a, n = auto.sets[s.config], none.sets[s.config]
        assert a.rows == a.n == 8 and a.generated == 0
        if s.config in TOKENIZED:
            assert a.tokenize == "auto" and a.settings["tokenize"] == "auto" and n.tokenize == "none"
            assert a.score == pytest.approx(tokenized.sets[s.config].score, abs=3.0), s.config
            assert n.score < a.score - 10, s.config  # as is, every attached punctuation mark is an edit
        else:  # SARI tokenizes itself: --tokenize does not apply
            assert a.tokenize == n.tokenize == "none" and a.score == n.score
    saved = json.loads((tmp_path / "auto" / "results.json").read_text())
    assert saved["sets"]["conll14"]["tokenize"] == "auto" and saved["sets"]["conll14"]["rows"] == 8


def test_the_benchmark_records_each_sets_setting(bench_dir: Path, tmp_path: Path) -> None:
    manifest = load_manifest(bench_dir)
    assert isinstance(manifest, BenchManifest)
    assert manifest.tokenize == {s.config: "auto" if s.config in TOKENIZED else "none" for s in BENCH_SETS}
    card = (bench_dir / "README.md").read_text()
    assert "| `conll14` |" in card and "| `auto` |" in card and "| `none` |" in card


def test_the_manifest_decides_and_an_old_one_gets_the_shipped_setting(tmp_path: Path) -> None:
    from wa_hub.build import build_bench
    from wa_hub.resources import resource

    spec = tmp_path / "spec.yaml"
    text = resource("builders", "writing-bench.yaml").read_text(encoding="utf-8")
    spec.write_text(
        text.replace(
            "conll14: {source: conll14, tokenize: auto}", "conll14: {source: conll14, tokenize: spacy}"
        )
    )
    bench = build_bench(None, tmp_path / "bench", sample=True, spec=spec)
    kw: dict[str, Any] = {"predictions_from": "references", "sets": "conll14,jfleg"}
    res = evaluate(EvalSettings(model="-", bench=str(bench), out=tmp_path / "a" / "r.json", **kw))
    assert (
        res is not None and res.sets["conll14"].tokenize == "spacy" and res.sets["jfleg"].tokenize == "auto"
    )

    manifest = json.loads((bench / "manifest.json").read_text())
    del manifest["tokenize"]  # a benchmark built before the setting was recorded
    (bench / "manifest.json").write_text(json.dumps(manifest))
    res = evaluate(EvalSettings(model="-", bench=str(bench), out=tmp_path / "b" / "r.json", **kw))
    assert res is not None and res.sets["conll14"].tokenize == "auto"


CLIENT = r"""
import sys
from wa_hub.evaluate import evaluate
from wa_hub.schema import EvalSettings

res = evaluate(EvalSettings(model="-", bench="acme/writing-bench", revision="v1.0.0", out=sys.argv[1],
                            predictions_from="references", sets="conll14,jfleg,sts"))
"""


def test_a_hub_benchmark_is_read_with_its_manifest(tmp_path: Path) -> None:
    """The benchmark pushed to a local git hub and served by olah: evaluate reads its manifest.json."""
    from wa_hub.build import build_bench
    from wa_hub.hub import push
    from wa_hub.olah import olah_cli, serve
    from wa_hub.resources import resource

    if olah_cli() is None:
        pytest.skip("olah is not installed (pip install olah)")
    spec = tmp_path / "spec.yaml"
    text = resource("builders", "writing-bench.yaml").read_text(encoding="utf-8")
    spec.write_text(
        text.replace("jfleg: {source: jfleg, tokenize: auto}", "jfleg: {source: jfleg, tokenize: spacy}")
    )
    bench = build_bench(None, tmp_path / "writing-bench", sample=True, spec=spec)
    push(bench, "acme/writing-bench", hub_dir=tmp_path / "hub")
    out = tmp_path / "eval" / "results.json"
    with serve(tmp_path / "hub", tmp_path / "olah") as endpoint:
        env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(tmp_path / "hf-home"),
               "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}  # fmt: skip
        client = subprocess.run(
            [sys.executable, "-c", CLIENT, str(out)], env=env, capture_output=True, text=True, timeout=300
        )
    assert client.returncode == 0, client.stderr[-4000:]
    res = Results.model_validate_json(out.read_text())
    assert res.bench.path_or_id == "acme/writing-bench" and res.bench.revision == "v1.0.0"
    assert {c: s.tokenize for c, s in res.sets.items()} == {
        "conll14": "auto",
        "jfleg": "spacy",
        "sts": "none",
    }
