"""What a push never does, whatever the folder holds or the Hub answers: leak a token, publish a file from
outside the folder, move `main` back, leave temp folders behind, accept a malformed repo id, or answer a
network failure with a traceback (issue 16's publishing findings)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hubtest import FAKE_TOKEN, REFS
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import push
from wa_hub.olah import free_port

REPO = "acme/writing-instruct"
PARQUET = "data/mixed/train-00000-of-00001.parquet"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def set_value(folder: Path, file: str, row: int, column: str, value: object) -> Path:
    """Rewrite one cell of a Parquet file of the folder (zstd, as the builders write it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / file
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[row][column] = value
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path, compression="zstd")
    return path


def repo_dir(hub: Path, repo: str = REPO, kind: str = "datasets") -> Path:
    return hub / kind / repo


# --- secrets in decoded content -----------------------------------------------------------------------------


def test_a_token_in_a_parquet_row_is_found_though_the_file_is_compressed(
    dataset_folder: Path, tmp_path: Path
) -> None:
    path = set_value(dataset_folder, PARQUET, 3, "output", f"Sure, my key is {FAKE_TOKEN}.")
    assert FAKE_TOKEN.encode() not in path.read_bytes()  # a scan of the bytes cannot see it
    hub = tmp_path / "hub"
    with pytest.raises(WaHubError, match=f"{PARQUET} contains a Hugging Face token") as e:
        push(dataset_folder, REPO, hub_dir=hub)
    assert FAKE_TOKEN not in str(e.value) and "\n" not in str(e.value)
    assert not repo_dir(hub).exists()


def test_the_token_in_use_is_found_in_a_list_column(sample_bench: Path, tmp_path: Path) -> None:
    """Any token (not only `hf_...`-shaped ones): the one the push authenticates with, inside `references`."""
    bench = Path(shutil.copytree(sample_bench, tmp_path / "writing-bench"))
    token = "internal-mirror-token-31415926535"
    set_value(bench, "data/jfleg/test-00000-of-00001.parquet", 2, "references", ["ok", f"x {token} y"])
    with pytest.raises(WaHubError, match="jfleg/test-00000-of-00001.parquet contains the Hub token in use"):
        push(bench, "acme/writing-bench", hub_dir=tmp_path / "hub", token=token)


# --- symbolic links -----------------------------------------------------------------------------------------


def test_a_link_that_leaves_the_folder_is_refused_and_named(dataset_folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "private.txt"
    outside.write_text("not for publication")
    (dataset_folder / "data" / "notes.txt").symlink_to(outside)
    hub = tmp_path / "hub"
    with pytest.raises(UsageError, match=r"data/notes.txt is a symbolic link to .*private.txt, outside"):
        push(dataset_folder, REPO, hub_dir=hub)
    (dataset_folder / "data" / "notes.txt").unlink()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.parquet").write_bytes(b"PAR1")
    (dataset_folder / "data" / "more").symlink_to(tmp_path / "elsewhere")  # a linked folder
    with pytest.raises(UsageError, match=r"data/more is a symbolic link to .*elsewhere, outside"):
        push(dataset_folder, REPO, hub_dir=hub)
    assert not repo_dir(hub).exists()


def test_a_link_inside_the_folder_publishes_the_file_it_names(dataset_folder: Path, tmp_path: Path) -> None:
    (dataset_folder / "NOTES.txt").write_text("how this build was checked\n")
    (dataset_folder / "data" / "notes.txt").symlink_to("../NOTES.txt")
    hub = tmp_path / "hub"
    push(dataset_folder, REPO, hub_dir=hub)
    repo = repo_dir(hub)
    assert git(repo, "show", "v1.0.0:data/notes.txt") == "how this build was checked"
    entry = git(repo, "ls-tree", "v1.0.0", "data/notes.txt")
    assert entry.startswith("100644 blob")  # a file, not a link (120000)


def test_a_run_dir_weight_linked_from_outside_is_refused(
    lora_run: Path, local_hub: Path, tmp_path: Path
) -> None:
    weights = lora_run / "adapter_model.safetensors"
    elsewhere = tmp_path / "cache" / "adapter.safetensors"
    elsewhere.parent.mkdir()
    shutil.move(weights, elsewhere)
    weights.symlink_to(elsewhere)
    with pytest.raises(UsageError, match="adapter_model.safetensors is a symbolic link to"):
        push(lora_run, "acme/tiny-writing-lora", hub_dir=local_hub, **REFS)


# --- versions -----------------------------------------------------------------------------------------------


def test_a_lower_version_never_moves_main_back(data_versions: dict[str, Path], tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    push(data_versions["1.0.0"], REPO, hub_dir=hub)
    repo = repo_dir(hub)
    before = git(repo, "show-ref")
    older = data_versions["0.9.0"]
    with pytest.raises(UsageError, match=r"already has v1.0.0, higher than v0.9.0.*--allow-older"):
        push(older, REPO, hub_dir=hub)
    assert git(repo, "show-ref") == before
    out = push(older, REPO, hub_dir=hub, allow_older=True)
    assert git(repo, "rev-parse", "v0.9.0^{commit}") == out["revision"]
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", "v1.0.0^{commit}")  # main stays
    assert '"version": "1.0.0"' in (repo / "manifest.json").read_text()  # and so does the working tree
    newer = push(data_versions["1.1.0"], REPO, hub_dir=hub)
    assert git(repo, "rev-parse", "v1.1.0^{commit}^") == git(repo, "rev-parse", "v1.0.0^{commit}")
    assert git(repo, "rev-parse", "main") == newer["revision"]


@pytest.mark.parametrize("bad", ["1.0.2\n", "01.02.003", "1.0", "1.0.0rc1", "1.0.0+local", " 1.0.0"])
def test_malformed_versions_are_refused_by_build_and_push(bad: str, tmp_path: Path) -> None:
    from wa_hub.build import build_data

    with pytest.raises(UsageError, match="expected a version X.Y.Z"):
        build_data(None, tmp_path / "out", sample=True, version=bad)
    with pytest.raises(UsageError, match="expected a version X.Y.Z"):
        push(tmp_path / "nothing", REPO, hub_dir=tmp_path / "hub", version=bad)


# --- leftovers ----------------------------------------------------------------------------------------------


def test_leftovers_of_killed_pushes_are_swept_and_live_ones_kept(
    dataset_folder: Path, tmp_path: Path, private_tmpdir: Path
) -> None:
    """Temp folders carry their owner's pid (`.NAME.tmp-PID-*`): a dead owner's go, a live one's stay."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    running = subprocess.Popen(["sleep", "60"])
    hub = tmp_path / "hub"
    org = hub / "datasets" / "acme"
    dead = [org / f".writing-instruct.tmp-{gone.pid}-abc", private_tmpdir / f".wa-hub-push.tmp-{gone.pid}-x"]
    live = private_tmpdir / f".wa-hub-push.tmp-{running.pid}-y"
    try:
        for d in [*dead, live]:
            (d / "tree").mkdir(parents=True)
            (d / "tree" / "half.parquet").write_bytes(b"PAR1")
        push(dataset_folder, REPO, hub_dir=hub)
    finally:
        running.kill()
        running.wait()
    assert [d for d in dead if d.exists()] == []
    assert sorted(p.name for p in private_tmpdir.iterdir()) == [live.name]
    assert sorted(p.name for p in org.iterdir()) == ["writing-instruct"]


# --- what the command line refuses -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["acme/x\n", "acme/x y", "acme/a--b", "acme/", "x", "acme/x/y", "acme/x.git"])
def test_malformed_repo_ids_are_refused(bad: str, dataset_folder: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    result = CliRunner().invoke(app, ["push", str(dataset_folder), "--repo", bad, "--hub-dir", str(hub)])
    assert result.exit_code == 2, result.output
    assert "expected ORG/NAME" in result.output
    assert not hub.exists()


def test_a_hub_dir_that_is_a_file_is_one_line(dataset_folder: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub.txt"
    hub.write_text("not a folder")
    result = CliRunner().invoke(app, ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", str(hub)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--hub-dir" in result.output and "not a folder" in result.output
    inside = CliRunner().invoke(app, ["push", str(dataset_folder), "--repo", REPO, "--hub-dir", f"{hub}/sub"])
    assert inside.exit_code == 2 and "cannot write" in inside.output, inside.output


@pytest.fixture
def unreachable_hub(monkeypatch: pytest.MonkeyPatch) -> str:
    """HF_ENDPOINT at a loopback port nothing listens on."""
    from huggingface_hub import constants

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    return url


def test_an_unreachable_hub_is_one_line(dataset_folder: Path, unreachable_hub: str) -> None:
    with pytest.raises(WaHubError, match=f"cannot reach {unreachable_hub}") as e:
        push(dataset_folder, REPO)
    assert "\n" not in str(e.value) and FAKE_TOKEN not in str(e.value)
    result = CliRunner().invoke(app, ["push", str(dataset_folder), "--repo", REPO])
    assert result.exit_code == 1 and "Traceback" not in result.output and "cannot reach" in result.output


def test_offline_mode_is_one_line(
    dataset_folder: Path, unreachable_hub: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UsageError, match="offline mode") as e:
        push(dataset_folder, REPO)
    assert "\n" not in str(e.value)
