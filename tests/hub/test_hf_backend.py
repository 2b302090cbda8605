"""The HfApi backend against a recording stand-in for the Hub (tests/hub/fakehub.py), optionally the real Hub.

Real Hub (needs network and a write token; creates and deletes a private repo ORG/wa-hub-test-XXXX):
    HF_TOKEN=hf_... WA_HUB_TEST_HUB_ORG=your-user-or-org \
        .venv/bin/python -m pytest tests/hub/test_hf_backend.py -k real_hub -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
import yaml
from fakehub import FakeHub
from hubtest import BENCH_REPO, DATA_REPO, FAKE_TOKEN, REFS

from wa_hub import schema
from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import push
from wa_hub.study import BENCH_SETS

REPO = "acme/writing-instruct"


def test_one_commit_with_every_file_then_the_tag(hub: FakeHub, dataset_folder: Path) -> None:
    out = push(dataset_folder, REPO)
    creates = hub.calls("POST", "/api/repos/create")
    assert len(creates) == 1 and creates[0].body["type"] == "dataset" and "visibility" not in creates[0].body
    commits = hub.calls("POST", "/api/datasets/acme/writing-instruct/commit/main")
    assert len(commits) == 1
    ops = commits[0].body
    assert ops[0]["key"] == "header" and "1.0.0" in ops[0]["value"]["summary"]
    paths = {op["value"]["path"]: op["key"] for op in ops[1:]}
    manifest = schema.load_manifest(dataset_folder)
    assert paths == {
        "README.md": "file",
        "LICENSE.md": "file",
        "manifest.json": "file",
        **{c.file: "lfsFile" for c in manifest.configs},
    }
    tags = hub.calls("POST", "/tag/")
    assert len(tags) == 1 and tags[0].body["tag"] == "v1.0.0"
    assert tags[0].path.endswith(f"/tag/{out['revision']}")  # the tag is on the commit we made
    assert hub.requests.index(tags[0]) > hub.requests.index(commits[0])
    assert all(r.headers.get("authorization") == f"Bearer {FAKE_TOKEN}" for r in commits + tags)
    # what the Hub now holds at the tag is the folder (LFS bytes included) + the stamped card
    files = hub.files_at("dataset", REPO, "v1.0.0")
    parquet = "data/mixed/train-00000-of-00001.parquet"
    assert files[parquet] == (dataset_folder / parquet).read_bytes()
    assert b'revision="v1.0.0"' in files["README.md"]
    assert out["url"] == f"{hub.url}/datasets/{REPO}/tree/v1.0.0"


def test_private_flag_is_passed(hub: FakeHub, dataset_folder: Path) -> None:
    push(dataset_folder, REPO, private=True)
    (create,) = hub.calls("POST", "/api/repos/create")
    assert create.body["visibility"] == "private"
    assert hub.repos[("dataset", REPO)].private


def test_failed_commit_leaves_no_tag(hub: FakeHub, dataset_folder: Path) -> None:
    hub.fail_commit = True
    with pytest.raises(WaHubError, match="500"):
        push(dataset_folder, REPO)
    assert len(hub.calls("POST", "/commit/")) == 1
    assert hub.calls("POST", "/tag/") == []
    assert hub.repos[("dataset", REPO)].tags == {}


def test_existing_version_is_refused_before_uploading(hub: FakeHub, dataset_folder: Path) -> None:
    push(dataset_folder, REPO)
    n = len(hub.requests)
    with pytest.raises(UsageError, match="immutable"):
        push(dataset_folder, REPO, version="1.0.0")
    later = hub.requests[n:]
    assert not [r for r in later if "/commit/" in r.path or "/tag/" in r.path or "/preupload/" in r.path]


def test_new_version_deletes_files_it_no_longer_has(
    hub: FakeHub, dataset_folder: Path, data_versions: dict[str, Path], tmp_path: Path
) -> None:
    push(dataset_folder, REPO)
    v2 = Path(shutil.copytree(data_versions["1.1.0"], tmp_path / "v2"))
    (v2 / "data" / "writing" / "train-00000-of-00001.parquet").unlink()
    push(v2, REPO)
    assert "data/writing/train-00000-of-00001.parquet" not in hub.files_at("dataset", REPO, "v1.1.0")
    assert "data/writing/train-00000-of-00001.parquet" in hub.files_at("dataset", REPO, "v1.0.0")
    assert ".gitattributes" in hub.files_at("dataset", REPO, "v1.1.0")  # the Hub's own file is kept
    last = hub.calls("POST", "/commit/")[-1]
    assert last.body[0]["value"]["parentCommit"] == hub.repos[("dataset", REPO)].tags["v1.0.0"]


def test_data_bench_and_model_each_one_commit_then_the_tag_and_no_token_anywhere(
    hub: FakeHub,
    sample_data: Path,
    sample_bench: Path,
    lora_run: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from huggingface_hub import ModelCard, parse_eval_result_entries

    caplog.set_level("DEBUG")
    model = "acme/tiny-writing-lora"
    details = f"{model}-details"
    pushes = ((sample_data, [(DATA_REPO, "datasets")]), (sample_bench, [(BENCH_REPO, "datasets")]),
              (lora_run, [(details, "datasets"), (model, "models")]))  # fmt: skip
    for path, repos in pushes:
        n = len(hub.requests)
        out = push(path, repos[-1][0], **({**REFS, "details": True} if path == lora_run else {}))
        later = hub.requests[n:]
        for repo, kind in repos:  # each repo: one commit, then the tag on it
            commits = [
                i
                for i, r in enumerate(later)
                if r.method == "POST" and r.path.startswith(f"/api/{kind}/{repo}/commit/")
            ]
            tags = [
                i
                for i, r in enumerate(later)
                if r.method == "POST" and r.path.startswith(f"/api/{kind}/{repo}/tag/")
            ]
            assert len(commits) == 1 and len(tags) == 1 and commits[0] < tags[0], repo
            assert later[commits[0]].path == f"/api/{kind}/{repo}/commit/main"
        assert later[tags[0]].path.endswith(f"/tag/{out['revision']}")
    assert out["details"]["repo"] == details
    details_files = hub.files_at("dataset", details, "v1.0.0")
    assert {f"data/{s.config}/test-00000-of-00001.parquet" for s in BENCH_SETS} <= set(details_files)
    assert (
        json.loads(details_files["details.json"])["bench_revision"]
        == hub.repos[("dataset", BENCH_REPO)].tags["v1.0.0"]
    )
    bench = hub.files_at("dataset", BENCH_REPO, "v1.0.0")
    tasks = [t["id"] for t in yaml.safe_load(bench["eval.yaml"])["tasks"]]
    assert tasks == [s.config for s in BENCH_SETS]
    bench_sha = hub.repos[("dataset", BENCH_REPO)].tags["v1.0.0"]
    files = hub.files_at("model", model, "v1.0.0")
    assert files["adapter_model.safetensors"] == (lora_run / "adapter_model.safetensors").read_bytes()
    for s in BENCH_SETS:
        (entry,) = parse_eval_result_entries(yaml.safe_load(files[f".eval_results/{s.config}.yaml"]))
        assert entry.dataset_revision == bench_sha and re.fullmatch(r"[0-9a-f]{40}", bench_sha)
        assert entry.task_id in tasks and entry.dataset_id == BENCH_REPO
        assert entry.source_url == f"{hub.url}/{model}/blob/v1.0.0/eval/results.json"
    (tmp_path / "README.md").write_bytes(files["README.md"])
    card = ModelCard.load(tmp_path / "README.md")
    assert {r.dataset_revision for r in card.data.eval_results} == {bench_sha}
    for repo_type, repo in (
        ("dataset", DATA_REPO),
        ("dataset", BENCH_REPO),
        ("dataset", details),
        ("model", model),
    ):
        for name, data in hub.files_at(repo_type, repo, "v1.0.0").items():
            assert FAKE_TOKEN.encode() not in data, name
    captured = capfd.readouterr()
    assert FAKE_TOKEN not in captured.out + captured.err + caplog.text


def test_rejected_token_is_explained_without_the_token(hub: FakeHub, dataset_folder: Path) -> None:
    hub.fail_commit = False
    orig = hub._route

    def deny(h: object, method: str, body: object) -> None:
        h._reply(401, {"error": f"Invalid credentials: {FAKE_TOKEN}"})  # type: ignore[attr-defined]

    hub._route = deny  # type: ignore[method-assign]
    try:
        with pytest.raises(UsageError) as e:
            push(dataset_folder, REPO)
    finally:
        hub._route = orig  # type: ignore[method-assign]
    assert "hf auth login" in str(e.value) and FAKE_TOKEN not in str(e.value)


@pytest.mark.skipif(not os.environ.get("WA_HUB_TEST_HUB_ORG"), reason="set WA_HUB_TEST_HUB_ORG and HF_TOKEN")
def test_real_hub(dataset_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same push against huggingface.co (or HF_ENDPOINT): private repo, one commit, tag; then deleted."""
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    repo = f"{os.environ['WA_HUB_TEST_HUB_ORG']}/wa-hub-test-{uuid.uuid4().hex[:8]}"
    api = HfApi()
    try:
        out = push(dataset_folder, repo, private=True)
        info = api.dataset_info(repo)
        assert info.private
        refs = api.list_repo_refs(repo, repo_type="dataset")
        assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0.0", out["revision"])]
        files = set(api.list_repo_files(repo, repo_type="dataset", revision="v1.0.0"))
        assert {"README.md", "manifest.json", "data/mixed/train-00000-of-00001.parquet"} <= files
        commits = api.list_repo_commits(repo, repo_type="dataset")
        assert len(commits) == 2  # the Hub's initial commit + ours
        with pytest.raises(UsageError, match="immutable"):
            push(dataset_folder, repo, version="1.0.0")
    finally:
        api.delete_repo(repo, repo_type="dataset", missing_ok=True)


def test_details_left_by_a_stopped_push_are_read_back_and_kept(
    hub: FakeHub,
    sample_data: Path,
    sample_bench: Path,
    lora_run: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The Hub path of resuming: details.json is read back through /resolve/ and compared."""
    from wa_hub.hub.hf import HfBackend

    push(sample_data, DATA_REPO)
    push(sample_bench, BENCH_REPO)
    real = HfBackend.publish

    def model_fails(self: HfBackend, repo: str, repo_type: str, *args: object, **kw: object) -> dict:
        if repo_type == "model":
            raise WaHubError("simulated: the model's push failed")
        return real(self, repo, repo_type, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(HfBackend, "publish", model_fails)
    with pytest.raises(WaHubError, match="simulated"):
        push(lora_run, "acme/tiny-writing-lora", details=True, **REFS)
    monkeypatch.setattr(HfBackend, "publish", real)
    details = hub.repos[("dataset", "acme/tiny-writing-lora-details")]
    before = dict(details.tags)
    out = push(lora_run, "acme/tiny-writing-lora", details=True, **REFS)
    assert details.tags == before and out["details"]["revision"] == before["v1.0.0"]
    assert "already holds these details" in caplog.text
    assert hub.calls("GET", "/datasets/acme/tiny-writing-lora-details/resolve/v1.0.0/details.json")
    assert "v1.0.0" in hub.repos[("model", "acme/tiny-writing-lora")].tags
