"""Writing outputs so that a failed or interrupted command leaves nothing half-written.

Everything a command publishes as a folder is built in a sibling temp dir and renamed into place
at the end; an existing folder is only replaced when the caller allows it, and then only after the
new one is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError


@contextlib.contextmanager
def atomic_dir(out: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temp dir next to `out`; on success it becomes `out`, on any failure it is removed."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise UsageError(f"{out} already exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a file via a temp file + rename, so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes the file 0600; give it the permissions an ordinary open() would (0666 & ~umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
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

    `newline` is `open()`'s: None translates every line ending to "\n"; "" keeps the text as it is.
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file")
    try:
        with open(p, encoding="utf-8", newline=newline) as f:
            return f.read()
    except UnicodeDecodeError as e:
        line = p.read_bytes()[: e.start].count(b"\n") + 1
        raise MalformedInputError(p, line, "UTF-8 text") from None


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
