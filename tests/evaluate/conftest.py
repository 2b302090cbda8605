"""The evaluation tests run on the real `build-bench --sample` folder (tests/conftest.py `sample_bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bench_dir(sample_bench: Path) -> Path:
    return sample_bench
