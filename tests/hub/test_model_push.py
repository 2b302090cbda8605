"""Pushing a run dir: what goes into the model repo, a card that ModelCard.load reads the results from, and
`.eval_results/` that huggingface_hub's parser reads, pointing at the benchmark's commit.

The run is a real `train` of tiny-cpu and a real `evaluate` (conftest.py); expected values come from its
run.json and results.json, not from numbers made up here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hubtest import BENCH_REPO, REFS, git, show, tree

from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import push
from wa_hub.schema import Results, RunRecord, load_model_file
from wa_hub.study import BENCH_SETS

REPO = "acme/tiny-writing-lora"


def model_repo(hub: Path, repo: str = REPO) -> Path:
    return hub / "models" / repo


def results_of(run: Path) -> Results:
    return load_model_file(run / "eval" / "results.json", Results)


def load_card(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    from huggingface_hub import ModelCard

    (readme := tmp_path / "README.md").write_text(text)
    return ModelCard.load(readme)


def test_adapter_repo_holds_weights_card_results_not_checkpoints(lora_run: Path, local_hub: Path) -> None:
    out = push(lora_run, REPO, hub_dir=local_hub, **REFS)
    assert out["repo_type"] == "model" and out["tag"] == "v1.0.0"
    files = tree(model_repo(local_hub), "v1.0.0")
    expected = ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "run.json", "README.md", "eval/results.json", "eval/predictions/conll14.jsonl",
                "additional_chat_templates/alpaca.jinja"]  # fmt: skip
    assert set(expected) <= files
    assert {f".eval_results/{s.config}.yaml" for s in BENCH_SETS} <= files
    assert any(f.startswith("logs/") and "tfevents" in f for f in files)
    assert (lora_run / "checkpoint-4").is_dir() and (lora_run / "training_args.bin").is_file()
    assert not any(f.startswith("checkpoint-") or f == "training_args.bin" for f in files)
    assert json.loads(show(model_repo(local_hub), "v1.0.0:run.json"))["method"] == "lora"


def test_model_card_metadata_and_body(lora_run: Path, local_hub: Path, tmp_path: Path) -> None:
    from wa_hub.hub.card import _duration

    push(lora_run, REPO, hub_dir=local_hub, version="0.3.1", **REFS)
    card = load_card(tmp_path, show(model_repo(local_hub), "v0.3.1:README.md"))
    data = card.data
    assert data.library_name == "peft" and data.license == "cc-by-nc-4.0" and "wa-hub" in data.tags
    assert data.datasets == ["acme/writing-instruct"]
    expected = results_of(lora_run).sets
    bench_sha = git(local_hub / "datasets" / BENCH_REPO, "rev-parse", "v1.0.0^{commit}")
    by_set = {(r.dataset_config, r.metric_type): r for r in data.eval_results}
    for s in BENCH_SETS:
        entry = expected[s.config]
        headline = f"f{entry.beta:g}" if entry.f_beta is not None else s.metric  # f0.5 for M2 and ERRANT
        r = by_set[(s.config, headline)]
        assert r.metric_value == pytest.approx(entry.score)
        assert (r.dataset_type, r.dataset_split, r.dataset_revision) == (BENCH_REPO, "test", bench_sha)
        assert r.task_type == "text-generation"
        assert r.source_url.endswith(f"/{REPO}/blob/v0.3.1/eval/results.json")
    assert by_set[("conll14", "precision")].metric_value == pytest.approx(expected["conll14"].precision)
    assert by_set[("conll14", "f0.5")].metric_name == "M2 F0.5"
    text = card.text
    assert 'revision="v0.3.1"' in text and "Version 0.3.1" in text
    assert f'PeftModel.from_pretrained(base, "{REPO}", revision="v0.3.1")' in text
    assert "### Instruction:\\nFix grammatical errors in the text." in text  # the Alpaca prompt, escaped
    assert 'load_dataset("acme/writing-instruct", "mixed", revision="v1.0.0")' in text
    run = load_model_file(lora_run / "run.json", RunRecord)
    assert f"max_steps: {run.recipe['training']['max_steps']}" in text  # the recipe as YAML
    assert (
        f"{run.final_loss:.4f}" in text and str(_duration(run.wall_time_s)) in text and "device: cpu" in text
    )
    if run.git_commit:
        assert f"| wa-hub commit | `{run.git_commit}`" in text
    assert f"| {REPO} | {expected['conll14'].score:.2f} ±" in text  # the Table 3 row, with its 95% CI
    assert f"`{BENCH_REPO}` @ `v1.0.0`, commit `{bench_sha}`" in text
    assert "CC BY-NC 4.0" in text and "arXiv:2305.13225" in text


def test_eval_results_one_file_per_set_at_the_benchmarks_commit(
    lora_run: Path, local_hub: Path, tmp_path: Path
) -> None:
    from huggingface_hub import parse_eval_result_entries

    push(lora_run, REPO, hub_dir=local_hub, **REFS)
    bench = local_hub / "datasets" / BENCH_REPO
    tasks = [t["id"] for t in yaml.safe_load(show(bench, "v1.0.0:eval.yaml"))["tasks"]]
    assert tasks == [s.config for s in BENCH_SETS]
    sha = git(bench, "rev-parse", "v1.0.0^{commit}")
    expected = results_of(lora_run)
    for s in BENCH_SETS:
        (entry,) = parse_eval_result_entries(
            yaml.safe_load(show(model_repo(local_hub), f"v1.0.0:.eval_results/{s.config}.yaml"))
        )
        assert (entry.dataset_id, entry.task_id, entry.dataset_revision) == (BENCH_REPO, s.config, sha)
        assert re.fullmatch(r"[0-9a-f]{40}", entry.dataset_revision) and entry.task_id in tasks
        assert entry.value == pytest.approx(expected.sets[s.config].score)
        assert entry.source_url.endswith(f"/{REPO}/blob/v1.0.0/eval/results.json")
        assert "eval/results.json" in tree(model_repo(local_hub), "v1.0.0")
        assert "decoding: greedy" in entry.notes and f"wa-hub {expected.wa_hub_version}" in entry.notes
        assert entry.date == expected.created
    notes = {
        s.config: yaml.safe_load(show(model_repo(local_hub), f"v1.0.0:.eval_results/{s.config}.yaml"))[0][
            "notes"
        ]
        for s in BENCH_SETS
    }
    assert f"tokenize: {expected.sets['conll14'].tokenize}" in notes["conll14"]  # how it was scored
    assert "tokenize" not in notes["asset"]  # SARI tokenizes its own inputs


def test_references_must_exist_on_the_hub_before_anything_is_uploaded(
    lora_run: Path, local_hub: Path
) -> None:
    with pytest.raises(UsageError, match=r"--bench-repo acme/writing-bench@v9.9.9 is not a dataset"):
        push(
            lora_run,
            REPO,
            hub_dir=local_hub,
            bench_repo=f"{BENCH_REPO}@v9.9.9",
            dataset_repo=REFS["dataset_repo"],
        )
    with pytest.raises(UsageError, match=r"--bench-repo acme/nothing@v1.0.0 is not a dataset"):
        push(lora_run, REPO, hub_dir=local_hub, bench_repo="acme/nothing@v1.0.0")
    with pytest.raises(UsageError, match=r"--dataset-repo acme/writing-instruct@v2.0.0 is not a dataset"):
        push(
            lora_run,
            REPO,
            hub_dir=local_hub,
            bench_repo=REFS["bench_repo"],
            dataset_repo="acme/writing-instruct@v2.0.0",
        )
    assert not model_repo(local_hub).exists()


def test_a_local_benchmark_needs_bench_repo(lora_run: Path, local_hub: Path, sample_bench: Path) -> None:
    assert results_of(lora_run).bench.path_or_id == str(sample_bench.resolve())  # evaluated on a folder
    with pytest.raises(UsageError, match="--bench-repo"):
        push(lora_run, REPO, hub_dir=local_hub, dataset_repo=REFS["dataset_repo"])


def test_a_benchmark_without_eval_yaml_is_named(
    lora_run: Path, local_hub: Path, sample_bench: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A benchmark pushed before eval.yaml existed: the results are published, and a warning says why the Hub
    will not list them."""
    import shutil

    old = Path(shutil.copytree(sample_bench, tmp_path / "old-bench"))
    (old / "eval.yaml").unlink()
    from wa_hub.hub.localgit import LocalGitBackend
    from wa_hub.hub.stage import dataset_files

    files = {k: v for k, v in dataset_files(old).items() if k != "eval.yaml"}
    LocalGitBackend(local_hub).publish(
        "acme/old-bench", "dataset", files, "v1.0.0", private=False, message="old"
    )
    push(lora_run, REPO, hub_dir=local_hub, bench_repo="acme/old-bench@v1.0.0")
    assert "acme/old-bench@v1.0.0 has no eval.yaml" in caplog.text


def test_several_results_one_headline_per_set(
    lora_run: Path, local_hub: Path, sample_bench: Path, tmp_path: Path
) -> None:
    """Greedy and beam results: the card's table shows both; metadata and .eval_results carry greedy only."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    beam_out = lora_run / "eval-beam" / "results.json"
    beam = evaluate(
        EvalSettings(
            model=str(lora_run),
            bench=str(sample_bench),
            out=beam_out,
            decoding="beam",
            max_new_tokens=8,
            sets=["conll14", "jfleg"],
        )
    )
    assert beam is not None
    push(lora_run, REPO, hub_dir=local_hub, results=[lora_run / "eval" / "results.json", beam_out], **REFS)
    repo = model_repo(local_hub)
    files = tree(repo, "v1.0.0")
    assert {
        "eval/greedy/results.json",
        "eval/beam/results.json",
        "eval/beam/predictions/jfleg.jsonl",
    } <= files
    assert sorted(f for f in files if f.startswith(".eval_results/")) == sorted(
        f".eval_results/{s.config}.yaml" for s in BENCH_SETS
    )
    greedy = results_of(lora_run)
    (entry,) = yaml.safe_load(show(repo, "v1.0.0:.eval_results/jfleg.yaml"))
    assert (
        entry["value"] == pytest.approx(greedy.sets["jfleg"].score) and "decoding: greedy" in entry["notes"]
    )
    assert entry["source"]["url"].endswith("/eval/greedy/results.json")
    card = load_card(tmp_path, show(repo, "v1.0.0:README.md"))
    assert len([r for r in card.data.eval_results if r.dataset_config == "jfleg"]) == 1
    assert f"| {REPO} (greedy) | {greedy.sets['conll14'].score:.2f} ±" in card.text
    assert f"| {REPO} (beam) | {beam.sets['conll14'].score:.2f} ±" in card.text
    assert "`name=beam`, `do_sample=False`, `num_beams=4`" in card.text
    assert "from the greedy decoding" in card.text


def test_partial_sets_stay_off_the_leaderboard(
    lora_run: Path, local_hub: Path, sample_bench: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A `--limit` run scores part of a set: in the card's table, not in model-index or .eval_results."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path / "limited" / "results.json"
    evaluate(
        EvalSettings(
            model=str(lora_run), bench=str(sample_bench), out=out, max_new_tokens=8, limit=2, sets=["jfleg"]
        )
    )
    push(lora_run, REPO, hub_dir=local_hub, results=[out], **REFS)
    files = tree(model_repo(local_hub), "v1.0.0")
    assert not any(f.startswith(".eval_results/") for f in files)
    assert "jfleg: scored on part of their rows" in caplog.text
    card = load_card(tmp_path, show(model_repo(local_hub), "v1.0.0:README.md"))
    assert not card.data.eval_results


def test_run_dir_problems_are_named(lora_run: Path, local_hub: Path) -> None:
    (lora_run / "adapter_model.safetensors").unlink()
    with pytest.raises(UsageError, match="adapter_model.safetensors"):
        push(lora_run, REPO, hub_dir=local_hub, **REFS)
    (lora_run / "run.json").write_text("{not json")
    with pytest.raises(WaHubError, match="run.json:1"):
        push(lora_run, REPO, hub_dir=local_hub, **REFS)


def test_alpaca_chat_template_ships_and_matches_the_prompt(lora_run: Path, local_hub: Path) -> None:
    from transformers import AutoTokenizer

    from wa_hub.prompts import format_prompt

    push(lora_run, REPO, hub_dir=local_hub, **REFS)
    repo = model_repo(local_hub)
    tok = AutoTokenizer.from_pretrained(repo)  # the checked-out working tree is a loadable model dir
    with_input = {"role": "user", "content": "Simplify the text.", "input": "It is of the utmost importance."}
    assert tok.apply_chat_template([with_input], chat_template="alpaca", tokenize=False) == format_prompt(
        "Simplify the text.", "It is of the utmost importance."
    )
    no_input = [{"role": "user", "content": "Name a colour."}]
    assert tok.apply_chat_template(no_input, chat_template="alpaca", tokenize=False) == format_prompt(
        "Name a colour."
    )


def test_f_scores_are_named_by_their_own_beta(lora_run: Path, local_hub: Path, tmp_path: Path) -> None:
    """An M2/ERRANT entry scored with --beta 1 is an F1 in model-index, .eval_results and the card's text."""
    path = lora_run / "eval" / "results.json"
    result = json.loads(path.read_text())
    for config in ("conll14", "bea19"):
        result["sets"][config]["beta"] = 1.0
    path.write_text(json.dumps(result))
    push(lora_run, REPO, hub_dir=local_hub, **REFS)
    repo = model_repo(local_hub)
    card = load_card(tmp_path, show(repo, "v1.0.0:README.md"))
    conll = [(r.metric_type, r.metric_name) for r in card.data.eval_results if r.dataset_config == "conll14"]
    assert conll == [("f1", "M2 F1"), ("precision", "M2 precision"), ("recall", "M2 recall")]
    assert "CoNLL-2014: M2 F1; BEA-2019 dev: ERRANT F1" in card.text
    (bea,) = yaml.safe_load(show(repo, "v1.0.0:.eval_results/bea19.yaml"))
    assert bea["notes"].startswith("ERRANT F1; decoding: greedy; tokenize: ")


def test_results_written_by_wa_hub_0_1_0_still_make_a_card(lora_run: Path, local_hub: Path) -> None:
    """0.1.0 kept each metric's keys flat (`f0.5`, `correct`, ...) and had no schema_version."""
    old = {
        "wa_hub_version": "0.1.0",
        "model": {"source": "run", "adapter": None, "revision": None, "run": "run"},
        "bench": {"path_or_id": "acme/writing-bench", "revision": "v1.0.0"},
        "decoding": {"name": "greedy", "max_new_tokens": 64},
        "versions": {"torch": "x"},
        "created": "2025-01-02T03:04:05Z",
        "sets": {
            "conll14": {"metric": "m2", "score": 31.5, "precision": 40.0, "recall": 15.0, "f0.5": 31.5,
                        "correct": 3, "proposed": 7, "gold": 20, "n": 3, "seconds": 0.1},
            "jfleg": {"metric": "gleu", "score": 44.25, "n": 3, "seconds": 0.1},
        },
        "average": None,
        "complete": False,
    }  # fmt: skip
    (lora_run / "eval" / "results.json").write_text(json.dumps(old))
    push(lora_run, REPO, hub_dir=local_hub, dataset_repo=REFS["dataset_repo"])
    card = show(model_repo(local_hub), "v1.0.0:README.md")
    assert "type: f0.5\n      value: 31.5" in card and "type: gleu\n      value: 44.25" in card
    assert f"| {REPO} | 31.50 | - | 44.25 |" in card


def test_run_json_that_does_not_match_its_schema_is_named(lora_run: Path, local_hub: Path) -> None:
    """run.json's git_commit is a string; a dict there is an error naming the field."""
    run = json.loads((lora_run / "run.json").read_text())
    run["git_commit"] = {"commit": "0123abc", "dirty": False}
    (lora_run / "run.json").write_text(json.dumps(run))
    with pytest.raises(WaHubError, match=r"run.json: expected a valid RunRecord: field git_commit"):
        push(lora_run, REPO, hub_dir=local_hub, **REFS)


@pytest.mark.parametrize(
    ("recipe", "row"),
    [
        ({"name": "my-7b", "paper_row": "Writing-Alpaca-7B"}, "Writing-Alpaca-7B"),
        ({"name": "full-ft-7b"}, "LoRA->Full Finetuning"),  # run.json from before recipes named their row
        ({"name": "tiny-cpu"}, None),
    ],
)
def test_the_card_puts_the_run_next_to_the_studys_row(
    lora_run: Path, local_hub: Path, recipe: dict, row: str | None
) -> None:
    run = json.loads((lora_run / "run.json").read_text())
    before = {k: v for k, v in run["recipe"].items() if k != "paper_row"}  # as a run.json of an older wa-hub
    run["recipe"] = {**before, **recipe}
    (lora_run / "run.json").write_text(json.dumps(run))
    push(lora_run, REPO, hub_dir=local_hub, **REFS)
    text = show(model_repo(local_hub), "v1.0.0:README.md")
    table = [line for line in text.splitlines() if line.startswith("| ") and "(paper)" in line]
    if row is None:
        assert table == [] and f"The study has no row for this recipe (`{recipe['name']}`)" in text
        return
    assert len(table) == 1 and table[0].startswith(f"| {row} (paper) |")
    assert text.index(table[0]) < text.index(f"| {REPO} |")  # the study's row, then the run
    assert f'reproduces "{row}" of its' in text


def test_a_card_from_a_partial_run_says_so_first(
    lora_run: Path, local_hub: Path, sample_bench: Path, tmp_path: Path
) -> None:
    """Results of `evaluate --limit 2 --sets jfleg,sts`: the card's first lines say what they cover."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path / "limited" / "results.json"
    evaluate(EvalSettings(model=str(lora_run), bench=str(sample_bench), out=out, max_new_tokens=8, limit=2,
                          sets=["jfleg", "sts"]))  # fmt: skip
    push(lora_run, REPO, hub_dir=local_hub, results=[out], **REFS)
    text = show(model_repo(local_hub), "v1.0.0:README.md")
    body = text.split("\n---\n", 1)[1].lstrip().splitlines()
    assert body[0] == f"# {REPO}" and body[2].startswith("> **Partial evaluation.**")
    assert f"> - {REPO}: JFL 2 of 8 rows, STS 2 of 8 rows; not run: CoNLL, BEA, ITR-F," in text
    row = next(line for line in text.splitlines() if line.startswith(f"| {REPO} |"))
    assert row.count("*") == 2 and row.endswith("| - |")  # scores on part of a set are marked; no Avg


def test_a_card_template_of_ones_own(lora_run: Path, local_hub: Path, tmp_path: Path) -> None:
    """`push --card-template`: the user's file is the card's body, given the values the shipped one gets;
    it includes files from its own folder."""
    (mine := tmp_path / "templates" / "my-card.md.j2").parent.mkdir()
    (mine.parent / "_pin.md.j2").write_text('Pin it: revision="{{ tag }}".\n')
    mine.write_text(
        "---\n{{ card_data }}\n---\n# {{ repo }} by ACME\n\nBase: {{ base_id }}.\n"
        '{% include "_pin.md.j2" %}\n'
    )
    push(lora_run, REPO, hub_dir=local_hub, card_template=mine, **REFS)
    card = load_card(tmp_path, show(model_repo(local_hub), "v1.0.0:README.md"))
    assert card.text.lstrip().startswith(f"# {REPO} by ACME")
    assert card.data.library_name == "peft" and card.data.eval_results  # the metadata is wa-hub's
    assert 'Pin it: revision="v1.0.0".' in card.text
    mine.write_text("# {{ no_such_value }}\n")
    with pytest.raises(
        UsageError, match=r"my-card\.md\.j2: 'no_such_value' is undefined; a model card .* repo"
    ):
        push(lora_run, REPO, hub_dir=local_hub, version="1.0.1", card_template=mine, **REFS)
    mine.write_text("line one\n{% if %}\n")
    with pytest.raises(WaHubError, match=r"my-card\.md\.j2:2: expected a Jinja template"):
        push(lora_run, REPO, hub_dir=local_hub, version="1.0.1", card_template=mine, **REFS)
    with pytest.raises(UsageError, match="card template .*missing.j2 not found"):
        push(
            lora_run, REPO, hub_dir=local_hub, version="1.0.1", card_template=tmp_path / "missing.j2", **REFS
        )
