"""`build-bench`: the ten-set benchmark on the shipped samples and, in CI, on the real public test sets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from wa_hub import cards, schema
from wa_hub.build import build_bench, sample_raw_dir
from wa_hub.cli import app
from wa_hub.errors import WaHubError
from wa_hub.schema import BenchManifest, load_manifest
from wa_hub.study import BENCH_SETS

runner = CliRunner()
CONFIGS = [s.config for s in BENCH_SETS]


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bench(None, tmp_path_factory.mktemp("b") / "bench", sample=True)


def _rows(out: Path, config: str) -> list[dict[str, object]]:
    return pq.read_table(out / "data" / config / "test-00000-of-00001.parquet").to_pylist()


def test_sample_bench_layout_rows_and_references(bench_out: Path) -> None:
    card = DatasetCard.load(bench_out / "README.md")
    assert [c["config_name"] for c in card.data.configs] == [*CONFIGS, "all"]
    assert all(c["data_files"][0]["split"] == "test" for c in card.data.configs)
    assert str(card) == str(cards.render_dataset_card(schema.load_manifest(bench_out)))  # from the manifest
    assert (
        "| `jfleg` | JFL | fluency | Make the text more fluent. | 8 | 4 | gleu |" in card.text
        and "(`wa-hub build-bench --sample`): 80 rows" in card.text
    )
    pushed = str(cards.render_dataset_card(schema.load_manifest(bench_out), "acme/writing-bench"))
    assert "--bench acme/writing-bench --revision v1.0.0" in pushed
    table = pq.read_table(bench_out / "data" / "all" / "test-00000-of-00001.parquet")
    assert table.column_names == ["id", "set", "task", "instruction", "input", "references", "metric", "m2"]
    refs = {c: {len(r["references"]) for r in _rows(bench_out, c)} for c in CONFIGS}  # type: ignore[arg-type]
    assert refs == {
        "conll14": {2},
        "bea19": {1},
        "jfleg": {4},
        "itr-f": {1},
        "itr-l": {1},
        "itr-o": {1},
        "turk": {8},
        "asset": {10},
        "wnc": {1},
        "sts": {1},
    }
    for bs in BENCH_SETS:
        rows = _rows(bench_out, bs.config)
        assert len(rows) == 8
        assert {r["metric"] for r in rows} == {bs.metric} and {r["set"] for r in rows} == {bs.config}
        assert all((r["m2"] != "") == (bs.metric in ("m2", "errant")) for r in rows)
    conll = _rows(bench_out, "conll14")
    assert str(conll[0]["m2"]).startswith("S Nowadays , the technology have changed our life .\nA 2 3|||")
    assert conll[0]["references"] == [
        "Nowadays , technology has changed our lives .",
        "Nowadays , the technology has changed our life .",
    ]
    sts = _rows(bench_out, "sts")
    assert {r["instruction"] for r in sts} == {"Paraphrase the text."}
    assert len(_rows(bench_out, "all")) == 80


def test_iterater_sets_filter_label_and_empty_after(bench_out: Path) -> None:
    itr = {c: _rows(bench_out, c) for c in ("itr-f", "itr-l", "itr-o")}
    assert all(len(v) == 8 for v in itr.values())
    lines = [
        json.loads(x)
        for x in (sample_raw_dir() / "iterater_human_sent" / "test.json").read_text().splitlines()
    ]
    for config, label in [("itr-f", "fluency"), ("itr-l", "clarity"), ("itr-o", "coherence")]:
        for r in itr[config]:
            src = lines[int(str(r["id"]).rsplit("-", 1)[1])]
            assert src["labels"] == label and src["before_sent"] == r["input"]
            assert r["references"] == [src["after_sent"]] and src["after_sent"]


def test_load_dataset_jfleg_from_folder(bench_out: Path) -> None:
    from datasets import load_dataset

    # datasets caches a local folder by its name, not its content: a private cache per test
    ds = load_dataset(str(bench_out), "jfleg", split="test", cache_dir=str(bench_out.parent / "hf"))
    assert len(ds) == 8 and all(len(r) == 4 for r in ds["references"])


def test_size_mismatch_is_an_error_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(WaHubError, match=r"conll14: 8 rows .* Table 2 has 1312"):
        build_bench(sample_raw_dir(), tmp_path / "o")
    assert not (tmp_path / "o").exists()
    out = build_bench(sample_raw_dir(), tmp_path / "o", allow_size_mismatch=True)
    m = load_manifest(out)
    assert isinstance(m, BenchManifest) and len(m.size_mismatches) == 10
    card = (out / "README.md").read_text()
    assert "Sizes that differ" in card and "- conll14: 8 rows from" in card


def test_cli_missing_files_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["build-bench", "--raw-dir", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    text = res.output.replace("\n", "")
    # 1 CoNLL + 1 BEA + 5 JFLEG + 1 IteraTeR + 9 TurkCorpus + 11 ASSET + 1 WNC + 1 STS-B
    assert "30 raw file(s) missing" in text
    assert "conll14/official-2014.combined.m2" in text and "asset/asset.test.simp.9" in text
    assert not (tmp_path / "o").exists()


def _real_raw_dir(test_data: Path, tmp_path: Path) -> Path:
    """Our layout over ../shared/data (symlinks); BEA-19, IteraTeR and WNC (not there) from the samples."""
    raw = tmp_path / "raw"
    for src_id, where in [
        ("conll14", test_data / "conll14"),
        ("jfleg", test_data / "jfleg" / "test"),
        ("asset", test_data / "asset"),
        ("turkcorpus", test_data / "turkcorpus" / "tok"),
        ("stsb", test_data / "sts"),
    ]:
        (raw / src_id).mkdir(parents=True)
        for f in where.iterdir():
            os.symlink(f, raw / src_id / f.name)
    for src_id, name in [
        ("wi_locness", "ABCN.dev.gold.bea19.m2"),
        ("iterater_human_sent", "test.json"),
        ("wnc", "biased.word.test"),
    ]:
        (raw / src_id).mkdir(parents=True, exist_ok=True)
        os.symlink(sample_raw_dir() / src_id / name, raw / src_id / name)
    return raw


@pytest.mark.conformance
def test_real_test_sets(test_data: Path, tmp_path: Path) -> None:
    from datasets import load_dataset

    out = build_bench(_real_raw_dir(test_data, tmp_path), tmp_path / "bench", allow_size_mismatch=True)
    m = load_manifest(out)
    assert isinstance(m, BenchManifest)
    want = {
        "conll14": (1312, [2]),
        "jfleg": (747, [4]),
        "asset": (359, [10]),
        "turk": (359, [8]),
        "sts": (97, [1]),
    }
    for config, (n, refs) in want.items():
        assert m.counts[config] == n, config
        assert m.references_per_row[config] == refs, config
    # only the three sample-backed sets differ from Table 2
    assert sorted(x.split(":")[0] for x in m.size_mismatches) == [
        "bea19",
        "itr-f",
        "itr-l",
        "itr-o",
        "wnc",
    ]
    ds = load_dataset(str(out), "jfleg", split="test", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == 747 and all(len(r) == 4 for r in ds["references"])
    conll = _rows(out, "conll14")
    m2_text = (test_data / "conll14" / "official-2014.combined.m2").read_text(encoding="utf-8")
    assert "\n\n".join(str(r["m2"]) for r in conll).strip() == m2_text.strip()
    sts = _rows(out, "sts")
    assert sts[0]["input"] == "One woman is measuring another woman's ankle."
    assert sts[0]["references"] == ["A woman measures another woman's ankle."]
    src0 = (test_data / "jfleg" / "test" / "test.src").read_text(encoding="utf-8").split("\n")[0]
    assert _rows(out, "jfleg")[0]["input"] == src0
