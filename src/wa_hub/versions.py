"""Dataset and model versions: `X.Y.Z`, read with `packaging.version`, the one check for build and push.

`build-data --version`, `build-bench --version` and `wa-hub push --version` all go through `parse_version`,
so a version is accepted or refused the same way everywhere: three numbers in canonical form (no leading
zeros, no pre-release or local part, no stray whitespace or newline), optionally written with a leading
`v`. Pushed versions are tagged `vX.Y.Z`.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from wa_hub.errors import UsageError


def parse_version(text: str, option: str = "--version") -> Version:
    """`X.Y.Z` or `vX.Y.Z` as a `Version`; anything else is a UsageError naming `option`."""
    bare = text[1:] if text.startswith("v") else text
    try:
        v = Version(bare)
    except InvalidVersion:
        v = None
    if v is None or v.epoch or len(v.release) != 3 or v.base_version != bare or str(v) != bare:
        raise UsageError(f"{option} {text!r}: expected a version X.Y.Z (three numbers, e.g. 1.0.0)")
    return v


def is_version(text: str) -> bool:
    """Whether `text` is a version `parse_version` accepts (tags that are not versions are ignored)."""
    try:
        parse_version(text)
    except UsageError:
        return False
    return True


def version_tag(version: str) -> str:
    """The git tag of a version: `vX.Y.Z`."""
    return f"v{parse_version(version)}"


def highest(tags: list[str]) -> Version | None:
    """The highest version among `tags` (non-version tags ignored), or None."""
    versions = [parse_version(t) for t in tags if is_version(t)]
    return max(versions) if versions else None
