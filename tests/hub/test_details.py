"""`wa-hub push RUN --details`: the details dataset ORG/NAME-details, one config per set, every row scored.

The run, its evaluation and the benchmark are the real producers' (conftest.py); the rows are checked
against the metrics themselves and against results.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from hubtest import BENCH_REPO, REFS, git, show, tree

from wa_hub import metrics, schema
from wa_hub.errors import UsageError, WaHubError
from wa_hub.evaluate.bench import load_set
from wa_hub.hub import push
from wa_hub.hub.localgit import LocalGitBackend
from wa_hub.study import BENCH_SETS

REPO = "acme/tiny-writing-lora"
DETAILS = "acme/tiny-writing-lora-details"


def details_rows(repo: Path, config: str, tmp_path: Path) -> list[dict]:
    """The rows of one config at v1.0.0, read from the working tree (git-lfs smudges it)."""
    return pq.read_table(repo / "data" / config / "test-00000-of-00001.parquet").to_pylist()


def test_details_hold_every_scored_row_and_reproduce_the_scores(
    lora_run: Path, local_hub: Path, sample_bench: Path, tmp_path: Path
) -> None:
    out = push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
    assert out["details"]["repo"] == DETAILS and out["details"]["tag"] == "v1.0.0"
    repo = local_hub / "datasets" / DETAILS
    files = tree(repo, "v1.0.0")
    assert {"README.md", "details.json"} <= files
    assert {f"data/{s.config}/test-00000-of-00001.parquet" for s in BENCH_SETS} <= files
    results = schema.load_model_file(lora_run / "eval" / "results.json", schema.Results)
    manifest = schema.DetailsManifest.model_validate(json.loads(show(repo, "v1.0.0:details.json")))
    bench_sha = git(local_hub / "datasets" / BENCH_REPO, "rev-parse", "v1.0.0^{commit}")
    assert (manifest.model, manifest.version, manifest.bench, manifest.bench_revision) == (
        REPO,
        "1.0.0",
        BENCH_REPO,
        bench_sha,
    )
    for s in BENCH_SETS:
        rows = details_rows(repo, s.config, tmp_path)
        bench = load_set(str(sample_bench), s.config)
        entry = results.sets[s.config]
        assert [r["id"] for r in rows] == [b.id for b in bench] and len(rows) == entry.n
        assert list(rows[0]) == list(schema.columns(schema.DetailsRow))
        preds = [
            json.loads(line)["prediction"]
            for line in (lora_run / "eval/predictions" / f"{s.config}.jsonl").open()
        ]
        assert [r["prediction"] for r in rows] == preds
        assert [r["input"] for r in rows] == [b.input for b in bench]
        # the rows give back the set's score, with the benchmark's gold for the M2 sets
        again = metrics.score(
            s.metric,
            sources=[r["input"] for r in rows],
            references=[r["references"] for r in rows],
            gold_m2=[b.m2 for b in bench],
            hypotheses=[r["hypothesis"] for r in rows],
        )
        assert again.score == pytest.approx(entry.score)
        assert manifest.sets[s.config].score == entry.score and manifest.sets[s.config].rows == entry.n
        if s.metric in ("sari", "m2"):  # a row's score is its sentence scored alone
            r, b = rows[0], bench[0]
            alone = metrics.score(
                s.metric, sources=[r["input"]], references=[r["references"]], gold_m2=[b.m2],
                hypotheses=[r["hypothesis"]],
            )  # fmt: skip
            assert r["score"] == pytest.approx(alone.score)
    card = show(local_hub / "models" / REPO, "v1.0.0:README.md")
    assert f'load_dataset("{DETAILS}", "conll14", split="test", revision="v1.0.0")' in card
    details_card = show(repo, "v1.0.0:README.md")
    assert f"commit\n`{bench_sha}`" in details_card or bench_sha in details_card
    assert f"[`{REPO}`]" in details_card
    front = yaml.safe_load(details_card.split("---")[1])
    assert front["license_link"].endswith(f"/datasets/{BENCH_REPO}/blob/{bench_sha}/README.md")
    assert front["source_datasets"] == [f"extended|{BENCH_REPO}"]


def test_predictions_that_do_not_give_the_score_are_refused(
    lora_run: Path, local_hub: Path, sample_bench: Path
) -> None:
    path = lora_run / "eval" / "predictions" / "jfleg.jsonl"
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["prediction"] = load_set(str(sample_bench), "jfleg")[0].references[0]  # a perfect output, unscored
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    with pytest.raises(WaHubError, match=r"jfleg: the predictions in .* score .* but .* says"):
        push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
    assert not (local_hub / "datasets" / DETAILS).exists() and not (local_hub / "models" / REPO).exists()


def test_a_push_stopped_after_the_details_goes_on_with_the_model(
    lora_run: Path, local_hub: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = LocalGitBackend.publish

    def model_fails(self: LocalGitBackend, repo: str, repo_type: str, *args: object, **kw: object) -> dict:
        if repo_type == "model":
            raise WaHubError("simulated: the model's push failed")
        return real(self, repo, repo_type, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalGitBackend, "publish", model_fails)
    with pytest.raises(WaHubError, match="simulated"):
        push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
    monkeypatch.setattr(LocalGitBackend, "publish", real)
    details_before = git(local_hub / "datasets" / DETAILS, "rev-parse", "v1.0.0^{commit}")
    # other predictions files under the same version: refused, the details of a version never change
    path = lora_run / "eval" / "predictions" / "sts.jsonl"
    original = path.read_text()
    path.write_text(
        "".join(
            json.dumps(json.loads(line), indent=None, separators=(",", ":")) + "\n"
            for line in original.splitlines()
        )
    )
    with pytest.raises(UsageError, match=f"{DETAILS} v1.0.0 already exists.*immutable"):
        push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
    assert not (local_hub / "models" / REPO).exists()
    path.write_text(original)
    out = push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
    assert "already holds these details" in caplog.text
    assert out["details"]["revision"] == details_before  # kept, not pushed twice
    assert "v1.0.0" in git(local_hub / "models" / REPO, "tag", "--list")


def test_details_need_the_benchmark_rows(lora_run: Path, local_hub: Path, tmp_path: Path) -> None:
    results = json.loads((lora_run / "eval" / "results.json").read_text())
    results["bench"]["path_or_id"] = str(tmp_path / "moved-away")
    (lora_run / "eval" / "results.json").write_text(json.dumps(results))
    with pytest.raises(UsageError, match="--details needs the benchmark's rows"):
        push(lora_run, REPO, hub_dir=local_hub, details=True, **REFS)
