"""Fixtures for the publishing tests (the builders of their inputs are in hubtest.py)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from hubtest import FAKE_TOKEN, make_lora_run, results_obj, write_dataset_folder


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own $TMPDIR: a push sweeps `$TMPDIR/wa-hub-push-*` leftovers, never another test's."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fake Hub at HF_ENDPOINT (huggingface_hub reads it at import, so the constant is patched)."""
    from huggingface_hub import constants

    with FakeHub() as fake:
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
        yield fake


@pytest.fixture
def dataset_folder(tmp_path: Path) -> Path:
    return write_dataset_folder(tmp_path / "writing-instruct")


@pytest.fixture
def data_copy(tmp_path: Path, sample_data: Path) -> Path:
    """A fresh copy of `wa-hub build-data --sample`'s folder, for a test to change."""
    return Path(shutil.copytree(sample_data, tmp_path / "writing-instruct"))


@pytest.fixture(scope="session")
def lora_run_template(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    run = tmp_path_factory.mktemp("runs") / "tiny-cpu"
    run.mkdir()
    dataset = {"path_or_id": "acme/writing-instruct", "config": "mixed", "revision": "v1.0.0"}
    return make_lora_run(run, tiny_model_dir, dataset)


@pytest.fixture
def lora_run(tmp_path: Path, lora_run_template: Path) -> Path:
    """A fresh copy of the LoRA run with results.json beside it (benchmark acme/writing-bench v1.0.0)."""
    run = tmp_path / "tiny-cpu"
    shutil.copytree(lora_run_template, run)
    (run / "eval").mkdir()
    (run / "eval" / "results.json").write_text(json.dumps(results_obj("acme/writing-bench", "v1.0.0")))
    (run / "eval" / "predictions").mkdir()
    (run / "eval" / "predictions" / "conll14.jsonl").write_text('{"id": "c-0", "prediction": "She goes ."}\n')
    return run
