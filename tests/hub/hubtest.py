"""Small, real inputs for the publishing tests: a dataset folder, results.json files, a LoRA run dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wa_hub.prompts import TASK_PROMPTS
from wa_hub.study import BENCH_SETS

FAKE_TOKEN = "hf_WaHubFakeTokenDoNotLeak0123456789abcd"

CONFIGS = ("mixed", "writing")


def instruct_rows(config: str, n: int = 6) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        task = "generic" if config == "mixed" and i % 2 else "grammaticality"
        rows.append(
            {
                "id": f"{config}-{i:04d}",
                "task": task,
                "instruction": TASK_PROMPTS["grammaticality"]
                if task != "generic"
                else f"Name a colour ({i}).",
                "input": f"She go to school {i} times ." if task != "generic" else "",
                "output": f"She goes to school {i} times ." if task != "generic" else "Blue.",
                "source": "wi-locness" if task != "generic" else "alpaca",
            }
        )
    return rows


def write_dataset_folder(out: Path, version: str = "1.0.0", name: str = "writing-instruct") -> Path:
    """A dataset folder per ARCHITECTURE.md (manifest.json, README.md with `configs:`, Parquet shards)."""
    from datasets import Dataset

    configs_yaml = []
    for c in CONFIGS:
        Dataset.from_list(instruct_rows(c)).to_parquet(out / "data" / c / "train-00000-of-00001.parquet")
        configs_yaml.append(
            f"- config_name: {c}\n  data_files:\n  - split: train\n    path: data/{c}/train-*.parquet"
        )
    front = "configs:\n" + "\n".join(configs_yaml) + "\nlicense: other\nlanguage:\n- en\n"
    body = (
        f"# Writing instructions (v{version})\n\n"
        f'```python\nds = load_dataset("ORG/{name}", "mixed", split="train", revision="v{version}")\n```\n'
    )
    (out / "README.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    manifest = {"name": name, "kind": "instruction-data", "version": version, "seed": 0,
                "counts": {c: len(instruct_rows(c)) for c in CONFIGS}}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out


def results_obj(
    bench: str, revision: str | None, decoding: str = "greedy", offset: float = 0.0
) -> dict[str, Any]:
    """A results.json object as `wa-hub evaluate` writes it, with distinct scores per set."""
    sets = {}
    for i, s in enumerate(BENCH_SETS):
        score = round(10.0 + 3.5 * i + offset, 2)
        entry: dict[str, Any] = {"metric": s.metric, "score": score, "n": 3, "seconds": 0.1}
        if s.metric in ("m2", "errant"):
            entry.update({"precision": score + 5, "recall": score - 5, "f0.5": score})
        sets[s.config] = entry
    avg = round(sum(v["score"] for v in sets.values()) / len(sets), 4)
    return {
        "wa_hub_version": "0.1.0",
        "model": {"source": "run", "adapter": None, "revision": None, "run": "run"},
        "bench": {"path_or_id": bench, "revision": revision},
        "decoding": {"name": decoding, "max_new_tokens": 64},
        "versions": {"torch": "x"},
        "created": "2025-01-02T03:04:05Z",
        "sets": sets,
        "average": avg,
        "complete": True,
    }


def make_lora_run(run: Path, base_dir: Path, dataset: dict[str, Any]) -> Path:
    """A real LoRA run dir on the tiny Llama: peft adapter (non-zero B, so it changes logits) + tokenizer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(base_dir)
    cfg = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False, task_type="CAUSAL_LM"
    )
    model = get_peft_model(base, cfg)
    model.save_pretrained(run)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(run)
    (run / "logs").mkdir()
    (run / "logs" / "events.out.tfevents.1.host").write_bytes(b"\x00tensorboard-bytes")
    (run / "checkpoint-4").mkdir()
    (run / "checkpoint-4" / "optimizer.pt").write_bytes(b"optimizer state")
    run_json = {
        "method": "lora",
        "base_model": {"name": "tiny:llama", "source": "tiny:llama", "revision": None},
        "recipe": {
            "name": "tiny-cpu",
            "method": "lora",
            "lora": {"r": 4, "alpha": 8},
            "training": {"max_steps": 8},
        },
        "dataset": dataset,
        "versions": {"torch": torch.__version__},
        "git_commit": {"commit": "0123abc", "dirty": False},
        "seed": 0,
        "wall_time_s": 83.4,
        "final_loss": 5.4321,
        "hardware": {"device": "cpu", "num_processes": 1},
    }
    (run / "run.json").write_text(json.dumps(run_json, indent=2), encoding="utf-8")
    return run
