"""Atomic outputs: nothing half-written, nothing existing lost, ordinary permissions; reading lines."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.fileio import atomic_dir, read_lines, sweep_stale, write_json


def test_failed_build_leaves_no_folder_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = _wa_hub_folder(tmp_path / "out")
    with pytest.raises(RuntimeError), atomic_dir(out, overwrite=True) as tmp:
        (tmp / "half.txt").write_text("new")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "keep.txt").read_text() == "old"


def test_existing_folder_needs_overwrite_then_is_replaced_whole(tmp_path: Path) -> None:
    out = _wa_hub_folder(tmp_path / "out")
    with pytest.raises(UsageError, match="--overwrite"), atomic_dir(out):
        pass
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _wa_hub_folder(path: Path, text: str = "old") -> Path:
    """A folder as build-bench leaves it (its manifest.json is what marks it as wa-hub's)."""
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"kind": "benchmark"}))
    (path / "keep.txt").write_text(text)
    return path


def _dead_pid() -> int:
    """The pid of a process that has exited (what a killed run's temp names carry)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def test_overwrite_only_replaces_a_folder_wa_hub_made(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError, match="not made by wa-hub"), atomic_dir(mine, overwrite=True) as tmp:
        (tmp / "x").write_text("new")
    assert (mine / "thesis.tex").read_text() == "years of work"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    with pytest.raises(UsageError, match="is a file"), atomic_dir(a_file, overwrite=True):
        pass
    assert a_file.read_text() == "notes"
    empty = tmp_path / "empty"
    empty.mkdir()
    with atomic_dir(empty, overwrite=True) as tmp:  # nothing to lose
        (tmp / "x").write_text("new")
    assert (empty / "x").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "mine", "notes.txt"]


def test_overwrite_never_replaces_the_working_directory_or_a_folder_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _wa_hub_folder(tmp_path / "made" / "work")
    (tmp_path / "made" / "manifest.json").write_text(json.dumps({"kind": "benchmark"}))
    monkeypatch.chdir(work)
    for out in (".", "..", str(work), "../work"):
        with pytest.raises(UsageError, match="working directory"), atomic_dir(out, overwrite=True):
            pass
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt", "manifest.json"]
    assert sorted(p.name for p in work.parent.iterdir()) == ["manifest.json", "work"]


def test_overwrite_never_replaces_a_folder_holding_the_inputs(tmp_path: Path) -> None:
    out = _wa_hub_folder(tmp_path / "out")
    raw = out / "raw"
    raw.mkdir()
    for keep in (raw, out):
        with pytest.raises(UsageError, match="input"), atomic_dir(out, overwrite=True, keep=[keep]):
            pass
    assert raw.is_dir()


def test_killed_runs_temp_folders_are_swept_live_ones_kept(tmp_path: Path) -> None:
    out = _wa_hub_folder(tmp_path / "out")
    dead, live = _dead_pid(), os.getppid()
    (tmp_path / f".out.tmp-{dead}-abc").mkdir()
    (tmp_path / f".out.tmp-{dead}-abc" / "half.parquet").write_text("half")
    (tmp_path / f".out.old-{dead}-abc").mkdir()
    (tmp_path / f".out.tmp-{live}-xyz").mkdir()  # another build of the same folder, still running
    (tmp_path / f".other.tmp-{dead}-abc").mkdir()  # not ours to judge
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".other.tmp-{dead}-abc", f".out.tmp-{live}-xyz", "out"]


def test_killed_between_the_two_renames_the_old_folder_comes_back(tmp_path: Path) -> None:
    old = _wa_hub_folder(tmp_path / f".out.old-{_dead_pid()}-abc", text="old state")
    (tmp_path / f".out.tmp-{_dead_pid()}-abc").mkdir()  # the new state, never moved in
    sweep_stale(tmp_path / "out")
    assert not old.exists()
    assert (tmp_path / "out" / "keep.txt").read_text() == "old state"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_write_sweeps_temp_files_of_killed_runs(tmp_path: Path) -> None:
    stale = tmp_path / f".results.json.tmp-{_dead_pid()}-abc"
    stale.write_text("{")
    write_json(tmp_path / "results.json", {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_file_in_the_way_of_the_output_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "hostname").write_text("box")
    with (
        pytest.raises(UsageError, match=r"hostname is a file, not a folder$"),
        atomic_dir(tmp_path / "hostname" / "sub"),
    ):
        pass
    with pytest.raises(UsageError, match=r"hostname is a file, not a folder$"):
        write_json(tmp_path / "hostname" / "deeper" / "results.json", {})


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_json(tmp_path / "run.json", {"a": 1})
        with atomic_dir(tmp_path / "bench") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "run.json").stat().st_mode)
    assert mode == 0o644
    assert stat.S_IMODE((tmp_path / "bench").stat().st_mode) == 0o755  # as mkdir makes it, not mkdtemp's 0700
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


def test_replacing_works_where_the_system_cannot_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2's exchange is missing (another OS, some filesystems) the old folder is moved aside,
    the new one moved in, the old one removed."""
    monkeypatch.setattr("wa_hub.fileio._exchange", lambda a, b: False)
    out = _wa_hub_folder(tmp_path / "out")
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
