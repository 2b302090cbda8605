"""Fixtures for the publishing tests, made by the real producers: `build-data --sample`, `build-bench
--sample` (tests/conftest.py), a real `train` of the tiny-cpu recipe on that data and a real `evaluate` of
the run on that benchmark, and a local hub holding the data and the benchmark as v1.0.0."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakehub import FakeHub
from hubtest import BENCH_REPO, DATA_REPO, FAKE_TOKEN


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own $TMPDIR: a push sweeps `$TMPDIR/.wa-hub-push.tmp-*` leftovers, never another test's."""
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
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", fake.url + "/{repo_id}/resolve/{revision}/{filename}"
        )
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
        yield fake


@pytest.fixture
def dataset_folder(tmp_path: Path, sample_data: Path) -> Path:
    """A fresh copy of `wa-hub build-data --sample`'s folder, for a test to push or change."""
    return Path(shutil.copytree(sample_data, tmp_path / "writing-instruct"))


@pytest.fixture(scope="session")
def data_versions(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict[str, Path]:
    """`build-data --sample --version V` for the versions the tests push one after another."""
    from wa_hub.build import build_data

    root = tmp_path_factory.mktemp("versions")
    built = {
        v: build_data(None, root / v / "writing-instruct", sample=True, version=v)
        for v in ("0.9.0", "1.1.0", "1.2.0")
    }
    return {"1.0.0": sample_data, **built}


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, sample_data: Path, sample_bench: Path) -> Path:
    """`wa-hub train --recipe tiny-cpu` on the sample data, then `wa-hub evaluate` of it on the sample
    benchmark (results.json and predictions in the run's eval/)."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings
    from wa_hub.train.run import train

    run = train(
        "tiny-cpu", tmp_path_factory.mktemp("runs") / "tiny-cpu", overrides=[f"data.path={sample_data}"]
    )
    out = run / "eval" / "results.json"
    evaluate(EvalSettings(model=str(run), bench=str(sample_bench), out=out, max_new_tokens=8))
    return run


@pytest.fixture
def lora_run(tmp_path: Path, tiny_run: Path) -> Path:
    """A fresh copy of the trained and evaluated tiny-cpu run."""
    return Path(shutil.copytree(tiny_run, tmp_path / "tiny-cpu", symlinks=True))


@pytest.fixture(scope="session")
def hub_template(tmp_path_factory: pytest.TempPathFactory, sample_data: Path, sample_bench: Path) -> Path:
    from wa_hub.hub import push

    hub = tmp_path_factory.mktemp("hub-template") / "hub"
    push(sample_data, DATA_REPO, hub_dir=hub)
    push(sample_bench, BENCH_REPO, hub_dir=hub)
    return hub


@pytest.fixture
def local_hub(tmp_path: Path, hub_template: Path) -> Path:
    """A local hub holding the sample data and benchmark as acme/writing-instruct and -bench v1.0.0."""
    return Path(shutil.copytree(hub_template, tmp_path / "hub", symlinks=True))
