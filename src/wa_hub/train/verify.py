"""Check saves: reload what was written and compare it with the model in memory; mark checkpoints honestly.

Two checks, both must pass: (1) the saved tensors equal the in-memory ones, key for key (an adapter file
that lost its weights, a 443-byte `adapter_model.safetensors`, fails here); (2) the reloaded model
reproduces the in-memory model's logits on a fixed batch (a wrong base, dtype or config fails here). A
failure raises `SaveVerificationError` and stops training.

Every checkpoint gets a mark, `wa_hub_verified.json` (`schema.CheckpointMark`), written after the Trainer
wrote `trainer_state.json` (its last file): `verified` only when both checks passed; `complete` when every
file was written but nothing was reloaded (`verify_saves: false`, or a sharded FSDP / DeepSpeed checkpoint,
which has no safetensors at its top to reload); `failed` when a check failed. Resume trusts the marks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wa_hub import schema
from wa_hub.errors import WaHubError

MARK = "wa_hub_verified.json"
SHARDED_NOTE = "sharded checkpoint (no safetensors at its top): every file written, not reloaded"


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
) -> schema.SaveCheck:
    """Both checks on one saved dir: what they measured, or `SaveVerificationError` when one fails."""
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
) -> schema.SaveCheck:
    inner = _unwrap(model)
    dtype = next(inner.parameters()).dtype
    n = check_tensors(inner, saved, method)
    ref = reference_logits if reference_logits is not None else logits_of(inner, batch)
    fresh = reload(saved, method, base_path, base_revision, dtype)
    result = compare_logits(ref, logits_of(fresh, batch), dtype, str(saved))
    del fresh
    return schema.SaveCheck(tensors_checked=n, dtype=str(dtype).replace("torch.", ""), **result)


def write_mark(ckpt: Path, mark: schema.CheckpointMark) -> None:
    schema.write_model(ckpt / MARK, mark)


def read_mark(ckpt: Path) -> schema.CheckpointMark | None:
    """The checkpoint's mark; None when it has none, or one that does not parse (then it is not trusted)."""
    if not (ckpt / MARK).is_file():
        return None
    try:
        return schema.load_model_file(ckpt / MARK, schema.CheckpointMark)
    except WaHubError:
        return None


def describe(mark: schema.CheckpointMark) -> str:
    """One line for logs: what the mark says was checked."""
    if mark.check is not None:
        return (
            f"{mark.status}: {mark.check.tensors_checked} tensors equal, reloaded logits within "
            f"{mark.check.max_rel_diff:.2g} (tolerance {mark.check.tolerance:g})"
        )
    return f"{mark.status}: {mark.note}" if mark.note else mark.status


def make_callback(
    method: str, batch: dict[str, Any], base_path: str | None, base_revision: str | None, verify: bool
) -> Any:
    """A TrainerCallback that marks each checkpoint right after the Trainer wrote it (verified if asked)."""
    from transformers import TrainerCallback

    class MarkCheckpointsCallback(TrainerCallback):  # type: ignore[misc]
        def on_save(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            # Under FSDP the forward is collective, so every rank computes the reference logits.
            ref = logits_of(model, batch) if verify and model is not None else None
            if not state.is_world_process_zero or not (ckpt / "trainer_state.json").is_file():
                return  # no trainer_state.json: the Trainer did not finish this checkpoint; leave it unmarked
            step = int(state.global_step)
            if not verify or model is None:
                note = "verify_saves is off: every file written, not reloaded"
                write_mark(ckpt, schema.CheckpointMark(status="complete", step=step, note=note))
                return
            if not any(ckpt.glob("*.safetensors")):  # FSDP SHARDED_STATE_DICT, DeepSpeed
                note = SHARDED_NOTE + "; the final save is verified"
                write_mark(ckpt, schema.CheckpointMark(status="complete", step=step, note=note))
                print(f"[wa-hub] {ckpt.name} complete, not verified ({SHARDED_NOTE})", flush=True)
                return
            try:
                check = verify_saved(
                    model, ckpt, method, batch, base_path, base_revision, reference_logits=ref
                )
            except SaveVerificationError as e:
                write_mark(ckpt, schema.CheckpointMark(status="failed", step=step, note=str(e)))
                raise
            mark = schema.CheckpointMark(status="verified", step=step, check=check)
            write_mark(ckpt, mark)
            print(f"[wa-hub] {ckpt.name} {describe(mark)}", flush=True)

    return MarkCheckpointsCallback()
