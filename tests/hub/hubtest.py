"""Small, real inputs for the publishing tests: a dataset folder, results.json files, a LoRA run dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wa_hub.metrics import get_metric
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
    """A dataset folder written by the builders' writer (Parquet, manifest.json, the card made from it)."""
    from wa_hub import __version__, build, schema

    rows = {c: [schema.InstructionRow(**r) for r in instruct_rows(c)] for c in CONFIGS}
    grammar = sum(r.task == "grammaticality" for r in rows["mixed"])
    manifest = schema.InstructionManifest(
        name=name,
        pretty_name="Writing instructions",
        version=version,
        wa_hub_version=__version__,
        builder=build.load_data_spec().model_dump(),
        sample=True,
        raw_files={},
        configs=[
            schema.ConfigEntry(name=c, split="train", rows=len(rows[c]), default=c == "mixed")
            for c in CONFIGS
        ],
        columns=list(schema.columns(schema.InstructionRow)),
        sources=["wi_locness:train", "alpaca:generic"],
        seed=0,
        per_task={"grammaticality": grammar},
        generic_rows=None,
        parts={"grammaticality": [schema.TaskPartUsed(source="wi_locness", rows=grammar, available=grammar)]},
    )
    return build.write_dataset_folder(out, manifest, rows, schema.InstructionRow)


def results_obj(
    bench: str, revision: str | None, decoding: str = "greedy", offset: float = 0.0
) -> dict[str, Any]:
    """A results.json object as `wa-hub evaluate` writes it (schema.Results), with distinct scores per set."""
    from wa_hub import schema

    sets = {}
    for i, s in enumerate(BENCH_SETS):
        score = round(10.0 + 3.5 * i + offset, 2)
        f_score = {}
        if get_metric(s.metric).inputs == "m2":  # the F-score metrics
            f_score = dict(precision=score + 5, recall=score - 5, f_beta=score, beta=0.5)
        sets[s.config] = schema.SetResult(metric=s.metric, score=score, n=3, seconds=0.1, **f_score)
    result = schema.Results(
        wa_hub_version="0.1.0",
        model=schema.ModelInfo(source="run", run="run"),
        bench=schema.BenchInfo(path_or_id=bench, revision=revision),
        decoding=schema.DecodingInfo(
            name=decoding, do_sample=False, num_beams=4 if decoding == "beam" else 1, max_new_tokens=64
        ),
        versions={"torch": "x"},
        created="2025-01-02T03:04:05Z",
        sets=sets,
        average=round(sum(v.score for v in sets.values()) / len(sets), 4),
        complete=True,
    )
    return schema.dump(result)


def make_lora_run(run: Path, base_dir: Path, dataset: dict[str, Any]) -> Path:
    """A real LoRA run dir on the tiny Llama: peft adapter (non-zero B, so it changes logits) + tokenizer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from wa_hub import schema

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
    record = schema.RunRecord(
        method="lora",
        base_model=schema.BaseModelRef(name="tiny:llama", source="tiny:llama"),
        recipe={
            "name": "tiny-cpu",
            "method": "lora",
            "lora": {"r": 4, "alpha": 8},
            "training": {"max_steps": 8},
        },
        dataset=schema.DatasetRef(**dataset),
        versions={"torch": torch.__version__},
        git_commit="0123abc",
        git_dirty=False,
        seed=0,
        wall_time_s=83.4,
        final_loss=5.4321,
        hardware=schema.TrainHardware(device="cpu", world_size=1),
    )
    schema.write_model(run / "run.json", record)
    return run
