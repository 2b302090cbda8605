"""The dataset cards' Hub fields (licence link, sources, task ids, dataset_info, the arXiv link), LICENSE.md,
and gating: `--gated` sets the access prompt (and on the Hub, manual approval before any upload); a build
holding text whose licence forbids redistribution is refused without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hubtest import BENCH_REPO, DATA_REPO, REFS, show, tree
from huggingface_hub import DatasetCard

from wa_hub import schema
from wa_hub.build import build_bench, build_data, sample_raw_dir
from wa_hub.errors import UsageError
from wa_hub.hub import push
from wa_hub.sources.registry import get_source


def card_of(tmp_path: Path, text: str) -> DatasetCard:
    (path := tmp_path / "card.md").write_text(text)
    return DatasetCard.load(path)


@pytest.mark.parametrize("folder", ["sample_data", "sample_bench"])
def test_dataset_cards_carry_the_hubs_fields(
    folder: str, request: pytest.FixtureRequest, local_hub: Path, tmp_path: Path
) -> None:
    built: Path = request.getfixturevalue(folder)
    repo = local_hub / "datasets" / (DATA_REPO if folder == "sample_data" else BENCH_REPO)
    manifest = schema.load_manifest(built)
    card = card_of(tmp_path, show(repo, "v1.0.0:README.md"))
    data = card.data
    assert (
        data.license == "other" and data.license_link == "LICENSE.md" and "LICENSE.md" in tree(repo, "v1.0.0")
    )
    assert data.task_categories == ["text-generation"] and data.task_ids == ["text-simplification"]
    sources = [get_source(*key.split(":")) for key in manifest.sources]
    assert data.source_datasets and all(s.startswith("extended|") for s in data.source_datasets)
    assert "extended|wanyu/IteraTeR_v2" in data.source_datasets if folder == "sample_data" else True
    info = data.dataset_info if isinstance(data.dataset_info, list) else [data.dataset_info]
    by_config = {i["config_name"]: i for i in info}
    assert sorted(by_config) == sorted(c.name for c in manifest.configs)
    for config in manifest.configs:
        entry = by_config[config.name]
        assert entry["splits"] == [{"name": config.split, "num_examples": config.rows}]
        assert [f["name"] for f in entry["features"]] == manifest.columns
    assert "https://arxiv.org/abs/2305.13225" in card.text
    license_md = show(repo, "v1.0.0:LICENSE.md")
    for s in sources:  # each source's licence and its link
        assert f"[{s.license}]({s.license_url})" in license_md and s.license_url
    assert "extra_gated_prompt" not in show(repo, "v1.0.0:README.md")


def test_dataset_info_matches_what_datasets_reads(sample_bench: Path) -> None:
    """`load_dataset` of the folder checks the card's features against the Parquet files."""
    from datasets import load_dataset

    ds = load_dataset(str(sample_bench), "jfleg", split="test")
    assert ds.num_rows == schema.load_manifest(sample_bench).config("jfleg").rows
    assert ds.features["references"].feature.dtype == "string"


@pytest.fixture(scope="module")
def real_text_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Builds of the sample raw files as real builds (not --sample): they hold "W&I+LOCNESS" text."""
    root = tmp_path_factory.mktemp("real-text")
    data = build_data(sample_raw_dir(), root / "writing-instruct", per_task=4, generic=4)
    bench = build_bench(sample_raw_dir(), root / "writing-bench", allow_size_mismatch=True)
    return data, bench


def test_text_that_may_not_be_redistributed_is_published_gated_only(
    real_text_builds: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data, bench = real_text_builds
    hub = tmp_path / "hub"
    with pytest.raises(
        UsageError, match=r"W&I\+LOCNESS train \(BEA-2019\), whose licence forbids redistribution.*--gated"
    ):
        push(data, DATA_REPO, hub_dir=hub)
    with pytest.raises(UsageError, match=r"BEA-2019 dev \(W&I\+LOCNESS dev\), whose licence forbids"):
        push(bench, BENCH_REPO, hub_dir=hub)
    assert not hub.exists() or not any(hub.rglob("*.parquet"))
    push(data, DATA_REPO, hub_dir=hub, gated=True)
    assert "the local hub has no access control: --gated is ignored" in caplog.text
    card = card_of(tmp_path, show(hub / "datasets" / DATA_REPO, "v1.0.0:README.md"))
    assert "W&I+LOCNESS train (BEA-2019)" in card.data.extra_gated_prompt
    assert card.data.extra_gated_fields["I will use it for non-commercial research only"] == "checkbox"
    assert "must be gated" in show(hub / "datasets" / DATA_REPO, "v1.0.0:LICENSE.md")


def test_on_the_hub_gating_is_set_before_any_upload(hub: object, real_text_builds: tuple[Path, Path]) -> None:
    data, _ = real_text_builds
    push(data, DATA_REPO, gated=True)
    requests = hub.requests  # type: ignore[attr-defined]
    settings = [i for i, r in enumerate(requests) if r.method == "PUT" and r.path.endswith("/settings")]
    uploads = [i for i, r in enumerate(requests) if "/preupload/" in r.path or "/commit/" in r.path]
    assert len(settings) == 1 and settings[0] < min(uploads)
    assert requests[settings[0]].body == {"gated": "manual"}
    assert hub.repos[("dataset", DATA_REPO)].gated == "manual"  # type: ignore[attr-defined]


def test_details_of_text_that_may_not_be_redistributed_need_gated(
    lora_run: Path, local_hub: Path, real_text_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    """The details hold the benchmark's inputs: the same rule as the benchmark's own repo."""
    _, bench = real_text_builds
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path / "real-bench-eval" / "results.json"
    evaluate(EvalSettings(model=str(lora_run), bench=str(bench), out=out, max_new_tokens=4, sets=["bea19"]))
    push(bench, "acme/real-bench", hub_dir=local_hub, gated=True)
    refs = {**REFS, "bench_repo": "acme/real-bench@v1.0.0"}
    with pytest.raises(UsageError, match="acme/tiny-writing-lora-details .*forbids redistribution"):
        push(lora_run, "acme/tiny-writing-lora", hub_dir=local_hub, results=[out], details=True, **refs)
    push(
        lora_run, "acme/tiny-writing-lora", hub_dir=local_hub, results=[out], details=True, gated=True, **refs
    )
    details = show(local_hub / "datasets" / "acme/tiny-writing-lora-details", "v1.0.0:README.md")
    assert "extra_gated_prompt" in details
    shutil.rmtree(tmp_path / "real-bench-eval")
