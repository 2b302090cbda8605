"""Merge a LoRA run into a full model dir, and prove the merge: logits of merged == base + adapter.

The merge itself is peft's `merge_and_unload`; it runs in float32 and the result is saved in the base
checkpoint's own dtype (fp16 for LLaMA), then reloaded from disk and compared once more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wa_hub.errors import UsageError
from wa_hub.fileio import atomic_dir, check_out
from wa_hub.models import read_run, resolve_source
from wa_hub.schema import LogitCheck, MergeRecord, write_model


def _probe(tokenizer: Any) -> dict[str, Any]:
    """A fixed batch of two prompts (padded on the right, with an attention mask)."""
    from wa_hub.prompts import format_prompt

    texts = [
        format_prompt("Fix grammatical errors in the text.", "She go to school every day ."),
        format_prompt("Simplify the text."),
    ]
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return dict(tokenizer(texts, return_tensors="pt", padding=True))


def merge_run(run_dir: str | Path, out: str | Path, overwrite: bool = False, dtype: str = "auto") -> Path:
    """Merge a LoRA run's adapter into its base; saves weights + tokenizer + run.json (method "full")."""
    import torch
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from wa_hub.train.verify import compare_logits, logits_of

    run_dir = Path(run_dir)
    run = read_run(run_dir)
    if run is None:
        raise UsageError(f"{run_dir} is not a training run dir (no run.json)")
    if run.method != "lora":
        raise UsageError(f"{run_dir} is a {run.method!r} run; only LoRA runs can be merged")
    check_out(out, overwrite, keep=[run_dir])
    base = run.base_model
    base_path = resolve_source(base.source)
    saved_dtype = getattr(AutoConfig.from_pretrained(base_path, revision=base.revision), "dtype", None)
    target = getattr(torch, dtype) if dtype != "auto" else (saved_dtype or torch.float32)
    if isinstance(target, str):
        target = getattr(torch, target)

    tokenizer = AutoTokenizer.from_pretrained(run_dir)
    batch = _probe(tokenizer)
    base_model = AutoModelForCausalLM.from_pretrained(base_path, revision=base.revision, dtype=torch.float32)
    model: Any = PeftModel.from_pretrained(base_model, str(run_dir))
    reference = logits_of(model, batch)
    merged: Any = model.merge_and_unload()
    compare_logits(reference, logits_of(merged, batch), torch.float32, f"merge of {run_dir}")
    merged = merged.to(target)
    in_memory = logits_of(merged, batch)
    with atomic_dir(out, overwrite=overwrite, keep=[run_dir]) as tmp:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        fresh = AutoModelForCausalLM.from_pretrained(tmp, dtype=target)
        check = compare_logits(in_memory, logits_of(fresh, batch), target, f"merged model saved to {out}")
        # Against base + adapter too, at the saved dtype's tolerance.
        check_vs_adapter = compare_logits(reference, logits_of(fresh, batch), target, f"merged model {out}")
        record = run.model_copy(
            update={
                "method": "full",
                "merged_from": str(run_dir.resolve()),
                "merge": MergeRecord(
                    dtype=str(target).replace("torch.", ""),
                    reload=LogitCheck(**check),
                    vs_base_plus_adapter=LogitCheck(**check_vs_adapter),
                ),
            }
        )
        write_model(Path(tmp) / "run.json", record)
    return Path(out)
