from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wa_hub.build import sample_raw_dir


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped sample raw files."""
    dst = tmp_path / "raw"
    shutil.copytree(sample_raw_dir(), dst)
    return dst
