"""Train/test overlap: build-data finds training inputs the benchmark also has, per task and set, exactly and
after lower-casing and removing punctuation and spaces; the card reports them and the build warns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from wa_hub import overlap
from wa_hub.build import build_data, sample_raw_dir
from wa_hub.errors import UsageError
from wa_hub.evaluate.bench import load_set
from wa_hub.schema import InstructionManifest, load_manifest

TUNE = "turkcorpus/tune.8turkers.tok.norm"
TEST = "turkcorpus/test.8turkers.tok.norm"


def test_normalize_ignores_case_punctuation_and_spaces() -> None:
    assert overlap.normalize("She goes , home .") == overlap.normalize("she goes, home.") == "shegoeshome"
    assert overlap.normalize("Ça va ?") == "çava"
    assert overlap.normalize(" ,. ") == ""


def leaky_raw(tmp_path: Path) -> Path:
    """The sample raw files, with TurkCorpus's training sources replaced by its test inputs: half as they
    are, half lower-cased without the spaces before punctuation."""
    raw = Path(shutil.copytree(sample_raw_dir(), tmp_path / "raw"))
    test = (raw / TEST).read_text().splitlines()
    tune = (raw / TUNE).read_text().splitlines()
    leaked = [
        t if i % 2 == 0 else t.lower().replace(" .", ".").replace(" ,", ",") for i, t in enumerate(test)
    ]
    (raw / TUNE).write_text("\n".join(leaked[: len(tune)]) + "\n")
    return raw


def test_overlap_is_counted_per_task_and_set_reported_and_warned(tmp_path: Path, sample_bench: Path) -> None:
    out = build_data(leaky_raw(tmp_path), tmp_path / "data", sample=True)
    m = load_manifest(out)
    assert isinstance(m, InstructionManifest) and m.overlap is not None
    rows = pq.read_table(out / "data/simplification/train-00000-of-00001.parquet").to_pylist()
    test_inputs = {r.input for r in load_set(str(sample_bench), "turk")}
    loose = {overlap.normalize(x) for x in test_inputs}
    turk_rows = [r for r in rows if r["source"] == "turkcorpus"]
    exact = sum(r["input"] in test_inputs for r in turk_rows)
    normalized = sum(overlap.normalize(r["input"]) in loose for r in turk_rows)
    assert 0 < exact < normalized == len(turk_rows)  # the leaked rows, some only once normalized
    pair = next(p for p in m.overlap.pairs if (p.task, p.set) == ("simplification", "turk"))
    assert (pair.exact, pair.normalized) == (exact, normalized)
    assert m.overlap.compared_with.startswith("the benchmark's raw sources in")
    assert any(w.startswith("train/test overlap:") and "turk" in w for w in m.warnings)
    card = (out / "README.md").read_text()
    assert "## Train/test overlap" in card and "| simplification | `turk` |" in card


def test_overlap_against_a_bench_folder(tmp_path: Path, sample_bench: Path) -> None:
    out = build_data(None, tmp_path / "data", sample=True, bench=sample_bench)
    m = load_manifest(out)
    assert isinstance(m, InstructionManifest) and m.overlap is not None
    assert m.overlap.compared_with.startswith(str(sample_bench)) and m.overlap.normalized == 0
    assert m.overlap.rows > 0 and not [w for w in m.warnings if "overlap" in w]
    assert "None: no input of the" in (out / "README.md").read_text()
    with pytest.raises(UsageError, match="manifest.json"):
        build_data(None, tmp_path / "other", sample=True, bench=tmp_path)


def test_without_the_benchmark_the_card_says_it_was_not_checked(tmp_path: Path) -> None:
    raw = Path(shutil.copytree(sample_raw_dir(), tmp_path / "raw"))
    shutil.rmtree(raw / "jfleg")  # a test source the instruction data does not need
    out = build_data(raw, tmp_path / "data", sample=True)
    m = load_manifest(out)
    assert isinstance(m, InstructionManifest) and m.overlap is None
    assert any("overlap not checked" in w for w in m.warnings)
    assert "Not checked: the build had no benchmark" in (out / "README.md").read_text()
