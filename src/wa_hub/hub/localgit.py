"""A local git-backed hub: `DIR/datasets/ORG/NAME` and `DIR/models/ORG/NAME`, the layout `olah` serves.

`olah` (with `offline = true` and `mirrors-path = [DIR]`) opens `DIR/<repo_type>s/ORG/NAME` with GitPython,
resolves revisions with git (`main`, a tag such as `v1.0.0`, a sha), lists `refs/heads` and `refs/tags`, and
reads LFS objects from `<repo>/.git/lfs/objects`; so the repos are ordinary non-bare repos on branch
`main`, large binaries go through git-lfs when it is installed (patterns as on the Hub), and every push is
one commit plus one annotated tag `vX.Y.Z`.

A push never touches the repo until its commit exists: the files are staged in a temp dir and committed
with a temp index into the repo's object store, then `main` is moved with a compare-and-swap
(`git update-ref NEW OLD`) and tagged. A new repo is built beside its final path and renamed in at the end,
so a failed push leaves nothing behind and an existing repo as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub.backend import Files, immutable_error

log = logging.getLogger(__name__)

# The Hub's default .gitattributes (what `create_repo` writes): these go through LFS.
LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz", "*.h5", "*.joblib",
    "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet",
    "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*",
    "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
)  # fmt: skip
LFS_CONFIG = (
    "-c", "filter.lfs.clean=git-lfs clean -- %f",
    "-c", "filter.lfs.smudge=git-lfs smudge -- %f",
    "-c", "filter.lfs.process=git-lfs filter-process",
    "-c", "filter.lfs.required=true",
)  # fmt: skip
DEFAULT_IDENTITY = ("wa-hub", "wa-hub@localhost")
LFS_ENV = "WA_HUB_GIT_LFS"  # "0": plain git blobs even where git-lfs is installed; "1": require git-lfs


@cache
def git_lfs_available() -> bool:
    """Whether `git lfs` runs here (it is a separate install: `apt-get install git-lfs`)."""
    try:
        return subprocess.run(["git", "lfs", "version"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def _git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, lfs: bool = False) -> str:
    cmd = ["git", *(LFS_CONFIG if lfs else ()), *args]
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    except FileNotFoundError:
        raise WaHubError("git is not installed; the local hub (--hub-dir) needs git") from None
    if p.returncode != 0:
        raise WaHubError(
            f"git {' '.join(args[:2])} failed in {cwd or env}: {p.stderr.strip() or p.stdout.strip()}"
        )
    return p.stdout.strip()


def _identity(repo: Path) -> dict[str, str]:
    """The committer: the user's git identity when configured, else `wa-hub <wa-hub@localhost>`."""
    env = {}
    for key, var, default in (
        ("user.name", "NAME", DEFAULT_IDENTITY[0]),
        ("user.email", "EMAIL", DEFAULT_IDENTITY[1]),
    ):
        p = subprocess.run(["git", "config", key], cwd=repo, capture_output=True, text=True)
        value = p.stdout.strip() or default
        env[f"GIT_AUTHOR_{var}"] = env[f"GIT_COMMITTER_{var}"] = value
    return env


def _place(src: Path | bytes, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(src, bytes):
        dst.write_bytes(src)
        return
    try:
        os.link(src, dst)  # same file system: no copy of multi-GB weights
    except OSError:
        shutil.copy2(src, dst)


class LocalGitBackend:
    """Repos under `root` as ordinary git repos (see the module docstring for the layout).

    `use_lfs`: None uses git-lfs when installed (or as `$WA_HUB_GIT_LFS` says), True requires it.
    """

    name = "local"

    def __init__(self, root: str | Path, use_lfs: bool | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        if use_lfs is None and os.environ.get(LFS_ENV, "").strip() in ("0", "1"):
            use_lfs = os.environ[LFS_ENV].strip() == "1"
        self.use_lfs = git_lfs_available() if use_lfs is None else use_lfs
        if self.use_lfs and not git_lfs_available():
            raise UsageError(
                "git-lfs is not installed (`git lfs version` fails); install it or push without LFS"
            )

    def repo_path(self, repo: str, repo_type: str) -> Path:
        return self.root / f"{repo_type}s" / repo

    def tags(self, repo: str, repo_type: str) -> list[str]:
        path = self.repo_path(repo, repo_type)
        if not path.exists():
            return []
        self._check_repo(path)
        out = _git("tag", "--list", cwd=path)
        return out.splitlines()

    def _check_repo(self, path: Path) -> None:
        if not (path / ".git").is_dir():
            raise WaHubError(f"{path} exists but is not a git repo of this hub (expected {path}/.git)")

    def publish(
        self, repo: str, repo_type: str, files: Files, tag: str, *, private: bool, message: str
    ) -> dict[str, str]:
        if private:
            log.warning(
                "the local hub has no access control: --private is ignored (protect %s instead)", self.root
            )
        final = self.repo_path(repo, repo_type)
        if tag in self.tags(repo, repo_type):
            raise immutable_error(repo, tag, str(self.root))
        final.parent.mkdir(parents=True, exist_ok=True)
        new = not final.exists()
        work = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent)) if new else final
        stage = Path(tempfile.mkdtemp(prefix="wa-hub-push-"))
        try:
            if new:
                _git("init", "-q", cwd=work)
                _git("symbolic-ref", "HEAD", "refs/heads/main", cwd=work)
                if self.use_lfs:
                    # Filters in the repo's own config, so later `git` commands in it smudge LFS files too.
                    _git("lfs", "install", "--local", cwd=work)
            sha = self._commit(work, files, stage, tag, message)
            if new:
                try:
                    work.rename(final)
                except OSError:
                    raise WaHubError(
                        f"{final} appeared while pushing (another push?); nothing was changed"
                    ) from None
        except BaseException:
            if new:
                shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        self._checkout(final)
        return {
            "repo": repo,
            "repo_type": repo_type,
            "revision": sha,
            "tag": tag,
            "url": final.as_uri(),
            "path": str(final),
        }

    def _commit(self, repo_dir: Path, files: Files, stage: Path, tag: str, message: str) -> str:
        for name, src in files.items():
            _place(src, stage / name)
        if self.use_lfs and ".gitattributes" not in files:
            lines = [f"{p} filter=lfs diff=lfs merge=lfs -text" for p in LFS_PATTERNS]
            (stage / ".gitattributes").write_text("\n".join(lines) + "\n", encoding="utf-8")
        git_dir = repo_dir / ".git"
        index = stage.parent / f"{stage.name}.index"
        env = {
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(stage),
            "GIT_INDEX_FILE": str(index),
            **_identity(repo_dir),
        }
        try:
            _git("add", "--all", "--force", ".", cwd=stage, env=env, lfs=self.use_lfs)
            tree = _git("write-tree", cwd=stage, env=env)
        finally:
            index.unlink(missing_ok=True)
        parent = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "refs/heads/main^{commit}"],
            env={**os.environ, "GIT_DIR": str(git_dir)},
            capture_output=True,
            text=True,
        ).stdout.strip()
        parents = ["-p", parent] if parent else []
        commit = _git("commit-tree", tree, *parents, "-m", message, cwd=stage, env=env)
        # Compare-and-swap: fails if someone else moved main since we read it.
        _git("update-ref", "-m", message, "refs/heads/main", commit, parent or "0" * 40, env=env)
        try:
            _git("tag", "-a", tag, "-m", message, commit, env=env)
        except WaHubError:
            _git("update-ref", "refs/heads/main", parent, commit, env=env) if parent else _git(
                "update-ref", "-d", "refs/heads/main", commit, env=env
            )
            raise
        return commit

    def _checkout(self, repo_dir: Path) -> None:
        """Make the working tree show `main` (olah reads git objects; this is for people browsing DIR)."""
        try:
            _git("reset", "-q", "--hard", "main", cwd=repo_dir, lfs=self.use_lfs)
        except WaHubError as e:
            log.warning("pushed, but could not update the working tree of %s: %s", repo_dir, e)
