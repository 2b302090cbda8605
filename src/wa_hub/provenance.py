"""What a result needs to be reproduced: installed library versions (run.json, results.json)."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata


def library_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Python's version and each named distribution's installed version (None when not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
