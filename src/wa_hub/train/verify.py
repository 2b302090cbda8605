"""Check every save: reload what was written and compare it with the model in memory.

Two checks, both must pass: (1) the saved tensors equal the in-memory ones, key for key (an adapter file
that lost its weights, a 443-byte `adapter_model.safetensors`, fails here); (2) the reloaded model
reproduces the in-memory model's logits on a fixed batch (a wrong base, dtype or config fails here). A
failure raises `SaveVerificationError` and stops training.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wa_hub.errors import WaHubError

VERIFIED_MARKER = "wa_hub_verified.json"


class SaveVerificationError(WaHubError):
    """What was saved does not reproduce the model in memory."""


def _tolerance(dtype: Any) -> float:
    import torch

    return 1e-4 if dtype == torch.float32 else 3e-2


def logits_of(model: Any, batch: dict[str, Any]) -> Any:
    """Logits (float32, CPU) of `model` on `batch` in eval mode, restoring the training mode afterwards."""
    import torch

    was_training = model.training
    device = next(model.parameters()).device
    model.eval()
    try:
        with torch.no_grad():
            inputs = {k: v.to(device) for k, v in batch.items() if k != "labels"}
            # use_cache=False: with a cache, transformers ignores packed position_ids (no block mask)
            out = model(**inputs, use_cache=False)
    finally:
        model.train(was_training)
    return out.logits.detach().float().cpu()


def compare_logits(reference: Any, other: Any, dtype: Any, what: str) -> dict[str, float]:
    """Max abs difference relative to the largest reference logit; raises above the dtype's tolerance."""
    scale = max(1.0, float(reference.abs().max()))
    diff = float((reference - other).abs().max()) / scale
    tol = _tolerance(dtype)
    if not diff <= tol:  # also catches NaN
        raise SaveVerificationError(
            f"{what}: reloaded logits differ from the in-memory model's (max relative difference {diff:.3g} "
            f"> tolerance {tol:g}); the saved files do not reproduce the model"
        )
    return {"max_rel_diff": diff, "tolerance": tol}


def _saved_tensors(saved: Path, pattern: str) -> dict[str, Any]:
    from safetensors.torch import load_file

    files = sorted(saved.glob(pattern))
    out: dict[str, Any] = {}
    for f in files:
        out.update(load_file(str(f)))
    return out


def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)


def check_tensors(model: Any, saved: Path, method: str) -> int:
    """Compare saved tensors with the in-memory ones; returns how many were checked."""
    import torch

    model = _unwrap(model)
    if method == "lora":
        from peft import get_peft_model_state_dict

        expected = get_peft_model_state_dict(model)
        got = _saved_tensors(saved, "adapter_model*.safetensors")
        allowed_missing: set[str] = set()
    else:
        expected = model.state_dict()
        got = _saved_tensors(saved, "model*.safetensors")
        tied = model.get_output_embeddings() is not None and (
            model.get_output_embeddings().weight is model.get_input_embeddings().weight
        )
        allowed_missing = {k for k in expected if k.endswith("lm_head.weight")} if tied else set()
    if not got:
        raise SaveVerificationError(f"{saved}: no weights were saved (expected {method} safetensors files)")
    missing = sorted(set(expected) - set(got) - allowed_missing)
    if missing:
        raise SaveVerificationError(
            f"{saved}: {len(missing)} of {len(expected)} tensors were not saved, e.g. {missing[:3]}"
        )
    for k, t in got.items():
        if k not in expected:
            continue
        mine = expected[k].detach().to("cpu", dtype=t.dtype)
        if mine.shape != t.shape or not torch.equal(mine, t):
            raise SaveVerificationError(f"{saved}: saved tensor {k} differs from the in-memory one")
    return len(got)


def reload(saved: Path, method: str, base_path: str | None, base_revision: str | None, dtype: Any) -> Any:
    """The saved model loaded fresh from disk (on CPU), as users will load it."""
    from transformers import AutoModelForCausalLM

    if method == "lora":
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(str(base_path), revision=base_revision, dtype=dtype)
        return PeftModel.from_pretrained(base, str(saved))
    return AutoModelForCausalLM.from_pretrained(str(saved), dtype=dtype)


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Run a block without touching the training RNG streams (reloading a PEFT model draws random inits)."""
    import random

    import numpy as np
    import torch

    py, npy = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(py)
            np.random.set_state(npy)


def verify_saved(
    model: Any,
    saved: str | Path,
    method: str,
    batch: dict[str, Any],
    base_path: str | None = None,
    base_revision: str | None = None,
    reference_logits: Any = None,
) -> dict[str, Any]:
    """Both checks on one saved dir; writes and returns the verification record (`wa_hub_verified.json`)."""
    with preserved_rng():
        return _verify_saved(model, Path(saved), method, batch, base_path, base_revision, reference_logits)


def _verify_saved(
    model: Any,
    saved: Path,
    method: str,
    batch: dict[str, Any],
    base_path: str | None,
    base_revision: str | None,
    reference_logits: Any,
) -> dict[str, Any]:
    inner = _unwrap(model)
    dtype = next(inner.parameters()).dtype
    n = check_tensors(inner, saved, method)
    ref = reference_logits if reference_logits is not None else logits_of(inner, batch)
    fresh = reload(saved, method, base_path, base_revision, dtype)
    result = compare_logits(ref, logits_of(fresh, batch), dtype, str(saved))
    del fresh
    record = {"tensors_checked": n, "dtype": str(dtype).replace("torch.", ""), **result}
    (saved / VERIFIED_MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def make_callback(
    method: str, batch: dict[str, Any], base_path: str | None, base_revision: str | None
) -> Any:
    """A TrainerCallback that verifies every checkpoint right after the Trainer wrote it."""
    from transformers import TrainerCallback

    class VerifySavesCallback(TrainerCallback):  # type: ignore[misc]
        def on_save(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if model is None or not ckpt.is_dir():
                return
            sharded = not any(ckpt.glob("*.safetensors"))  # FSDP SHARDED_STATE_DICT checkpoints
            # Under FSDP the forward is collective, so every rank computes the reference logits.
            ref = logits_of(model, batch)
            if not state.is_world_process_zero:
                return
            if sharded:
                (ckpt / VERIFIED_MARKER).write_text(
                    json.dumps({"sharded": True, "note": "checked at the final (full) save"}) + "\n"
                )
                return
            record = verify_saved(model, ckpt, method, batch, base_path, base_revision, reference_logits=ref)
            print(
                f"[wa-hub] verified {ckpt.name}: {record['tensors_checked']} tensors, "
                f"logits max rel diff {record['max_rel_diff']:.2g}",
                flush=True,
            )

    return VerifySavesCallback()
