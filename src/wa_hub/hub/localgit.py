"""A local git-backed hub: `DIR/datasets/ORG/NAME` and `DIR/models/ORG/NAME`, the layout `olah` serves.

`olah` (with `offline = true` and `mirrors-path = [DIR]`) opens `DIR/<repo_type>s/ORG/NAME` with GitPython,
resolves revisions with git (`main`, a tag such as `v1.0.0`, a sha), lists `refs/heads` and `refs/tags`, and
reads LFS objects from `<repo>/.git/lfs/objects`; so the repos are ordinary non-bare repos on branch
`main`, large binaries go through git-lfs when it is installed (patterns as on the Hub), and every push is
one commit plus one annotated tag `vX.Y.Z`.

A push never touches the repo's refs until its commit exists: the files are staged in a temp dir and
committed with a temp index into the repo's object store, the annotated tag object is written, and then ONE
`git update-ref --stdin` transaction moves `main` (compare-and-swap on the commit it was read at) and creates
the tag together: killed at any step, the repo shows the old version or the new one, never a `main` on an
untagged commit. A new repo is built beside its final path and renamed in at the end. A lower version pushed
with `allow_older` is tagged without moving `main`.

One push at a time per org folder (an `flock` on `DIR/<type>s/ORG`); under that lock a push first removes
what a killed push left: `.NAME.tmp-*` folders, stale git lock files, a half-updated working tree. Staging
folders (`$TMPDIR/.wa-hub-push.tmp-PID-*`) are `wa_hub.fileio.scratch_dir`s, swept once their owner is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from wa_hub import fileio
from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub.backend import Files, Revision, immutable_error

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
TAG_TRAILER = "wa-hub-tag"  # the last line of every commit message: the version the commit is
LFS_ENV = "WA_HUB_GIT_LFS"  # "0": plain git blobs even where git-lfs is installed; "1": require git-lfs


@cache
def git_lfs_available() -> bool:
    """Whether `git lfs` runs here (it is a separate install: `apt-get install git-lfs`)."""
    try:
        return subprocess.run(["git", "lfs", "version"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def _git(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    lfs: bool = False,
    stdin: str | None = None,
) -> str:
    cmd = ["git", *(LFS_CONFIG if lfs else ()), *args]
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, input=stdin)
    except FileNotFoundError:
        raise WaHubError("git is not installed; the local hub (--hub-dir) needs git") from None
    if p.returncode != 0:
        why = " ".join((p.stderr.strip() or p.stdout.strip() or f"exit status {p.returncode}").split())
        raise WaHubError(f"git {' '.join(args[:2])} failed in {cwd or (env or {}).get('GIT_DIR')}: {why}")
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


STARTED = time.time()  # a git lock file older than this process, found under the push lock, is stale
# Lock files git leaves when it is killed; only wa-hub writes these repos, under the push lock.
GIT_LOCKS = ("index.lock", "HEAD.lock", "packed-refs.lock", "config.lock", "refs/**/*.lock")


class LocalGitBackend:
    """Repos under `root` as ordinary git repos (see the module docstring for the layout).

    `use_lfs`: None uses git-lfs when installed (or as `$WA_HUB_GIT_LFS` says), True requires it.
    """

    name = "local"

    def __init__(self, root: str | Path, use_lfs: bool | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        self.where = str(self.root)
        from huggingface_hub import constants

        self.endpoint = constants.ENDPOINT  # olah serves the hub there once HF_ENDPOINT points at it
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"--hub-dir {root}: not a folder (expected the local hub's folder, or no file)")
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

    def lookup(self, repo: str, repo_type: str, revision: str | None) -> Revision | None:
        path = self.repo_path(repo, repo_type)
        if not (path / ".git").is_dir():
            return None
        rev = revision or "main"
        found = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}"],
            cwd=path,
            capture_output=True,
            text=True,
        )
        if found.returncode != 0:
            return None
        sha = found.stdout.strip()
        files = _git("ls-tree", "-r", "-z", "--name-only", sha, cwd=path)
        return Revision(sha, tuple(f for f in files.split("\0") if f))

    def read(self, repo: str, repo_type: str, revision: str, path: str) -> bytes | None:
        found = self.lookup(repo, repo_type, revision)
        if found is None or path not in found.files:
            return None
        blob = subprocess.run(
            ["git", "cat-file", "blob", f"{found.sha}:{path}"],
            cwd=self.repo_path(repo, repo_type),
            capture_output=True,
        )
        return blob.stdout if blob.returncode == 0 else None

    def _check_repo(self, path: Path) -> None:
        if not (path / ".git").is_dir():
            raise WaHubError(f"{path} exists but is not a git repo of this hub (expected {path}/.git)")

    @contextlib.contextmanager
    def _push_lock(self, final: Path) -> Iterator[None]:
        """One push at a time per org folder: an flock on the folder itself (no lock file is left behind),
        dropped however the push ends; a second push waits for the first."""
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(final.parent, os.O_RDONLY)
        except OSError as e:
            raise UsageError(f"--hub-dir {self.root}: cannot write {final.parent} ({e.strerror})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                log.info("waiting for another wa-hub push into %s to finish", final.parent)
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _recover(self, final: Path) -> None:
        """Remove what a killed push to `final` left: its temp repos, git lock files, a stale working tree."""
        fileio.sweep_stale(final)
        if not (final / ".git").is_dir():
            return
        stale = [
            p
            for pattern in GIT_LOCKS
            for p in (final / ".git").glob(pattern)
            if p.is_file() and p.stat().st_mtime < STARTED
        ]
        for p in stale:
            p.unlink(missing_ok=True)
            log.warning("removed %s, left by an interrupted git command", p)
        self._checkout(final)  # a working tree a killed `git reset` left half-updated shows main again

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
        if private or gated:
            log.warning(
                "the local hub has no access control: %s is ignored (protect %s instead; the card states the "
                "terms)",
                "--private" if private else "--gated",
                self.root,
            )
        final = self.repo_path(repo, repo_type)
        with self._push_lock(final):
            self._recover(final)
            if tag in self.tags(repo, repo_type):
                raise immutable_error(repo, tag, self.where)
            with fileio.scratch_dir(Path(tempfile.gettempdir()) / "wa-hub-push") as stage:
                if final.exists():
                    sha = self._commit(final, files, stage, tag, message, move_main)
                else:
                    with fileio.atomic_dir(final) as work:  # built beside its path, renamed in at the end
                        _git("init", "-q", cwd=work)
                        _git("symbolic-ref", "HEAD", "refs/heads/main", cwd=work)
                        if self.use_lfs:
                            # Filters in the repo's own config: later `git` commands in it smudge LFS files.
                            _git("lfs", "install", "--local", cwd=work)
                        sha = self._commit(work, files, stage, tag, message, move_main)
            self._checkout(final)
        return {
            "repo": repo,
            "repo_type": repo_type,
            "revision": sha,
            "tag": tag,
            "url": final.as_uri(),
            "path": str(final),
        }

    def _commit(
        self, repo_dir: Path, files: Files, stage: Path, tag: str, message: str, move_main: bool
    ) -> str:
        tree_dir, index = stage / "tree", stage / "index"
        for name, src in files.items():
            _place(src, tree_dir / name)
        if self.use_lfs and ".gitattributes" not in files:
            lines = [f"{p} filter=lfs diff=lfs merge=lfs -text" for p in LFS_PATTERNS]
            (tree_dir / ".gitattributes").write_text("\n".join(lines) + "\n", encoding="utf-8")
        tree_dir.mkdir(exist_ok=True)
        git_dir = repo_dir / ".git"
        env = {
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(tree_dir),
            "GIT_INDEX_FILE": str(index),
            **_identity(repo_dir),
        }
        _git("add", "--all", "--force", ".", cwd=tree_dir, env=env, lfs=self.use_lfs)
        tree = _git("write-tree", cwd=tree_dir, env=env)
        parent = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "refs/heads/main^{commit}"],
            env={**os.environ, "GIT_DIR": str(git_dir)},
            capture_output=True,
            text=True,
        ).stdout.strip()
        parents = ["-p", parent] if parent else []
        full_message = f"{message}\n\n{TAG_TRAILER}: {tag}"
        commit = _git("commit-tree", tree, *parents, "-m", full_message, cwd=tree_dir, env=env)
        tagger = _git("var", "GIT_COMMITTER_IDENT", env=env)
        tag_obj = _git(
            "mktag",
            env=env,
            stdin=f"object {commit}\ntype commit\ntag {tag}\ntagger {tagger}\n\n{message}\n",
        )
        # One transaction: main moves (only if still at `parent`) and the tag appears, or nothing changes.
        old = parent or "0" * 40
        main = f"update refs/heads/main {commit} {old}" if move_main else f"verify refs/heads/main {old}"
        refs = f"{main}\ncreate refs/tags/{tag} {tag_obj}\n"
        _git("update-ref", "-m", message, "--stdin", env=env, stdin=refs)
        return commit

    def _checkout(self, repo_dir: Path) -> None:
        """Make the working tree show `main` (olah reads git objects; this is for people browsing DIR)."""
        try:
            _git("reset", "-q", "--hard", "main", cwd=repo_dir, lfs=self.use_lfs)
        except WaHubError as e:
            log.warning("pushed, but could not update the working tree of %s: %s", repo_dir, e)
