"""Errors a user can act on. The CLI prints their message (no traceback) and exits with `exit_code`."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class WaHubError(Exception):
    """A failure caused by input or environment, explained in its message."""

    exit_code = 1


class UsageError(WaHubError):
    """Wrong options or missing inputs (exit code 2, like a CLI usage error)."""

    exit_code = 2


class MalformedInputError(WaHubError):
    """A line of a raw file that does not have the documented format."""

    def __init__(self, path: str | Path, line: int | None, expected: str, got: str | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        msg = f"{where}: expected {expected}"
        if got is not None:
            shown = got if len(got) <= 120 else got[:117] + "..."
            msg += f", got {shown!r}"
        super().__init__(msg)
        self.path = str(path)
        self.line = line
        self.expected = expected


class MissingFilesError(UsageError):
    """Every raw file that is missing, listed at once with where to get it."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        lines = [f"{len(missing)} raw file(s) missing:"]
        lines += [f"  - {path}  (get it from: {hint})" for path, hint in missing]
        super().__init__("\n".join(lines))
        self.missing = missing


# What the machine says when it cannot take a command's output: the user can fix each (free space, fix
# permissions, choose another path), so the CLI prints one line for them, never a traceback.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "free some space, or write elsewhere, and run it again",
    errno.EDQUOT: "free some space, or write elsewhere, and run it again",
    errno.EACCES: "check the permissions, or write elsewhere",
    errno.EPERM: "check the permissions, or write elsewhere",
    errno.EROFS: "write elsewhere",
    errno.ENAMETOOLONG: "choose a shorter path",
}


def environment_error(e: OSError) -> WaHubError | None:
    """The one-line error for an OSError a user can act on (disk full, no permission, ...), else None."""
    code = e.errno or 0
    hint = _ENVIRONMENT_ERRNOS.get(code)
    if hint is None:
        return None
    where = f"{e.filename}: " if e.filename else ""
    return WaHubError(f"{where}{os.strerror(code)}; {hint}")


TRAIN_EXTRA = ("torch", "transformers", "peft", "accelerate", "trl")  # what `wa-hub[train]` adds


def require_train_extra(command: str) -> None:
    """`wa-hub COMMAND` loads or trains a model: one line naming the extra when its libraries are absent
    (plain `pip install wa-hub` scores, builds data and publishes without them)."""
    import importlib.util

    missing = [m for m in TRAIN_EXTRA if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(
            f"wa-hub {command} needs the train extra ({', '.join(missing)} not installed): "
            "pip install 'wa-hub[train]' (on a machine without a GPU, install the CPU build of torch first)"
        )
