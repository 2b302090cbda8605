"""The Hugging Face Hub (or any server speaking its API, `HF_ENDPOINT`) through `huggingface_hub.HfApi`.

`create_repo(exist_ok=True)`, then ONE `create_commit` whose operations add every file (and delete files
of the previous version that are not in this one, so the tag is exactly the folder pushed), with
`parent_commit` set so a concurrent push fails instead of being overwritten, then `create_tag vX.Y.Z` on
that commit. A failed commit raises before any tag is created.

The Hub has no transaction over a commit and a tag, so a push killed between the two leaves `main` on an
untagged commit. Every commit says which version it is (`wa-hub-tag: vX.Y.Z` in its description), so the
next push finishes the interrupted one first: it tags that commit (the commit itself is complete, the Hub
writes it whole) and only then stacks its own version on it. A version lower than the highest
(`move_main=False`) is committed on a temporary branch `wa-hub-push-vX.Y.Z`, tagged, and the branch
deleted, so `main` never moves back; a branch left by a killed push is deleted by the next one.

Large files go through Xet when `hf_xet` is installed and `HF_HUB_DISABLE_XET` is not set (the Hub's
default), otherwise through the classic LFS batch API; both are handled inside huggingface_hub. A Hub that
cannot be reached, or offline mode, is one line naming the endpoint, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub.backend import Files, Revision, immutable_error
from wa_hub.hub.localgit import TAG_TRAILER
from wa_hub.hub.secrets import known_token, redact
from wa_hub.versions import is_version

log = logging.getLogger(__name__)

T = TypeVar("T")
SIDE_BRANCH = "wa-hub-push-"  # + the tag: where a lower version is committed without moving main


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's "cannot talk to the server" errors (httpx2 in huggingface_hub 2.x, httpx in 1.x)."""
    found: list[type[BaseException]] = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


class HfBackend:
    """Repos on the Hub at `HF_ENDPOINT` (default https://huggingface.co)."""

    name = "hub"

    def __init__(self, token: str | None = None, endpoint: str | None = None) -> None:
        from huggingface_hub import HfApi

        self.api = HfApi(endpoint=endpoint, token=token)
        self.where = self.endpoint = self.api.endpoint
        self._secret = known_token(token)

    def _call(self, doing: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, with every way the Hub can fail turned into one redacted line."""
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

        try:
            return fn(*args, **kwargs)
        except OfflineModeIsEnabled:
            raise UsageError(
                f"{doing}: huggingface_hub is in offline mode (HF_HUB_OFFLINE=1); unset it to reach "
                f"{self.where}, or push to a local hub with --hub-dir"
            ) from None
        except HfHubHTTPError as e:
            msg = " ".join(redact(str(e), [self._secret]).split())
            status = e.response.status_code if e.response is not None else None
            if status in (401, 403):
                raise UsageError(
                    f"{doing} was refused by {self.where} ({status}): {msg}; log in with `hf auth login` "
                    "or set HF_TOKEN to a token with write access"
                ) from None
            raise WaHubError(f"{doing} failed on {self.where}: {msg}") from None
        except Exception as e:
            msg = " ".join(redact(str(e), [self._secret]).split()) or type(e).__name__
            if isinstance(e, _transport_errors()):
                raise WaHubError(
                    f"{doing}: cannot reach {self.where} ({msg}); check the network and HF_ENDPOINT"
                ) from None
            if isinstance(e, (OSError, ValueError)):
                raise WaHubError(f"{doing} failed: {msg}") from None
            raise

    def tags(self, repo: str, repo_type: str) -> list[str]:
        from huggingface_hub.errors import RepositoryNotFoundError

        def refs() -> Any:
            try:
                return self.api.list_repo_refs(repo, repo_type=repo_type)
            except RepositoryNotFoundError:
                return None

        found = self._call(f"listing the tags of {repo}", refs)
        return [] if found is None else [t.name for t in found.tags]

    def lookup(self, repo: str, repo_type: str, revision: str | None) -> Revision | None:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        def info() -> Any:
            try:
                return self.api.repo_info(repo, repo_type=repo_type, revision=revision)
            except (RepositoryNotFoundError, RevisionNotFoundError):
                return None

        found = self._call(f"looking up {repo}@{revision or 'main'}", info)
        if found is None:
            return None
        return Revision(found.sha, tuple(s.rfilename for s in found.siblings or ()))

    def read(self, repo: str, repo_type: str, revision: str, path: str) -> bytes | None:
        from huggingface_hub.errors import (
            EntryNotFoundError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        def download() -> bytes | None:
            with tempfile.TemporaryDirectory(prefix="wa-hub-read-") as cache:
                try:
                    got = self.api.hf_hub_download(
                        repo, path, repo_type=repo_type, revision=revision, cache_dir=cache
                    )
                except LocalEntryNotFoundError:  # the Hub did not answer: not "the file is not there"
                    raise WaHubError(
                        f"reading {path} of {repo}: cannot reach {self.where}; check the network, HF_ENDPOINT"
                    ) from None
                except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
                    return None
                return Path(got).read_bytes()

        return self._call(f"reading {path} of {repo}@{revision}", download)

    def _finish_interrupted(self, repo: str, repo_type: str, refs: Any) -> Any:
        """Tag the commit an interrupted push left untagged on `main`; delete its side branches."""
        tagged = {t.target_commit for t in refs.tags}
        names = {t.name for t in refs.tags}
        changed = False
        for b in refs.branches:
            if b.name.startswith(SIDE_BRANCH):
                self._call(f"deleting {b.name} of {repo}", self.api.delete_branch, repo, branch=b.name,
                           repo_type=repo_type)  # fmt: skip
                log.warning("deleted branch %s of %s, left by an interrupted push", b.name, repo)
                changed = True
        main = next((b.target_commit for b in refs.branches if b.name == "main"), None)
        if main is not None and main not in tagged:
            head = self._call(
                f"reading the last commit of {repo}", self.api.list_repo_commits, repo, repo_type=repo_type
            )[0]
            tag = _trailer_tag(head.message)
            if tag and tag not in names:
                self._call(f"tagging {main} of {repo} as {tag}", self.api.create_tag, repo, tag=tag,
                           tag_message=head.title, revision=main, repo_type=repo_type)  # fmt: skip
                log.warning("%s %s: finished an interrupted push (commit %s had no tag)", repo, tag, main)
                changed = True
        if not changed:
            return refs
        return self._call(f"listing the refs of {repo}", self.api.list_repo_refs, repo, repo_type=repo_type)

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
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        doing = f"pushing {repo} {tag}"
        # private=None keeps the Hub's (or the org's) default visibility for a new repo.
        self._call(doing, self.api.create_repo, repo, repo_type=repo_type, private=True if private else None,
                   exist_ok=True)  # fmt: skip
        if gated:  # before any file is uploaded: access needs the owner's approval
            self._call(doing, self.api.update_repo_settings, repo, gated="manual", repo_type=repo_type)
        refs = self._call(doing, self.api.list_repo_refs, repo, repo_type=repo_type)
        refs = self._finish_interrupted(repo, repo_type, refs)
        if tag in {t.name for t in refs.tags}:
            raise immutable_error(repo, tag, self.where)
        main = next((b.target_commit for b in refs.branches if b.name == "main"), None)
        old: list[str] = []
        if main is not None:
            old = self._call(doing, self.api.list_repo_files, repo, repo_type=repo_type, revision=main)
        ops: list[Any] = [
            CommitOperationAdd(path_in_repo=name, path_or_fileobj=src if isinstance(src, bytes) else str(src))
            for name, src in sorted(files.items())
        ]
        # The Hub writes .gitattributes itself at creation: keep it, it routes binaries to LFS/Xet.
        ops += [CommitOperationDelete(p) for p in old if p not in files and p != ".gitattributes"]
        branch = "main" if move_main else SIDE_BRANCH + tag
        if not move_main:
            self._call(doing, self.api.create_branch, repo, branch=branch, revision=main, repo_type=repo_type)
        commit = self._call(
            doing,
            self.api.create_commit,
            repo,
            ops,
            commit_message=message,
            commit_description=f"{TAG_TRAILER}: {tag}",
            repo_type=repo_type,
            revision=branch,
            parent_commit=main,
        )

        def tag_it() -> None:
            from huggingface_hub.errors import HfHubHTTPError

            try:
                self.api.create_tag(
                    repo, tag=tag, tag_message=message, revision=commit.oid, repo_type=repo_type
                )
            except HfHubHTTPError as e:
                if e.response is not None and e.response.status_code == 409:
                    raise immutable_error(repo, tag, self.where) from None
                raise

        self._call(f"tagging commit {commit.oid} of {repo} as {tag}", tag_it)
        if not move_main:
            self._call(doing, self.api.delete_branch, repo, branch=branch, repo_type=repo_type)
        prefix = "datasets/" if repo_type == "dataset" else ""
        return {
            "repo": repo,
            "repo_type": repo_type,
            "revision": commit.oid,
            "tag": tag,
            "url": f"{self.where}/{prefix}{repo}/tree/{tag}",
        }


def _trailer_tag(message: str | None) -> str | None:
    """The version a wa-hub commit says it is (`wa-hub-tag: vX.Y.Z`), or None."""
    for line in reversed((message or "").splitlines()):
        key, _, value = line.partition(":")
        if key.strip() == TAG_TRAILER and is_version(value.strip()):
            return value.strip()
    return None
