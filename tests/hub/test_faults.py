"""Fault injection: a push killed at every step leaves the old version or the new one, and no temp folder.

Local hub: a `git` on PATH counts the push's git commands and, at the chosen one, either dies (the push sees
a failed command and cleans up) or SIGKILLs the push itself (nothing of wa-hub runs after that; the next push
sweeps what was left). The Hub: the recording test server kills the pushing process when a chosen request
arrives. Each push runs in a forked child, so it can be killed without taking the test with it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fakehub import FakeHub, Request

from wa_hub.hub import push

REPO = "acme/writing-instruct"

WRAPPER = """#!/bin/sh
# Only the push's own git commands count (git-lfs runs git too, as a grandchild).
if [ "$PPID" = "$WA_HUB_TEST_PUSH_PID" ]; then
  n=$(( $(cat "$WA_HUB_TEST_COUNTER" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$WA_HUB_TEST_COUNTER"
  { printf '%s' "$n"; for a in "$@"; do printf '\037%s' "$a"; done; echo; } >> "$WA_HUB_TEST_LOG"
  if [ "$n" = "$WA_HUB_TEST_KILL_AT" ]; then
    [ "$WA_HUB_TEST_MODE" = push ] && kill -9 "$WA_HUB_TEST_PUSH_PID"
    kill -9 $$
  fi
fi
exec {git} "$@"
"""


def in_child(fn: Callable[[], object], env: dict[str, str] | None = None) -> int:
    """Run `fn` in a forked child (a process of its own, with its own pid); its exit code, or -signal."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.environ.update(env or {})
            os.environ["WA_HUB_TEST_PUSH_PID"] = str(os.getpid())
            fn()
        except BaseException:
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True).stdout.strip()


def refs(repo: Path) -> dict[str, str]:
    """ref name -> the commit it names."""
    out = {}
    for line in git(repo, "show-ref").splitlines():
        _, name = line.split()
        out[name] = git(repo, "rev-parse", f"{name}^{{commit}}")
    return out


def leftovers(hub: Path, tmp: Path) -> list[str]:
    """Every temp folder of a push: staging in $TMPDIR, new repos beside their final path."""
    found = [p.name for p in tmp.glob(".wa-hub-push.tmp-*")]
    org = hub / "datasets" / "acme"
    found += [p.name for p in org.glob(".*")] if org.is_dir() else []
    return found


@pytest.fixture
def folders(data_versions: dict[str, Path]) -> dict[str, Path]:
    return data_versions


@pytest.fixture
def wrapper(tmp_path: Path) -> dict[str, str]:
    real = shutil.which("git")
    assert real
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(WRAPPER.replace("{git}", real))
    (bin_dir / "git").chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "WA_HUB_TEST_COUNTER": str(tmp_path / "count"),
        "WA_HUB_TEST_LOG": str(tmp_path / "git.log"),
    }


def run_killed(wrapper: dict[str, str], tmp_path: Path, folder: Path, hub: Path, at: int, mode: str) -> int:
    Path(wrapper["WA_HUB_TEST_COUNTER"]).unlink(missing_ok=True)
    env = {**wrapper, "WA_HUB_TEST_KILL_AT": str(at), "WA_HUB_TEST_MODE": mode}
    return in_child(lambda: push(folder, REPO, hub_dir=hub), env)


def steps(wrapper: dict[str, str], tmp_path: Path, folder: Path, hub: Path) -> list[str]:
    """The push's git commands, in order, from a push that is not killed."""
    Path(wrapper["WA_HUB_TEST_LOG"]).unlink(missing_ok=True)
    assert run_killed(wrapper, tmp_path, folder, hub, 0, "none") == 0
    names = []
    for record in re.split(r"\n(?=\d+\x1f)", Path(wrapper["WA_HUB_TEST_LOG"]).read_text()):
        args = record.split("\x1f")[1:]  # (a commit message may hold newlines)
        while args[0] == "-c":  # git -c key=value ... subcommand
            args = args[2:]
        names.append(args[0])
    return names


@pytest.mark.parametrize("mode", ["git", "push"])
def test_killed_at_every_git_step_the_local_hub_is_old_or_new(
    mode: str, folders: dict[str, Path], wrapper: dict[str, str], tmp_path: Path, private_tmpdir: Path
) -> None:
    template = tmp_path / "template"
    push(folders["1.0.0"], REPO, hub_dir=template)
    old = refs(template / "datasets" / REPO)
    shutil.copytree(template, tmp_path / "dry", symlinks=True)
    names = steps(wrapper, tmp_path, folders["1.1.0"], tmp_path / "dry")
    assert {"add", "commit-tree", "mktag", "update-ref", "reset"} <= set(names), names
    for at, name in enumerate(names, 1):
        hub = tmp_path / f"hub-{at}"
        shutil.copytree(template, hub, symlinks=True)
        repo = hub / "datasets" / REPO
        code = run_killed(wrapper, tmp_path, folders["1.1.0"], hub, at, mode)
        # a git command that dies fails the push (3), unless the push does without it (0: `config` falls back
        # to wa-hub's identity, `reset` only updates the working tree)
        assert code in ((-signal.SIGKILL,) if mode == "push" else (0, 3)), (at, name, code)
        now = refs(repo)
        assert code != 0 or now != old, (at, name)
        if now != old:  # the new version, whole: main and the tag on one commit on top of the old main
            assert set(now) == {*old, "refs/tags/v1.1.0"}, (at, name, now)
            assert now["refs/heads/main"] == now["refs/tags/v1.1.0"], (at, name)
            assert git(repo, "rev-parse", "main^") == old["refs/heads/main"], (at, name)
        assert (
            subprocess.run(["git", "-C", str(repo), "fsck", "--no-dangling"], capture_output=True).returncode
            == 0
        )
        if mode == "git":  # the push saw the failure and cleaned up after itself
            assert leftovers(hub, private_tmpdir) == [], (at, name)
        # the next push (a new process) sweeps what is left, finishes nothing half-done, and stacks right
        before = refs(repo)["refs/heads/main"]
        assert in_child(lambda h=hub: push(folders["1.2.0"], REPO, hub_dir=h)) == 0, (at, name)
        assert git(repo, "rev-parse", "v1.2.0^{commit}^") == before
        assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", "v1.2.0^{commit}")
        assert git(repo, "status", "--porcelain") == "", (at, name)  # the working tree shows main
        assert leftovers(hub, private_tmpdir) == [], (at, name)
        shutil.rmtree(hub)


def test_killed_at_every_git_step_of_a_first_push_there_is_no_repo_or_a_whole_one(
    folders: dict[str, Path], wrapper: dict[str, str], tmp_path: Path, private_tmpdir: Path
) -> None:
    names = steps(wrapper, tmp_path, folders["1.0.0"], tmp_path / "dry")
    assert names[:1] != [] and "init" in names
    for at, name in enumerate(names, 1):
        hub = tmp_path / f"hub-{at}"
        assert run_killed(wrapper, tmp_path, folders["1.0.0"], hub, at, "push") == -signal.SIGKILL
        repo = hub / "datasets" / REPO
        if repo.exists():
            assert refs(repo)["refs/heads/main"] == refs(repo)["refs/tags/v1.0.0"], (at, name)
        assert in_child(lambda h=hub: push(folders["1.1.0"], REPO, hub_dir=h)) == 0, (at, name)
        assert leftovers(hub, private_tmpdir) == [], (at, name)
        assert "refs/tags/v1.1.0" in refs(repo)
        shutil.rmtree(hub)


# --- the Hub (HfApi), through the recording test server -----------------------------------------------------


def killed_push(hub: FakeHub, folder: Path, method: str, contains: str, **options: object) -> int:
    """Push in a child that the server SIGKILLs when it sends `method` to a path containing `contains`."""
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.read(go_read, 1)  # wait until the server knows whom to kill
            push(folder, REPO, **options)  # type: ignore[arg-type]
        except BaseException:
            code = 3
        os._exit(code)

    def before(r: Request) -> bool:
        if r.method == method and contains in r.path:
            hub.before = None
            os.kill(pid, signal.SIGKILL)
            return True  # dropped: the push died before the server got this call
        return False

    hub.before = before
    os.write(go_write, b"x")
    os.close(go_write)
    os.close(go_read)
    _, status = os.waitpid(pid, 0)
    hub.before = None
    return os.waitstatus_to_exitcode(status)


def test_killed_before_the_tag_the_next_push_finishes_it_then_stacks(
    hub: FakeHub, folders: dict[str, Path]
) -> None:
    push(folders["1.0.0"], REPO)
    state = hub.repos[("dataset", REPO)]
    assert killed_push(hub, folders["1.1.0"], "POST", "/tag/") == -signal.SIGKILL
    pending = state.main
    assert pending not in state.tags.values()  # the Hub has no transaction: main is on the untagged commit
    push(folders["1.2.0"], REPO)
    assert state.tags["v1.1.0"] == pending  # finished first: the commit is whole, only its tag was missing
    assert state.commits[state.tags["v1.2.0"]].parent == pending
    assert state.main == state.tags["v1.2.0"]


def test_killed_before_the_commit_nothing_is_visible(hub: FakeHub, folders: dict[str, Path]) -> None:
    push(folders["1.0.0"], REPO)
    state = hub.repos[("dataset", REPO)]
    before = (state.main, dict(state.tags))
    assert killed_push(hub, folders["1.1.0"], "POST", "/commit/") == -signal.SIGKILL
    assert (state.main, state.tags) == before
    push(folders["1.1.0"], REPO)
    assert state.commits[state.tags["v1.1.0"]].parent == before[0]


def test_a_lower_version_on_the_hub_is_tagged_off_main(hub: FakeHub, folders: dict[str, Path]) -> None:
    push(folders["1.1.0"], REPO)
    state = hub.repos[("dataset", REPO)]
    main = state.main
    assert killed_push(hub, folders["1.0.0"], "POST", "/tag/") == 3  # refused without --allow-older
    assert "v1.0.0" not in state.tags
    killed = killed_push(hub, folders["1.0.0"], "DELETE", "/branch/", allow_older=True)
    assert killed == -signal.SIGKILL and "wa-hub-push-v1.0.0" in state.branches  # killed before cleaning up
    assert state.main == main and "v1.0.0" in state.tags
    assert (
        state.commits[state.tags["v1.0.0"]].files["manifest.json"]
        != state.commits[main].files["manifest.json"]
    )
    push(folders["1.2.0"], REPO)  # deletes the branch the killed push left
    assert set(state.branches) == {"main"} and state.commits[state.main].parent == main
