"""Pushing a run dir: what goes into the model repo, and a card that ModelCard.load reads the results from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from hubtest import results_obj

from wa_hub.errors import UsageError
from wa_hub.hub import push
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
    expected = results_obj("acme/writing-bench", "v1.0.0")["sets"]
    by_set = {(r.dataset_config, r.metric_type): r for r in data.eval_results}
    for s in BENCH_SETS:
        headline = "f0.5" if s.metric in ("m2", "errant") else s.metric
        r = by_set[(s.config, headline)]
        assert r.metric_value == pytest.approx(expected[s.config]["score"])
        assert (r.dataset_type, r.dataset_split, r.dataset_revision) == (
            "acme/writing-bench",
            "test",
            "v1.0.0",
        )
        assert r.task_type == "text-generation"
    assert by_set[("conll14", "precision")].metric_value == pytest.approx(expected["conll14"]["precision"])
    text = card.text
    assert 'revision="v0.3.1"' in text and "Version 0.3.1" in text
    assert 'PeftModel.from_pretrained(base, "acme/tiny-writing-lora", revision="v0.3.1")' in text
    assert "### Instruction:\\nFix grammatical errors in the text." in text  # the Alpaca prompt, escaped
    assert 'load_dataset("acme/writing-instruct", "mixed", revision="v1.0.0")' in text
    assert "max_steps: 8" in text  # the recipe as YAML
    assert "1m 23s" in text and "5.4321" in text and "device: cpu" in text
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
