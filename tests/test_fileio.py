"""Atomic outputs: nothing half-written, nothing existing lost, ordinary permissions; reading lines."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.fileio import atomic_dir, read_lines, write_json


def test_failed_build_leaves_no_folder_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out, overwrite=True) as tmp:
        (tmp / "half.txt").write_text("new")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "keep.txt").read_text() == "old"


def test_existing_folder_needs_overwrite_then_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(UsageError, match="--overwrite"), atomic_dir(out):
        pass
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_json_gives_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_json(tmp_path / "run.json", {"a": 1})
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "run.json").stat().st_mode)
    assert mode == 0o644
    assert (tmp_path / "run.json").read_text() == '{\n  "a": 1\n}\n'


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        (b"", []),
        (b"\n", [""]),
        (b"a\nb", ["a", "b"]),
        (b"a\r\n\r\nb\r\n", ["a", "", "b"]),
        # only "\n" ends a line: U+2028, U+0085, form feeds and a lone "\r" stay inside their sentence
        ("a\u2028b\x0cc\u0085d\re\n".encode(), ["a\u2028b\x0cc\u0085d\re"]),
        (b"x\r\r\n", ["x\r"]),
    ],
)
def test_read_lines_splits_on_newline_only(tmp_path: Path, raw: bytes, lines: list[str]) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(raw)
    assert read_lines(path) == lines


def test_read_lines_errors_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope.txt: no such file"):
        read_lines(tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\nstill ok\n\xff\n")
    with pytest.raises(MalformedInputError, match=r"bad\.txt:3: expected UTF-8 text"):
        read_lines(bad)
