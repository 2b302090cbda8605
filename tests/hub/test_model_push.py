"""Pushing a run dir: what goes into the model repo, and a card that ModelCard.load reads the results from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from hubtest import results_obj

from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import push
from wa_hub.schema import Results, load_model_file
from wa_hub.study import BENCH_SETS

REPO = "acme/tiny-writing-lora"


def show(repo: Path, rev_path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", rev_path], capture_output=True, text=True, check=True
    ).stdout


def tree(repo: Path, rev: str) -> set[str]:
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", rev],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return set(out.splitlines())


def test_adapter_repo_holds_weights_card_results_not_checkpoints(lora_run: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    out = push(lora_run, REPO, hub_dir=hub)
    assert out["repo_type"] == "model" and out["tag"] == "v1.0.0"
    repo = hub / "models" / "acme" / "tiny-writing-lora"
    files = tree(repo, "v1.0.0")
    expected = ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "run.json", "README.md", "eval/results.json", "eval/predictions/conll14.jsonl",
                ".eval_results/writing-bench.yaml", "logs/events.out.tfevents.1.host"]  # fmt: skip
    for name in expected:
        assert name in files, name
    assert not any(f.startswith("checkpoint-") for f in files)
    assert json.loads(show(repo, "v1.0.0:run.json"))["method"] == "lora"


def test_model_card_metadata_and_body(lora_run: Path, tmp_path: Path) -> None:
    from huggingface_hub import ModelCard

    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub, version="0.3.1")
    readme = tmp_path / "README.md"
    readme.write_text(show(hub / "models" / "acme" / "tiny-writing-lora", "v0.3.1:README.md"))
    card = ModelCard.load(readme)
    data = card.data
    assert data.library_name == "peft"
    assert data.datasets == ["acme/writing-instruct"]
    assert data.license == "cc-by-nc-4.0"
    assert "wa-hub" in data.tags
    expected = load_model_file(lora_run / "eval" / "results.json", Results).sets
    by_set = {(r.dataset_config, r.metric_type): r for r in data.eval_results}
    for s in BENCH_SETS:
        entry = expected[s.config]
        headline = f"f{entry.beta:g}" if entry.f_beta is not None else s.metric  # f0.5 for M2 and ERRANT
        r = by_set[(s.config, headline)]
        assert r.metric_value == pytest.approx(entry.score)
        assert (r.dataset_type, r.dataset_split, r.dataset_revision) == (
            "acme/writing-bench",
            "test",
            "v1.0.0",
        )
        assert r.task_type == "text-generation"
    assert by_set[("conll14", "precision")].metric_value == pytest.approx(expected["conll14"].precision)
    assert by_set[("conll14", "f0.5")].metric_name == "M2 F0.5"
    text = card.text
    assert 'revision="v0.3.1"' in text and "Version 0.3.1" in text
    assert 'PeftModel.from_pretrained(base, "acme/tiny-writing-lora", revision="v0.3.1")' in text
    assert "### Instruction:\\nFix grammatical errors in the text." in text  # the Alpaca prompt, escaped
    assert 'load_dataset("acme/writing-instruct", "mixed", revision="v1.0.0")' in text
    assert "max_steps: 8" in text  # the recipe as YAML
    assert "1m 23s" in text and "5.4321" in text and "device: cpu" in text
    assert "| wa-hub commit | `0123abc` |" in text  # run.json's git_commit, a string
    assert "| acme/tiny-writing-lora | 10.00 |" in text  # the Table 3 row
    assert "CC BY-NC 4.0" in text and "arXiv:2305.13225" in text


def test_eval_results_files(lora_run: Path, tmp_path: Path) -> None:
    from huggingface_hub._eval_results import parse_eval_result_entries

    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub)
    raw = yaml.safe_load(
        show(hub / "models" / "acme" / "tiny-writing-lora", "v1.0.0:.eval_results/writing-bench.yaml")
    )
    entries = parse_eval_result_entries(raw)
    assert [e.task_id for e in entries] == [s.config for s in BENCH_SETS]
    assert {e.dataset_id for e in entries} == {"acme/writing-bench"}
    assert entries[0].value == pytest.approx(10.0) and entries[0].dataset_revision == "v1.0.0"


def test_local_benchmark_needs_bench_repo(lora_run: Path, tmp_path: Path) -> None:
    local = tmp_path / "bench-folder"
    local.mkdir()
    results = tmp_path / "other-results.json"
    results.write_text(json.dumps(results_obj(str(local), None, decoding="beam", offset=1.0)))
    hub = tmp_path / "hub"
    with pytest.raises(UsageError, match="--bench-repo"):
        push(lora_run, REPO, hub_dir=hub, results=[results])
    push(lora_run, REPO, hub_dir=hub, results=[results], bench_repo="acme/writing-bench@v1.0.0")
    card = show(hub / "models" / "acme" / "tiny-writing-lora", "v1.0.0:README.md")
    assert "type: acme/writing-bench" in card and "value: 11.0" in card


def test_several_results_files(lora_run: Path, tmp_path: Path) -> None:
    beam = tmp_path / "beam" / "results.json"
    beam.parent.mkdir()
    beam.write_text(json.dumps(results_obj("acme/writing-bench", "v1.0.0", decoding="beam", offset=2.0)))
    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub, results=[lora_run / "eval" / "results.json", beam])
    repo = hub / "models" / "acme" / "tiny-writing-lora"
    files = tree(repo, "v1.0.0")
    assert {"eval/greedy/results.json", "eval/beam/results.json"} <= files
    assert {".eval_results/writing-bench-greedy.yaml", ".eval_results/writing-bench-beam.yaml"} <= files
    card = show(repo, "v1.0.0:README.md")
    assert "| acme/tiny-writing-lora (greedy) | 10.00 |" in card
    assert "| acme/tiny-writing-lora (beam) | 12.00 |" in card
    assert "name: M2 F0.5 (beam)" in card
    assert "`name=beam`, `do_sample=False`, `num_beams=4`" in card


def test_run_dir_problems_are_named(lora_run: Path, tmp_path: Path) -> None:
    (lora_run / "adapter_model.safetensors").unlink()
    with pytest.raises(UsageError, match="adapter_model.safetensors"):
        push(lora_run, REPO, hub_dir=tmp_path / "hub")
    (lora_run / "run.json").write_text("{not json")
    with pytest.raises(Exception, match="run.json:1"):
        push(lora_run, REPO, hub_dir=tmp_path / "hub")


def test_alpaca_chat_template_ships_and_matches_the_prompt(lora_run: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from wa_hub.prompts import format_prompt

    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub)
    repo = hub / "models" / "acme" / "tiny-writing-lora"
    assert "additional_chat_templates/alpaca.jinja" in tree(repo, "v1.0.0")
    tok = AutoTokenizer.from_pretrained(repo)  # the checked-out working tree is a loadable model dir
    with_input = {"role": "user", "content": "Simplify the text.", "input": "It is of the utmost importance."}
    assert tok.apply_chat_template([with_input], chat_template="alpaca", tokenize=False) == format_prompt(
        "Simplify the text.", "It is of the utmost importance."
    )
    no_input = [{"role": "user", "content": "Name a colour."}]
    assert tok.apply_chat_template(no_input, chat_template="alpaca", tokenize=False) == format_prompt(
        "Name a colour."
    )


def test_f_scores_are_named_by_their_own_beta(lora_run: Path, tmp_path: Path) -> None:
    """An M2/ERRANT entry scored with --beta 1 is an F1 in model-index, .eval_results and the card's text."""
    from huggingface_hub import ModelCard

    path = lora_run / "eval" / "results.json"
    result = json.loads(path.read_text())
    for config in ("conll14", "bea19"):
        result["sets"][config]["beta"] = 1.0
    path.write_text(json.dumps(result))
    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub)
    repo = hub / "models" / "acme" / "tiny-writing-lora"
    (readme := tmp_path / "README.md").write_text(show(repo, "v1.0.0:README.md"))
    card = ModelCard.load(readme)
    conll = [(r.metric_type, r.metric_name) for r in card.data.eval_results if r.dataset_config == "conll14"]
    assert conll == [("f1", "M2 F1"), ("precision", "M2 precision"), ("recall", "M2 recall")]
    assert "CoNLL-2014: M2 F1; BEA-2019 dev: ERRANT F1" in card.text
    notes = yaml.safe_load(show(repo, "v1.0.0:.eval_results/writing-bench.yaml"))
    expected = {"ERRANT F1; decoding: greedy; tokenize: none", "SARI; decoding: greedy"}
    assert expected <= {e["notes"] for e in notes}


def test_results_written_by_wa_hub_0_1_0_still_make_a_card(lora_run: Path, tmp_path: Path) -> None:
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
    push(lora_run, REPO, hub_dir=tmp_path / "hub")
    card = show(tmp_path / "hub" / "models" / "acme" / "tiny-writing-lora", "v1.0.0:README.md")
    assert "type: f0.5\n      value: 31.5" in card and "type: gleu\n      value: 44.25" in card
    assert "| acme/tiny-writing-lora | 31.50 | - | 44.25 |" in card


def test_run_json_that_does_not_match_its_schema_is_named(lora_run: Path, tmp_path: Path) -> None:
    """run.json's git_commit is a string; the dict an old test fixture faked is an error naming the field."""
    run = json.loads((lora_run / "run.json").read_text())
    run["git_commit"] = {"commit": "0123abc", "dirty": False}
    (lora_run / "run.json").write_text(json.dumps(run))
    with pytest.raises(WaHubError, match=r"run.json: expected a valid RunRecord: field git_commit"):
        push(lora_run, REPO, hub_dir=tmp_path / "hub")


@pytest.mark.parametrize(
    ("recipe", "row"),
    [
        ({"name": "my-7b", "paper_row": "Writing-Alpaca-7B"}, "Writing-Alpaca-7B"),
        ({"name": "full-ft-7b"}, "LoRA->Full Finetuning"),  # run.json from before recipes named their row
        ({"name": "tiny-cpu"}, None),
    ],
)
def test_the_card_puts_the_run_next_to_the_studys_row(
    lora_run: Path, tmp_path: Path, recipe: dict, row: str | None
) -> None:
    run = json.loads((lora_run / "run.json").read_text())
    run["recipe"] = {**run["recipe"], **recipe}
    (lora_run / "run.json").write_text(json.dumps(run))
    hub = tmp_path / "hub"
    push(lora_run, REPO, hub_dir=hub)
    text = show(hub / "models" / "acme" / "tiny-writing-lora", "v1.0.0:README.md")
    table = [line for line in text.splitlines() if line.startswith("| ") and "(paper)" in line]
    if row is None:
        assert table == [] and f"The study has no row for this recipe (`{recipe['name']}`)" in text
        return
    assert len(table) == 1 and table[0].startswith(f"| {row} (paper) |")
    assert text.index(table[0]) < text.index("| acme/tiny-writing-lora |")  # the study's row, then the run
    assert f'reproduces "{row}" of its' in text
