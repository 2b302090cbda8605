"""What a publishing backend does: put one set of files into a repo as ONE commit and tag it `vX.Y.Z`.

Both backends (the Hub through `HfApi`, a local git hub that `olah` serves) take the same plain data:
a mapping `path in repo -> file on disk | bytes`, which becomes the whole tree of the new commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wa_hub.errors import UsageError

REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")

Files = Mapping[str, Path | bytes]


@dataclass(frozen=True)
class Revision:
    """A revision of a repo as the hub resolves it: the commit sha and the files of that commit."""

    sha: str
    files: tuple[str, ...]


class Backend(Protocol):
    """Where repos live. `repo_type` is `dataset` or `model` (huggingface_hub's names)."""

    name: str
    where: str  # for messages: the hub folder, or the endpoint
    endpoint: str  # where clients read the repos (links in cards and eval results)

    def tags(self, repo: str, repo_type: str) -> list[str]:
        """The repo's tag names; empty when the repo does not exist yet."""
        ...

    def lookup(self, repo: str, repo_type: str, revision: str | None) -> Revision | None:
        """`revision` (a tag, branch or sha; None: `main`) of `repo`, or None when either does not exist."""
        ...

    def read(self, repo: str, repo_type: str, revision: str, path: str) -> bytes | None:
        """The bytes of a small text file at `revision` (not an LFS file), or None when it is not there."""
        ...

    def publish(
        self,
        repo: str,
        repo_type: str,
        files: Files,
        tag: str,
        *,
        private: bool,
        message: str,
        move_main: bool = True,
        gated: bool = False,
    ) -> dict[str, str]:
        """One commit whose tree is exactly `files`, then `tag` on it; nothing is tagged if anything fails.

        `move_main=False` (a version lower than the highest, pushed with --allow-older) tags the commit and
        leaves `main` where it is. `gated`: access needs the owner's approval (set before anything is
        uploaded). Returns `repo`, `repo_type`, `revision` (commit sha), `tag`, `url`.
        Raises UsageError when `tag` already exists (versions are immutable).
        """
        ...


def is_repo_id(value: str) -> bool:
    """`ORG/NAME` as the Hub spells it (huggingface_hub's `validate_repo_id`, and an org)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not REPO_ID.fullmatch(value) or ".." in value or value.endswith((".git", ".")):
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def check_repo_id(repo: str, option: str = "--repo") -> str:
    """`ORG/NAME` as the Hub spells it, or a UsageError saying what was expected."""
    if not is_repo_id(repo):
        raise UsageError(
            f"{option} {repo!r}: expected ORG/NAME (letters, digits, '-', '_', '.'), "
            "e.g. acme/writing-instruct"
        )
    return repo


def immutable_error(repo: str, tag: str, where: str) -> UsageError:
    return UsageError(
        f"{repo} {tag} already exists on {where}; published versions are immutable, "
        "push a new --version instead"
    )
