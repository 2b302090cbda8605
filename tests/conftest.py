"""Shared test setup: one torch thread (2-core CI), an isolated wa-hub cache per session, test data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_XET", "1")

import pytest  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The real public test sets (../shared/data) named by $WA_HUB_TEST_DATA; skips when unset."""
    value = os.environ.get("WA_HUB_TEST_DATA")
    if not value:
        pytest.skip("WA_HUB_TEST_DATA is not set: conformance tests on the real test sets need it")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"WA_HUB_TEST_DATA={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """The tiny random Llama (hidden 64, 2 layers) with its trained tokenizer, built once per machine."""
    from wa_hub.models import tiny_dir

    return tiny_dir()


# --- fixtures made by the real producers (once per test session) -----------------------------------------


@pytest.fixture(scope="session")
def sample_bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`wa-hub build-bench --sample`: the ten sets, 8 rows each, from the shipped sample raw files."""
    from wa_hub.build import build_bench

    return build_bench(None, tmp_path_factory.mktemp("bench") / "writing-bench", sample=True)


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`wa-hub build-data --sample`: the instruction data from the shipped sample raw files."""
    from wa_hub.build import build_data

    return build_data(None, tmp_path_factory.mktemp("data") / "writing-instruct", sample=True)


@pytest.fixture(scope="session")
def reference_results(sample_bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`wa-hub evaluate --predictions-from references` on the sample benchmark: a complete results.json."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path_factory.mktemp("eval") / "references" / "results.json"
    return evaluate(EvalSettings(model="-", bench=str(sample_bench), out=out, predictions_from="references"))


@pytest.fixture(scope="session")
def source_results(sample_bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`wa-hub evaluate --predictions-from source` on the sample benchmark: the do-nothing baseline."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path_factory.mktemp("eval") / "source" / "results.json"
    return evaluate(EvalSettings(model="-", bench=str(sample_bench), out=out, predictions_from="source"))
