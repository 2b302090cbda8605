"""Shared bits of the publishing tests: the fake token, the repos the fixtures publish, git read-backs."""

from __future__ import annotations

import subprocess
from pathlib import Path

FAKE_TOKEN = "hf_WaHubFakeTokenDoNotLeak0123456789abcd"

DATA_REPO = "acme/writing-instruct"
BENCH_REPO = "acme/writing-bench"
# what a model push names: the data and the benchmark as the session's hub has them (conftest.hub_template)
REFS = {"dataset_repo": f"{DATA_REPO}@v1.0.0", "bench_repo": f"{BENCH_REPO}@v1.0.0"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def show(repo: Path, rev_path: str) -> str:
    """`git show REV:PATH`, as the file is (no stripping)."""
    return subprocess.run(
        ["git", "-C", str(repo), "show", rev_path], capture_output=True, text=True, check=True
    ).stdout


def tree(repo: Path, rev: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", rev).splitlines())
