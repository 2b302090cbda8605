"""`--overwrite` replaces only what wa-hub made: never the raw files, a folder above them, the working dir."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.build import sample_raw_dir
from wa_hub.cli import app

runner = CliRunner()


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_raw_dir(), tmp_path / "R"))


@pytest.mark.parametrize("out", ["R", "R/conll14", "."])
def test_overwrite_never_deletes_the_raw_files(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    before = _tree(raw)
    monkeypatch.chdir(raw if out == "." else tmp_path)
    args = ["build-bench", "--raw-dir", str(raw), "--sample", "--overwrite", "--out", out]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--overwrite never replaces it" in result.output or "not made by wa-hub" in result.output
    assert _tree(raw) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]  # no `.R.tmp-*`, no `..tmp-*`
    assert not [p for p in raw.rglob(".*tmp-*")]


def test_build_data_overwrite_refuses_the_raw_dir_before_reading_it(raw: Path) -> None:
    before = _tree(raw)
    args = ["build-data", "--raw-dir", str(raw), "--sample", "--overwrite", "--out", str(raw)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and f"{raw} holds this command's input" in result.output
    assert _tree(raw) == before


def test_overwrite_replaces_a_build_whole(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    args = ["build-bench", "--sample", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    (out / "stray.txt").write_text("left by hand inside a wa-hub build: replaced with it")
    assert runner.invoke(app, args).exit_code == 2  # exists: needs --overwrite
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert not (out / "stray.txt").exists() and (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench"]


def test_out_below_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "hostname").write_text("box\n")
    result = runner.invoke(app, ["build-bench", "--sample", "--out", str(tmp_path / "hostname" / "sub")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'hostname' / 'sub'}: {tmp_path / 'hostname'} is a file, not a folder"
    ]
