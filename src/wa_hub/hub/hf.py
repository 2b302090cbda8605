"""The Hugging Face Hub (or any server speaking its API, `HF_ENDPOINT`) through `huggingface_hub.HfApi`.

`create_repo(exist_ok=True)`, then ONE `create_commit` whose operations add every file (and delete files
of the previous version that are not in this one, so the tag is exactly the folder pushed), with
`parent_commit` set so a concurrent push fails instead of being overwritten, then `create_tag vX.Y.Z` on
that commit. A failed commit raises before any tag is created.

Large files go through Xet when `hf_xet` is installed and `HF_HUB_DISABLE_XET` is not set (the Hub's
default), otherwise through the classic LFS batch API; both are handled inside huggingface_hub.
"""

from __future__ import annotations

from typing import Any

from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub.backend import Files, immutable_error
from wa_hub.hub.secrets import known_token, redact


class HfBackend:
    """Repos on the Hub at `HF_ENDPOINT` (default https://huggingface.co)."""

    name = "hub"

    def __init__(self, token: str | None = None, endpoint: str | None = None) -> None:
        from huggingface_hub import HfApi

        self.api = HfApi(endpoint=endpoint, token=token)
        self._secret = known_token(token)

    def _error(self, e: Exception, doing: str) -> WaHubError:
        from huggingface_hub.errors import HfHubHTTPError

        msg = redact(str(e), [self._secret])
        if isinstance(e, HfHubHTTPError) and e.response is not None and e.response.status_code in (401, 403):
            return UsageError(
                f"{doing} was refused by {self.api.endpoint} ({e.response.status_code}): {msg}\n"
                "log in with `hf auth login` or set HF_TOKEN to a token with write access"
            )
        return WaHubError(f"{doing} failed on {self.api.endpoint}: {msg}")

    def tags(self, repo: str, repo_type: str) -> list[str]:
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

        try:
            refs = self.api.list_repo_refs(repo, repo_type=repo_type)
        except RepositoryNotFoundError:
            return []
        except HfHubHTTPError as e:
            raise self._error(e, f"listing the tags of {repo}") from None
        return [t.name for t in refs.tags]

    def publish(
        self, repo: str, repo_type: str, files: Files, tag: str, *, private: bool, message: str
    ) -> dict[str, str]:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

        doing = f"pushing {repo} {tag}"
        try:
            # private=None keeps the Hub's (or the org's) default visibility for a new repo.
            self.api.create_repo(repo, repo_type=repo_type, private=True if private else None, exist_ok=True)
            refs = self.api.list_repo_refs(repo, repo_type=repo_type)
            if tag in {t.name for t in refs.tags}:
                raise immutable_error(repo, tag, self.api.endpoint)
            main = next((b.target_commit for b in refs.branches if b.name == "main"), None)
            old: list[str] = []
            if main is not None:
                old = self.api.list_repo_files(repo, repo_type=repo_type, revision=main)
            ops: list[Any] = [
                CommitOperationAdd(
                    path_in_repo=name, path_or_fileobj=src if isinstance(src, bytes) else str(src)
                )
                for name, src in sorted(files.items())
            ]
            # The Hub writes .gitattributes itself at creation: keep it, it routes binaries to LFS/Xet.
            ops += [CommitOperationDelete(p) for p in old if p not in files and p != ".gitattributes"]
            commit = self.api.create_commit(
                repo,
                ops,
                commit_message=message,
                repo_type=repo_type,
                revision="main",
                parent_commit=main,
            )
        except (RepositoryNotFoundError, HfHubHTTPError, ValueError, OSError) as e:
            raise self._error(e, doing) from None
        try:
            self.api.create_tag(repo, tag=tag, tag_message=message, revision=commit.oid, repo_type=repo_type)
        except HfHubHTTPError as e:
            if e.response is not None and e.response.status_code == 409:
                raise immutable_error(repo, tag, self.api.endpoint) from None
            raise self._error(e, f"tagging commit {commit.oid} of {repo} as {tag}") from None
        prefix = "datasets/" if repo_type == "dataset" else ""
        return {
            "repo": repo,
            "repo_type": repo_type,
            "revision": commit.oid,
            "tag": tag,
            "url": f"{self.api.endpoint}/{prefix}{repo}/tree/{tag}",
        }
