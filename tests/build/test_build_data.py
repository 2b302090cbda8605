"""`build-data`: the instruction dataset folder on the shipped samples (layout, rows, determinism, errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from wa_hub import cards, schema
from wa_hub.build import build_data
from wa_hub.cli import app
from wa_hub.errors import UsageError, WaHubError
from wa_hub.prompts import TASK_PROMPTS
from wa_hub.schema import InstructionManifest, load_manifest

runner = CliRunner()
TASKS6 = ["grammaticality", "fluency", "clarity", "coherence", "simplification", "neutralization"]


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_data(None, tmp_path_factory.mktemp("d") / "out", sample=True)


def _rows(out: Path, config: str) -> list[dict[str, str]]:
    return pq.read_table(out / "data" / config / "train-00000-of-00001.parquet").to_pylist()


def test_layout_configs_and_counts(sample_out: Path) -> None:
    manifest = load_manifest(sample_out)
    assert isinstance(manifest, InstructionManifest)
    counts = manifest.counts
    assert counts["grammaticality"] == 64
    assert all(counts[t] == 20 for t in TASKS6[1:])
    assert counts["writing"] == 64 + 5 * 20
    assert counts["generic"] == 24 and counts["generic-gpt4"] == 12
    assert counts["mixed"] == counts["writing"] + 24 and counts["mixed-gpt4"] == counts["writing"] + 12
    card = DatasetCard.load(sample_out / "README.md")
    names = [c["config_name"] for c in card.data.configs]
    assert names == ["writing", "generic", "mixed", *TASKS6, "generic-gpt4", "mixed-gpt4"]
    assert [c["config_name"] for c in card.data.configs if c.get("default")] == ["mixed"]
    for c in card.data.configs:
        assert c["data_files"] == [{"split": "train", "path": f"data/{c['config_name']}/train-*.parquet"}]
        assert (sample_out / "data" / c["config_name"] / "train-00000-of-00001.parquet").is_file()
    assert card.data.license == "other" and card.data.license_name == "mixed-non-commercial"
    card = card.text
    assert set(manifest.raw_files) >= {"wi_locness/A.train.gold.bea19.m2", "alpaca/alpaca_data.json"}
    assert all(len(h) == 64 for h in manifest.raw_files.values())
    assert manifest.seed == 42 and manifest.version == "1.0.0" and manifest.sample is True
    assert "Fix grammatical errors in the text." in card and "CC BY-NC 4.0" in card
    assert "non-commercial" in card


def test_the_card_is_a_function_of_the_manifest(sample_out: Path) -> None:
    manifest = schema.load_manifest(sample_out)
    assert (sample_out / "README.md").read_text() == str(cards.render_dataset_card(manifest))
    local = (sample_out / "README.md").read_text()
    assert (
        'load_dataset("path/to/this/folder", "mixed", split="train")' in local and "ORG/writing" not in local
    )
    pushed = str(cards.render_dataset_card(manifest, "acme/writing-instruct"))
    assert 'load_dataset("acme/writing-instruct", "fluency", split="train", revision="v1.0.0")' in pushed
    assert "**Version 1.0.0** of `acme/writing-instruct`" in pushed and "path/to/this/folder" not in pushed
    for source in ("wi_locness", "iterater_v2", "alpaca"):  # the sources table, from manifest.sources
        assert f"| `{source}` |" in local
    assert "| grammaticality | Fix grammatical errors in the text. | 64 | wi_locness (64 of " in local


def test_a_0_1_0_manifest_renders_the_same_card(sample_out: Path, tmp_path: Path) -> None:
    """A folder built by wa-hub 0.1.0 (manifest with `counts`, no configs/sources/schema_version) pushes the
    same card as one built now."""
    now = schema.dump(schema.load_manifest(sample_out))
    old = {k: v for k, v in now.items() if k not in ("schema_version", "configs", "sources", "pretty_name")}
    old["counts"] = {c["name"]: c["rows"] for c in now["configs"]}
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    then = schema.load_manifest(tmp_path)
    assert then.sources == now["sources"]
    assert str(cards.render_dataset_card(then, "acme/x")) == str(
        cards.render_dataset_card(schema.load_manifest(sample_out), "acme/x")
    )
    # the manifests 0.1.0 really wrote: their sources come from the builder spec and the raw files hashed
    v010 = Path(__file__).parents[1] / "data" / "v0.1.0"
    data, bench = (
        schema.load_manifest(v010 / "data-manifest.json"),
        schema.load_manifest(v010 / "bench-manifest.json"),
    )
    assert data.sources == ["wi_locness:train", "iterater_v2:train", "turkcorpus:train", "wikilarge:train",
                            "wnc:train", "alpaca:generic", "alpaca_gpt4:generic"]  # fmt: skip
    assert bench.sources == [f"{s}:test" for s in ("conll14", "wi_locness", "jfleg", "iterater_human_sent",
                                                     "turkcorpus", "asset", "wnc", "stsb")]  # fmt: skip
    assert "| `wnc` | [Wiki Neutrality Corpus" in str(cards.render_dataset_card(data, "acme/x"))
    assert "(v1.0.0)" in str(cards.render_dataset_card(bench, "acme/y"))


def test_rows_columns_prompts_and_ids(sample_out: Path) -> None:
    table = pq.read_table(sample_out / "data" / "mixed" / "train-00000-of-00001.parquet")
    assert table.column_names == ["id", "task", "instruction", "input", "output", "source"]
    rows = table.to_pylist()
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        if r["task"] == "generic":
            assert r["source"] == "alpaca" and r["id"].startswith("alpaca-")
        else:
            assert r["instruction"] == TASK_PROMPTS[r["task"]]
            assert r["id"].startswith(r["source"] + "-") and r["input"] and r["output"]
    gram = _rows(sample_out, "grammaticality")
    assert {r["source"] for r in gram} == {"wi_locness"}
    assert sum(r["input"] != r["output"] for r in gram) >= 50
    simp = _rows(sample_out, "simplification")
    assert [r["source"] for r in simp].count("turkcorpus") == 4
    assert [r["source"] for r in simp].count("wikilarge") == 16
    # Alpaca rows with an empty input keep it empty (the no-input template applies at training time)
    assert any(r["input"] == "" for r in _rows(sample_out, "generic"))


def test_load_dataset_reads_the_folder(sample_out: Path) -> None:
    from datasets import load_dataset

    cache = str(sample_out.parent / "hf")  # datasets caches local folders by name: keep it private
    ds = load_dataset(str(sample_out), "mixed", split="train", cache_dir=cache)
    assert len(ds) == 188
    assert ds.column_names == ["id", "task", "instruction", "input", "output", "source"]
    assert len(load_dataset(str(sample_out), "clarity", split="train", cache_dir=cache)) == 20


def test_same_raw_and_seed_give_identical_parquet(tmp_path: Path, sample_out: Path) -> None:
    again = build_data(None, tmp_path / "again", sample=True)
    for p in sorted(sample_out.glob("data/*/*.parquet")):
        assert (again / p.relative_to(sample_out)).read_bytes() == p.read_bytes(), p
    other = build_data(None, tmp_path / "seed7", sample=True, seed=7)
    ids = [r["id"] for r in _rows(other, "grammaticality")]
    assert ids != [r["id"] for r in _rows(sample_out, "grammaticality")]


def test_per_task_and_generic_overrides(tmp_path: Path) -> None:
    out = build_data(None, tmp_path / "o", sample=True, per_task=10, generic=5, version="2.1.0")
    m = load_manifest(out)
    assert isinstance(m, InstructionManifest)
    assert m.counts["writing"] == 60 and m.counts["generic"] == 5 and m.counts["mixed"] == 65
    assert m.counts["simplification"] == 10 and m.version == "2.1.0"
    assert [p.rows for p in m.parts["simplification"]] == [2, 8]


def test_source_too_short_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        WaHubError, match=r"source wi_locness has 70 usable grammaticality rows.*100 were requested"
    ):
        build_data(None, tmp_path / "o", sample=True, per_task=100)
    assert not (tmp_path / "o").exists()


def test_missing_files_listed_at_once_exit_2(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / "wnc" / "biased.word.train").unlink()
    (raw_copy / "alpaca" / "alpaca_data.json").unlink()
    (raw_copy / "alpaca_gpt4" / "alpaca_gpt4_data.json").unlink()  # optional: not reported
    out = tmp_path / "o"
    res = runner.invoke(app, ["build-data", "--raw-dir", str(raw_copy), "--out", str(out), "--per-task", "4"])
    assert res.exit_code == 2
    text = res.output.replace("\n", "")
    assert "2 raw file(s) missing" in text
    assert "wnc/biased.word.train" in text and "alpaca/alpaca_data.json" in text
    assert "bias_data.zip" in text and "wa-hub sources fetch alpaca" in text
    assert not out.exists()


def test_malformed_line_names_file_and_line_and_writes_nothing(raw_copy: Path, tmp_path: Path) -> None:
    p = raw_copy / "wnc" / "biased.word.train"
    lines = p.read_text().splitlines()
    lines[4] = "broken line without tabs"
    p.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o"
    res = runner.invoke(app, ["build-data", "--raw-dir", str(raw_copy), "--out", str(out), "--per-task", "4"])
    assert res.exit_code == 1
    assert "biased.word.train:5: expected 7 tab-separated columns" in res.output.replace("\n", "")
    assert not out.exists()
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".o")] == []


def test_existing_out_is_kept_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="--overwrite"):
        build_data(None, out, sample=True)
    with pytest.raises(UsageError, match="not made by wa-hub"):  # --overwrite replaces only wa-hub's own
        build_data(None, out, sample=True, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    build_data(None, out, sample=True, overwrite=True)  # an empty folder: nothing to lose
    build_data(None, out, sample=True, overwrite=True)  # a build: replaced
    assert (out / "manifest.json").is_file()


def test_cli_sample_default_out_and_bad_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["build-data", "--sample", "--per-task", "3", "--generic", "2"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "build" / "writing-instruct-sample" / "manifest.json").is_file()
    res = runner.invoke(app, ["build-data", "--out", "x"])
    assert res.exit_code == 2 and "--raw-dir is required" in res.output
    res = runner.invoke(app, ["build-data", "--sample", "--version", "one", "--out", "y"])
    assert res.exit_code == 2 and "X.Y.Z" in res.output
    res = runner.invoke(app, ["build-data", "--sample", "--out", "z", "--push", "no-slash"])
    assert res.exit_code == 2 and "ORG/NAME" in res.output
    assert not (tmp_path / "z").exists()
