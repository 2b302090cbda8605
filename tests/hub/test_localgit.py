"""The local git hub: layout olah serves, one commit + tag per push, immutable versions, no half pushes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hubtest import FAKE_TOKEN
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from wa_hub import cards, schema
from wa_hub.cli import app
from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import push
from wa_hub.hub.localgit import LocalGitBackend, git_lfs_available

REPO = "acme/writing-instruct"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def refs(repo: Path) -> str:
    return git(repo, "show-ref")


def test_dataset_push_is_one_tagged_commit_in_the_olah_layout(dataset_folder: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    out = push(dataset_folder, REPO, hub_dir=hub)
    repo = hub / "datasets" / "acme" / "writing-instruct"
    assert (repo / ".git").is_dir()  # non-bare: olah reads LFS objects from <repo>/.git/lfs/objects
    assert out["repo"] == REPO and out["repo_type"] == "dataset" and out["tag"] == "v1.0.0"
    assert out["revision"] == git(repo, "rev-parse", "v1.0.0^{commit}") == git(repo, "rev-parse", "main")
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo, "rev-list", "--count", "main") == "1"
    tree = set(git(repo, "ls-tree", "-r", "--name-only", "v1.0.0").splitlines())
    manifest = schema.load_manifest(dataset_folder)
    expected = {"README.md", "LICENSE.md", "manifest.json", *(c.file for c in manifest.configs)}
    assert expected <= tree
    assert tree - expected <= {".gitattributes"}
    card = git(repo, "show", "v1.0.0:README.md")
    assert 'load_dataset("acme/writing-instruct", "mixed", split="train", revision="v1.0.0")' in card
    assert "**Version 1.0.0** of `acme/writing-instruct`" in card
    assert "path/to/this/folder" in (dataset_folder / "README.md").read_text()  # the local card, as built
    assert "path/to/this/folder" not in card and "ORG/" not in card
    # the pushed card is the manifest's card for this repo, and its front matter declares the same configs
    assert card + "\n" == str(cards.render_dataset_card(manifest, REPO))
    (repo_card := tmp_path / "README.md").write_text(card + "\n")
    configs = [c["config_name"] for c in DatasetCard.load(repo_card).data.configs]
    assert configs == [c.name for c in manifest.configs] and {"mixed", "writing"} <= set(configs)
    assert git(repo, "show", "v1.0.0:manifest.json") == (dataset_folder / "manifest.json").read_text().strip()


def test_a_hand_edited_card_is_not_published_and_a_warning_says_so(
    dataset_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    readme = dataset_folder / "README.md"
    readme.write_text(readme.read_text() + "\nMy own notes.\n")
    push(dataset_folder, REPO, hub_dir=tmp_path / "hub")
    card = git(tmp_path / "hub" / "datasets" / "acme" / "writing-instruct", "show", "v1.0.0:README.md")
    assert "My own notes." not in card
    assert "README.md differs from the card rendered from its manifest.json" in caplog.text
    assert "My own notes." in readme.read_text()  # the folder keeps its file


def test_a_manifest_that_does_not_match_its_schema_is_named(dataset_folder: Path, tmp_path: Path) -> None:
    manifest = json.loads((dataset_folder / "manifest.json").read_text())
    manifest["configs"][0]["rows"] = -1
    (dataset_folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(WaHubError, match=r"manifest.json: .*field configs.0.rows"):
        push(dataset_folder, REPO, hub_dir=tmp_path / "hub")
    assert not (tmp_path / "hub" / "datasets").exists()


def test_existing_version_is_refused_and_repo_unchanged(dataset_folder: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    push(dataset_folder, REPO, hub_dir=hub)
    repo = hub / "datasets" / "acme" / "writing-instruct"
    before = refs(repo)
    with pytest.raises(UsageError, match="immutable"):
        push(dataset_folder, REPO, hub_dir=hub, version="1.0.0")
    assert refs(repo) == before


def test_new_version_replaces_the_tree_and_keeps_the_old_tag(
    data_versions: dict[str, Path], tmp_path: Path
) -> None:
    hub = tmp_path / "hub"
    first = push(data_versions["1.0.0"], REPO, hub_dir=hub)
    v2 = Path(shutil.copytree(data_versions["1.1.0"], tmp_path / "v2"))
    (v2 / "data" / "writing" / "train-00000-of-00001.parquet").unlink()
    (v2 / "data" / "writing").rmdir()
    second = push(v2, REPO, hub_dir=hub, version="1.1.0")
    repo = hub / "datasets" / "acme" / "writing-instruct"
    assert git(repo, "rev-parse", "v1.1.0^{commit}^") == first["revision"]  # one commit on top of v1.0.0
    assert second["revision"] == git(repo, "rev-parse", "main")
    assert "data/writing/train-00000-of-00001.parquet" not in git(
        repo, "ls-tree", "-r", "--name-only", "v1.1.0"
    )
    assert "data/writing/train-00000-of-00001.parquet" in git(repo, "ls-tree", "-r", "--name-only", "v1.0.0")
    # the working tree shows the latest version
    assert not (repo / "data" / "writing").exists()


def test_version_defaults_and_mismatch(tmp_path: Path) -> None:
    from wa_hub.build import build_data

    hub = tmp_path / "hub"
    folder = build_data(None, tmp_path / "ds", sample=True, version="2.0.0")
    with pytest.raises(UsageError, match="built as version 2.0.0"):
        push(folder, REPO, hub_dir=hub, version="2.0.1")
    assert push(folder, REPO, hub_dir=hub)["tag"] == "v2.0.0"  # the manifest's version
    with pytest.raises(UsageError, match="X.Y.Z"):
        push(folder, REPO, hub_dir=hub, version="2.1")


@pytest.mark.skipif(not git_lfs_available(), reason="git-lfs is not installed (`apt-get install git-lfs`)")
def test_binaries_go_through_lfs_where_olah_reads_them(
    dataset_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WA_HUB_GIT_LFS", raising=False)
    hub = tmp_path / "hub"
    push(dataset_folder, REPO, hub_dir=hub)
    repo = hub / "datasets" / "acme" / "writing-instruct"
    pointer = git(repo, "cat-file", "-p", "v1.0.0:data/mixed/train-00000-of-00001.parquet")
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1\noid sha256:")
    oid = pointer.split("oid sha256:")[1].split()[0]
    stored = repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
    assert (
        stored.read_bytes()
        == (dataset_folder / "data" / "mixed" / "train-00000-of-00001.parquet").read_bytes()
    )
    # the checked-out file is the real Parquet, not the pointer
    assert (repo / "data/mixed/train-00000-of-00001.parquet").read_bytes()[:4] == b"PAR1"


def test_without_lfs_binaries_are_plain_blobs(
    dataset_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WA_HUB_GIT_LFS", "0")
    backend = LocalGitBackend(tmp_path / "hub")
    files = {
        "data/x.parquet": dataset_folder / "data/mixed/train-00000-of-00001.parquet",
        "README.md": b"# x\n",
    }
    out = backend.publish(REPO, "dataset", files, "v1.0.0", private=False, message="test")
    repo = Path(out["path"])
    blob = subprocess.run(["git", "-C", str(repo), "cat-file", "-p", "v1.0.0:data/x.parquet"],
                          capture_output=True, check=True).stdout  # fmt: skip
    assert blob == files["data/x.parquet"].read_bytes()  # type: ignore[union-attr]
    assert ".gitattributes" not in git(repo, "ls-tree", "--name-only", "v1.0.0")


def test_token_never_reaches_the_repo_or_output(
    dataset_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    hub = tmp_path / "hub"
    result = CliRunner().invoke(app, ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", str(hub)])
    assert result.exit_code == 0, result.output
    captured = capfd.readouterr()
    assert FAKE_TOKEN not in result.output + captured.out + captured.err
    repo = hub / "datasets" / "acme" / "writing-instruct"
    every = [p for p in repo.rglob("*") if p.is_file()]  # working tree, .git objects, LFS store, config
    assert len(every) > 10
    for p in every:
        assert FAKE_TOKEN.encode() not in p.read_bytes(), p
    for line in git(repo, "rev-list", "--objects", "--all").splitlines():  # every object, decompressed
        sha = line.split()[0]
        content = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "-p", sha], capture_output=True, check=True
        )
        assert FAKE_TOKEN.encode() not in content.stdout, line


def test_a_file_holding_a_token_is_not_published(dataset_folder: Path, tmp_path: Path) -> None:
    (dataset_folder / "data" / "notes.json").write_text(json.dumps({"hf_token": FAKE_TOKEN}))
    hub = tmp_path / "hub"
    with pytest.raises(WaHubError, match="data/notes.json") as e:
        push(dataset_folder, REPO, hub_dir=hub)
    assert FAKE_TOKEN not in str(e.value)
    assert not (hub / "datasets" / "acme" / "writing-instruct").exists()


def test_cli_reports_and_rejects(dataset_folder: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    runner = CliRunner()
    ok = runner.invoke(app, ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", str(hub)])
    assert ok.exit_code == 0, ok.output
    assert "v1.0.0" in ok.output and 'revision="v1.0.0"' in ok.output
    again = runner.invoke(app, ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", str(hub)])
    assert again.exit_code == 2 and "immutable" in again.output
    bad = runner.invoke(app, ["push", str(dataset_folder), "--repo", "no-org", "--hub-dir", str(hub)])
    assert bad.exit_code == 2 and "ORG/NAME" in bad.output
    nothing = runner.invoke(app, ["push", str(tmp_path), "--repo", REPO, "--hub-dir", str(hub)])
    assert nothing.exit_code == 2 and "manifest.json" in nothing.output
    env = runner.invoke(
        app, ["push", str(dataset_folder), "--repo", "acme/other"], env={"WA_HUB_DIR": str(hub)}
    )
    assert env.exit_code == 0, env.output
    assert (hub / "datasets" / "acme" / "other" / ".git").is_dir()


def test_two_folders_with_one_name_each_push_their_own_files(tmp_path: Path) -> None:
    """Push reads a folder's files themselves, never a cache keyed by the folder's base name."""
    from wa_hub.build import build_bench

    a = build_bench(None, tmp_path / "a" / "writing-bench", sample=True)
    b = build_bench(None, tmp_path / "b" / "writing-bench", sample=True, version="1.0.1")
    parquet = "data/conll14/test-00000-of-00001.parquet"
    first = (b / parquet).read_bytes()
    build_bench(None, b, sample=True, version="1.0.1", overwrite=True, spec=_fewer_sets_spec(tmp_path))
    assert (b / parquet).read_bytes() != first  # rebuilt in place with other rows
    hub = tmp_path / "hub"
    for folder, name in ((a, "acme/bench-a"), (b, "acme/bench-b")):
        push(folder, name, hub_dir=hub)
        repo = hub / "datasets" / name
        show = ["git", "-C", str(repo), "show", f"main:{parquet}"]
        blob = subprocess.run(show, capture_output=True, check=True).stdout  # the file, or its LFS pointer
        data = (folder / parquet).read_bytes()
        assert blob == data or f"oid sha256:{hashlib.sha256(data).hexdigest()}".encode() in blob


def _fewer_sets_spec(tmp_path: Path) -> Path:
    """The benchmark spec with 3 sample rows a set instead of 8."""
    import yaml

    from wa_hub.resources import resource

    spec = yaml.safe_load(resource("builders", "writing-bench.yaml").read_text())
    spec["sample"]["rows_per_set"] = 3
    path = tmp_path / "bench-3.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_a_dataset_is_pushed_as_its_build_and_the_error_says_how_to_rebuild(
    dataset_folder: Path, tmp_path: Path
) -> None:
    """A dataset's version is its build's: pushing it again, or as another version, is refused with the one
    command that rebuilds it as a new version and pushes it, and that command works as printed."""
    import shlex

    hub = tmp_path / "hub"
    runner = CliRunner()
    base = ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", str(hub)]
    assert runner.invoke(app, base).exit_code == 0
    rebuild = (
        f"wa-hub build-data --sample --out {dataset_folder} --version 1.0.1 --overwrite --push {REPO} "
        f"--hub-dir {hub}"
    )
    again = runner.invoke(app, base)
    assert again.exit_code == 2, again.output
    assert "v1.0.0 already exists" in again.stderr and "immutable" in again.stderr
    assert again.stderr.strip().endswith(rebuild), again.stderr
    other = runner.invoke(app, [*base, "--version", "1.0.1"])
    assert other.exit_code == 2, other.output
    assert "was built as version 1.0.0, and a dataset's version is its build's" in other.stderr
    assert other.stderr.strip().endswith(rebuild), other.stderr
    done = runner.invoke(app, shlex.split(rebuild)[1:])
    assert done.exit_code == 0, done.output
    tags = git(hub / "datasets" / "acme" / "writing-instruct", "tag").split()
    assert tags == ["v1.0.0", "v1.0.1"]
    assert json.loads((dataset_folder / "manifest.json").read_text())["version"] == "1.0.1"
