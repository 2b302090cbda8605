"""Fixtures for the publishing tests (the builders of their inputs are in hubtest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hubtest import make_lora_run, results_obj, write_dataset_folder


@pytest.fixture
def dataset_folder(tmp_path: Path) -> Path:
    return write_dataset_folder(tmp_path / "writing-instruct")


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
