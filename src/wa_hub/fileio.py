"""Writing outputs so that a failed or interrupted command leaves nothing half-written and loses nothing.

Everything a command publishes as a folder is built in a sibling temp dir and renamed into place at the
end; an existing folder is only replaced when the caller allows it, only when wa-hub made it (it holds a
wa-hub `manifest.json` or `run.json`), never when it holds the command's inputs or the working directory,
and only after the new one is complete. Temp names carry their owner's pid (`.NAME.tmp-PID-*`), so a later
run removes what a killed one left (`sweep_stale`).
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import errno
import glob
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError, WaHubError

_KINDS = ("instruction-data", "benchmark")  # manifest.json `kind`s (wa_hub.schema)


def _json_object(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def made_by_wa_hub(folder: str | Path) -> bool:
    """`folder` holds a wa-hub dataset manifest.json or a run.json: what `--overwrite` may replace."""
    folder = Path(folder)
    manifest, run = _json_object(folder / "manifest.json"), _json_object(folder / "run.json")
    return manifest.get("kind") in _KINDS or ("method" in run and "base_model" in run)


def check_replaceable(out: str | Path, *, keep: Sequence[str | Path] = (), made: bool | None = None) -> None:
    """Refuse to replace `out` unless that loses nothing: not the working directory or a folder above it,
    not a folder that holds `keep` (a command's inputs, e.g. the raw dir), and a folder wa-hub made
    (`made`, default `made_by_wa_hub`) or an empty one."""
    out = Path(out)
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise UsageError(f"{out} is the working directory or holds it; --overwrite never replaces it")
    for k in keep:
        inside = Path(k).resolve()
        if inside == target or target in inside.parents:
            raise UsageError(f"{out} holds this command's input {k}; --overwrite never replaces it")
    if not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder wa-hub made; --overwrite never replaces it")
    if not (made_by_wa_hub(out) if made is None else made) and any(out.iterdir()):
        raise UsageError(
            f"{out} was not made by wa-hub (no wa-hub manifest.json or run.json in it); "
            "--overwrite only replaces a wa-hub output: choose another folder, or move it away yourself"
        )


def check_parents(path: str | Path) -> None:
    """No file stands where `path`'s folders go (`/etc/hostname/sub`): a UsageError naming it."""
    path = Path(path)
    for p in path.parents:
        if p.exists():
            if not p.is_dir():
                raise UsageError(f"{path}: {p} is a file, not a folder")
            return


def make_parents(path: str | Path) -> None:
    """Create `path`'s parent folders, or say in one line why they cannot be (a file in the way, ...)."""
    path = Path(path)
    check_parents(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WaHubError(f"{path}: cannot create the folder {path.parent}: {e.strerror}") from None


def check_out(out: str | Path, overwrite: bool = False, *, keep: Sequence[str | Path] = ()) -> None:
    """Whether `atomic_dir(out, overwrite, keep=keep)` may write `out`: run it before the work, so a refusal
    comes before minutes of building."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise UsageError(f"{out} already exists; pass --overwrite to replace it")
        check_replaceable(out, keep=keep)
    check_parents(out)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _temp_prefix(name: str, kind: str = "tmp") -> str:
    return f".{name}.{kind}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _owner_gone(entry: Path, prefix: str) -> bool:
    pid = entry.name[len(prefix) :].split("-", 1)[0]
    return pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))


def sweep_stale(path: str | Path) -> None:
    """Remove what killed runs left beside `path` (`.NAME.tmp-PID-*`, `.NAME.old-PID-*`, their owner gone).

    A run killed between moving the old `path` aside and moving the new one in leaves no `path`: the old
    one is put back, so `path` always holds the old state or the new one.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return
    for kind in ("old", "tmp"):
        prefix = f".{path.name}.{kind}-"
        for entry in sorted(path.parent.glob(glob.escape(prefix) + "*")):
            if not _owner_gone(entry, prefix):
                continue
            if kind == "old" and not path.exists() and not path.is_symlink():
                entry.rename(path)
            else:
                _remove(entry)


@contextlib.contextmanager
def atomic_dir(
    out: str | Path, overwrite: bool = False, *, keep: Sequence[str | Path] = ()
) -> Iterator[Path]:
    """Yield a temp dir next to `out`; on success it becomes `out`, on any failure it is removed.

    An existing `out` is replaced only with `overwrite`, and only when `check_replaceable` allows it
    (`keep`: the command's inputs, which it must not hold).
    """
    out = Path(out)
    check_out(out, overwrite, keep=keep)
    make_parents(out)
    sweep_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out.name), dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700; an ordinary mkdir would not
    try:
        yield tmp
        _move_into_place(tmp, out)
    except BaseException:
        _remove(tmp)  # the unfinished new folder, or after the swap the old one
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`); False where the system cannot.

    The standard library has no such call and no maintained package wraps it, so it is called here.
    """
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _move_into_place(tmp: Path, out: Path) -> None:
    """`tmp` becomes `out`. An existing `out` is swapped with it in one step and then removed, so `out`
    always holds the old state or the new one; where the system cannot swap, `out` is moved aside first
    (and `sweep_stale` puts it back when a kill comes between the two renames)."""
    if not (out.exists() or out.is_symlink()):
        tmp.rename(out)
        return
    if _exchange(tmp, out):
        _remove(tmp)  # now the old folder
        return
    old = out.parent / (_temp_prefix(out.name, "old") + secrets.token_hex(4))
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)
        raise
    _remove(old)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_dir(path: str | Path) -> Iterator[Path]:
    """A temp folder `.NAME.tmp-PID-*` beside `path`, removed when the block ends, however it ends; one a
    killed run left is swept first (`sweep_stale`). For work that is thrown away, not renamed into place."""
    path = Path(path)
    make_parents(path)
    sweep_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path.name), dir=path.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a file via a temp file + rename, so readers never see a partial file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file via a temp file + rename, so readers never see a partial file."""
    path = Path(path)
    make_parents(path)
    sweep_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), dir=path.parent)
    try:
        # mkstemp makes the file 0600; give it the permissions an ordinary open() would (0666 & ~umask).
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write pretty, key-stable JSON."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_text(path: str | Path, *, newline: str | None = None) -> str:
    """A UTF-8 text file, with clear errors: a missing file, or the line where the bytes stop being UTF-8.

    `newline` is `open()`'s: None translates every line ending to "\n"; "" keeps the text as it is. A byte
    order mark at the start is dropped (it is no part of the first line). Decoded whole, so an error names
    the line of the first bad byte wherever it is (a text stream decodes in chunks and counts within one).
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file")
    data = p.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise MalformedInputError(p, line, "UTF-8 text") from None
    return text if newline == "" else text.replace("\r\n", "\n").replace("\r", "\n")


def read_lines(path: str | Path) -> list[str]:
    """One sentence a line, exactly as the file has them (the reader of every one-sentence-a-line file).

    Splits on "\n" only: not `str.splitlines`, which also splits on U+2028, form feeds and other characters
    that occur inside sentences and would shift every later line, nor on a lone "\r" (universal newlines).
    Drops one "\r" at a line's end (CRLF files) and the empty string after the final newline, so a file
    holding just "\n" is one empty line and an empty file none.
    """
    text = read_text(path, newline="")
    if text == "":
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def sha256_file(path: str | Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_yaml(path: str | Path, expected: str) -> Any:
    """A YAML file (a spec, a recipe); invalid UTF-8 or YAML is one line naming the file and line."""
    import yaml

    try:
        return yaml.safe_load(read_text(path))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or type(e).__name__
        line = mark.line + 1 if mark is not None else None
        raise MalformedInputError(path, line, f"{expected} in valid YAML ({problem})") from None
