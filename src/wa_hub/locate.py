"""A command's input is a local path or a Hub repo id: decided once, before any work, in one line if neither.

`transformers` and `datasets` take any string that is not an existing path for a Hub id and retry the
network for 30-50 s before failing (offline, a typo in a path). `locate` settles it first:

- an existing path is local;
- a string that cannot be a Hub id (`./x`, `a/b/c`, `~/x`, `C:\\x`), or whose first part is a local folder
  (`runs/nope` where `runs/` exists), is a missing local path: a UsageError now;
- anything else is a Hub id, asked about once with a short timeout: a repo the Hub does not have, or a Hub
  that cannot be reached (offline, `HF_HUB_OFFLINE`) for a repo not in the local Hub cache, is a UsageError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from wa_hub.errors import UsageError

RepoType = Literal["model", "dataset"]
TIMEOUT_S = 10.0


def _not_a_hub_id(value: str) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError:
        return True
    first = Path(value).parts[0] if "/" in value else None
    return first is not None and Path(first).is_dir()


def in_hub_cache(repo: str, repo_type: RepoType) -> bool:
    """The repo has a snapshot in the local Hub cache (what offline loading reads)."""
    from huggingface_hub import constants

    folder = Path(constants.HF_HUB_CACHE) / f"{repo_type}s--{repo.replace('/', '--')}"
    return (folder / "snapshots").is_dir()


def locate(
    value: str, what: str, repo_type: RepoType, revision: str | None = None, hint: str = ""
) -> Path | None:
    """`value` as a local path (returned), or None for a Hub repo the Hub has (or the cache holds).

    `what` names the input in errors, e.g. "--bench build/writing-bench" or "model runs/nope"; `hint`
    (what to do instead) ends them.
    """
    try:
        return _locate(value, what, repo_type, revision)
    except UsageError as e:
        raise UsageError(f"{e}; {hint}" if hint else str(e)) from None


def _locate(value: str, what: str, repo_type: RepoType, revision: str | None) -> Path | None:
    path = Path(value)
    if path.exists():
        return path
    if _not_a_hub_id(value):
        raise UsageError(f"{what}: no such folder")
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    kind = "model repo" if repo_type == "model" else "dataset repo"
    if constants.HF_HUB_OFFLINE:
        if in_hub_cache(value, repo_type):
            return None
        raise UsageError(
            f"{what}: no such local folder, and not in the Hub cache ({constants.HF_HUB_CACHE}) while "
            "HF_HUB_OFFLINE is set"
        )
    try:
        HfApi().repo_info(value, repo_type=repo_type, revision=revision, timeout=TIMEOUT_S)
    except RevisionNotFoundError:
        raise UsageError(f"{what}: the Hub {kind} {value} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise UsageError(
            f"{what}: no such local folder, and no Hub {kind} {value} (or it is private: log in with "
            "`hf auth login` or set HF_TOKEN)"
        ) from None
    except Exception as e:  # offline, a proxy, a timeout: huggingface_hub raises many kinds
        if in_hub_cache(value, repo_type):
            return None
        reason = str(e).splitlines()[0] if str(e) else ""
        raise UsageError(
            f"{what}: no such local folder, and the Hub cannot be reached to look for the {kind} "
            f"({type(e).__name__}: {reason})"
        ) from None
    return None
