"""What a publishing backend does: put one set of files into a repo as ONE commit and tag it `vX.Y.Z`.

Both backends (the Hub through `HfApi`, a local git hub that `olah` serves) take the same plain data:
a mapping `path in repo -> file on disk | bytes`, which becomes the whole tree of the new commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from wa_hub.errors import UsageError

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

Files = Mapping[str, Path | bytes]


class Backend(Protocol):
    """Where repos live. `repo_type` is `dataset` or `model` (huggingface_hub's names)."""

    name: str

    def tags(self, repo: str, repo_type: str) -> list[str]:
        """The repo's tag names; empty when the repo does not exist yet."""
        ...

    def publish(
        self, repo: str, repo_type: str, files: Files, tag: str, *, private: bool, message: str
    ) -> dict[str, str]:
        """One commit whose tree is exactly `files`, then `tag` on it; nothing is tagged if anything fails.

        Returns `repo`, `repo_type`, `revision` (commit sha), `tag`, `url`. Raises UsageError when
        `tag` already exists (versions are immutable).
        """
        ...


def check_repo_id(repo: str) -> str:
    """`ORG/NAME` as the Hub spells it, or a UsageError saying what was expected."""
    if not REPO_ID.match(repo) or ".." in repo or repo.endswith((".git", ".")):
        raise UsageError(
            f"--repo {repo!r}: expected ORG/NAME (letters, digits, '-', '_', '.'), e.g. acme/writing-instruct"
        )
    return repo


def parse_version(version: str) -> tuple[int, int, int]:
    """`X.Y.Z` (or `vX.Y.Z`) as numbers; a UsageError for anything else."""
    m = VERSION.match(version.strip())
    if not m:
        raise UsageError(f"--version {version!r}: expected a semantic version X.Y.Z, e.g. 1.0.0")
    return int(m[1]), int(m[2]), int(m[3])


def version_tag(version: str) -> str:
    """The git tag of a version: `vX.Y.Z`."""
    return "v{}.{}.{}".format(*parse_version(version))


def immutable_error(repo: str, tag: str, where: str) -> UsageError:
    return UsageError(
        f"{repo} {tag} already exists on {where}; published versions are immutable, "
        "push a new --version instead"
    )
