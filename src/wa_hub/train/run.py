"""Run a recipe: transformers Trainer + peft, verified saves, resumable, ending in a complete run dir.

The run dir fills up as training goes: `checkpoint-*` (each marked by `wa_hub_verified.json`: `verified`
when it was reloaded and compared, `complete` when only written; see wa_hub.train.verify), `logs/`
(TensorBoard). The final save is always verified, whatever `verify_saves` says; only then are its files moved
to the root, and `run.json`, the mark of a finished run, is written last. A run killed at any point leaves
marked checkpoints for `--resume` and no `run.json`.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wa_hub import __version__
from wa_hub.distributed import Layout, launched_machines, rank, run_launch
from wa_hub.errors import UsageError
from wa_hub.fileio import check_replaceable, made_by_wa_hub, write_json
from wa_hub.provenance import library_versions
from wa_hub.schema import BaseModelRef, CheckpointMark, DatasetRef, RunRecord, TrainHardware, write_model
from wa_hub.train.launch import LaunchPlan, in_launched_process, launch_command, plan_launch, train_args
from wa_hub.train.recipe import Recipe, load_recipe
from wa_hub.train.verify import MARK, describe, make_callback, read_mark, verify_saved

STAGING = ".final-staging"
_VERSIONED = ("torch", "transformers", "peft", "accelerate", "datasets", "trl", "tokenizers", "wa-hub")


def default_output_dir(recipe: Recipe) -> Path:
    return Path(recipe.output_dir or Path("runs") / recipe.name)


def checkpoints(out: Path) -> list[Path]:
    """`checkpoint-N` dirs in step order."""
    found = [p for p in out.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def last_good_checkpoint(out: Path) -> tuple[Path, CheckpointMark] | None:
    """The newest checkpoint to resume from, and its mark (what was checked).

    A checkpoint marked `verified` or `complete` qualifies (and must hold trainer_state.json, which the
    Trainer writes last). Unmarked checkpoints are trusted only in runs with no marks at all (wa-hub 0.1.0
    with verify_saves off), and only with trainer_state.json; a `failed` one never.
    """
    found = checkpoints(out)
    has_marks = any((c / MARK).exists() for c in found)
    for ckpt in reversed(found):
        if not (ckpt / "trainer_state.json").is_file():
            continue
        mark = read_mark(ckpt)
        if mark is None and not has_marks:
            note = f"no {MARK} (a run without marks); trainer_state.json was written"
            return ckpt, CheckpointMark(status="complete", note=note)
        if mark is not None and mark.status in ("verified", "complete"):
            return ckpt, mark
    return None


def _check_output_dir(out: Path, resume: bool, overwrite: bool) -> tuple[Path, CheckpointMark] | None:
    """Refuse to clobber a finished or unfinished run unless asked; returns the checkpoint to resume from.

    `overwrite` replaces only a run dir: a finished run (run.json) or what an unfinished one holds
    (checkpoints, logs, the final save's staging folder).
    """
    if overwrite and out.exists():
        unfinished = out.is_dir() and all(
            p.name in ("logs", STAGING) or p in checkpoints(out) for p in out.iterdir()
        )
        check_replaceable(out, made=made_by_wa_hub(out) or unfinished)
    if (out / "run.json").is_file():
        if overwrite:
            return None
        raise UsageError(f"{out} holds a finished run (run.json); pass --overwrite to train again into it")
    if resume:
        point = last_good_checkpoint(out) if out.is_dir() else None
        if point is None:
            raise UsageError(
                f"--resume: no verified or complete checkpoint in {out}; run without --resume to start"
            )
        return point
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        hint = "--resume to continue it or " if checkpoints(out) else ""
        raise UsageError(f"{out} already has an unfinished run; pass {hint}--overwrite to start over")
    return None


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape training."""
    return library_versions(_VERSIONED)


def git_commit() -> dict[str, Any]:
    """The wa-hub checkout's commit (and whether tracked files were modified); None for a wheel install
    (its folder may sit inside some other repository, whose commit says nothing about wa-hub)."""
    from wa_hub.resources import checkout_root

    checkout = checkout_root()
    if checkout is None:
        return {"commit": None, "dirty": None}
    root = str(checkout)
    try:
        sha = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": sha, "dirty": bool(dirty)}


def hardware(plan: LaunchPlan) -> dict[str, Any]:
    import torch

    gpus = (
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if plan.device == "cuda"
        else []
    )
    return {
        "device": plan.device,
        "gpus": gpus[: plan.num_processes] if gpus else [],
        "world_size": plan.num_processes,
        "num_machines": launched_machines(),
        "launcher": plan.launcher,
        "per_device_batch_size": plan.per_device_batch_size,
        "grad_accum": plan.grad_accum,
        "global_batch_size": plan.global_batch_size,
        "cpu": platform.processor() or platform.machine(),
    }


def _load_dtype(recipe: Recipe) -> Any:
    import torch

    if recipe.model.dtype != "auto":
        return getattr(torch, recipe.model.dtype)
    if recipe.method == "full":
        return torch.float32  # fp32 master weights; bf16/fp16 compute through autocast (Stanford Alpaca)
    if recipe.training.bf16:
        return torch.bfloat16
    if recipe.training.fp16:
        return torch.float16
    return torch.float32


def build_model(recipe: Recipe, base_path: str) -> Any:
    """The base model, with LoRA adapters when the recipe says so."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": _load_dtype(recipe)}
    if recipe.model.attn_implementation:
        kwargs["attn_implementation"] = recipe.model.attn_implementation
    model: Any = AutoModelForCausalLM.from_pretrained(base_path, revision=recipe.model.revision, **kwargs)
    model.config.use_cache = False
    if recipe.method == "lora":
        from peft import LoraConfig, get_peft_model

        assert recipe.lora is not None
        cfg = LoraConfig(
            r=recipe.lora.r,
            lora_alpha=recipe.lora.alpha,
            lora_dropout=recipe.lora.dropout,
            target_modules=list(recipe.lora.target_modules),
            bias=recipe.lora.bias,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, cfg)
    return model


def check_precision(recipe: Recipe, device: str) -> None:
    """bf16 and fp16 training need a GPU."""
    t = recipe.training
    if (t.bf16 or t.fp16) and device == "cpu":
        raise UsageError(
            f"recipe {recipe.name} trains in {'bf16' if t.bf16 else 'fp16'}, which needs a GPU and this "
            "machine has none; on a CPU pass --set training.bf16=false --set training.fp16=false "
            "(--dry-run --num-gpus N previews a GPU run)"
        )


def preflight(
    recipe: Recipe, out: Path, device: str, resume: bool, overwrite: bool, run_dir: bool = True
) -> tuple[Path, CheckpointMark] | None:
    """What a run checks before it loads anything, and what `--dry-run` checks: precision on this device,
    the run dir (`run_dir`: only the process that owns it), the data, the base model. Returns the
    checkpoint to resume from."""
    from wa_hub.models import check_source
    from wa_hub.train.data import check_data

    check_precision(recipe, device)
    point = _check_output_dir(out, resume, overwrite) if run_dir else None
    check_data(recipe.data)
    check_source(recipe.model.source, "model", recipe.model.revision)  # before from_pretrained retries
    return point


def training_arguments(recipe: Recipe, out: Path, plan: LaunchPlan) -> Any:
    from transformers import TrainingArguments

    t = recipe.training  # precision on this device is checked before, by preflight
    return TrainingArguments(
        output_dir=str(out),
        run_name=recipe.name,
        per_device_train_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=plan.grad_accum,
        num_train_epochs=t.num_epochs,
        max_steps=t.max_steps if t.max_steps is not None else -1,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio if t.warmup_ratio is not None else t.warmup_steps,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=t.optim,
        bf16=t.bf16,
        fp16=t.fp16,
        activation_checkpointing=t.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        seed=t.seed,
        data_seed=t.seed,
        report_to=["wandb"] if "wandb" in t.report_to else "none",
        use_cpu=plan.device == "cpu",
        remove_unused_columns=False,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False if plan.num_processes > 1 else None,
        disable_tqdm=False,
    )


def _publish_final(staging: Path, out: Path, base_name: str) -> None:
    """Move the verified final files from the staging dir to the run dir root (each move is atomic)."""
    (staging / "README.md").unlink(missing_ok=True)  # peft's empty card; `wa-hub push` renders the real one
    cfg = staging / "adapter_config.json"
    if cfg.is_file():  # published adapters name the Hub base model, not this machine's cache path
        data = json.loads(cfg.read_text(encoding="utf-8"))
        data["base_model_name_or_path"] = base_name
        write_json(cfg, data)
    for f in sorted(staging.iterdir()):
        if f.is_file():
            os.replace(f, out / f.name)
    shutil.rmtree(staging, ignore_errors=True)


def _final_loss(log_history: list[dict[str, Any]]) -> float | None:
    losses = [e["loss"] for e in log_history if "loss" in e]
    return float(losses[-1]) if losses else None


def train(
    recipe: str | Path | Recipe,
    output_dir: str | Path | None = None,
    overrides: Sequence[str] = (),
    resume: bool = False,
    overwrite: bool = False,
    num_gpus: int | None = None,
    callbacks: Sequence[Any] = (),
    layout: Layout | None = None,
) -> Path:
    """Train a recipe (name, file or Recipe) into a run dir and return it.

    With several processes (more than one GPU, `layout`'s processes or machines) this re-launches itself
    under `accelerate launch` and waits for it; on several machines each one runs this with its own
    `layout.machine_rank`, and only machine 0 checks the run dir (the others would race with its writes).
    """
    if isinstance(recipe, Recipe):
        if overrides:
            raise UsageError("pass overrides with a recipe name or file, not with a Recipe object")
        rec, recipe_file = recipe, None
    else:
        rec, recipe_file = load_recipe(recipe, list(overrides))
    out = Path(output_dir) if output_dir is not None else default_output_dir(rec)
    plan = plan_launch(rec, num_gpus, layout)
    made = [] if in_launched_process() else _new_dirs(out)  # the launching process cleans up
    try:
        if plan.launched and not in_launched_process():
            if recipe_file is None:
                raise UsageError(
                    "launched runs need a recipe file (they re-launch `wa-hub train` per process)"
                )
            preflight(rec, out, plan.device, resume, overwrite, run_dir=plan.layout.machine_rank == 0)
            cmd = launch_command(plan, train_args(recipe_file, out, list(overrides), resume, overwrite))
            run_launch(cmd, "rerun with --resume to continue")
            return out
        return _train_in_process(rec, out, plan, resume, overwrite, callbacks)
    except BaseException:
        _remove_empty(made)
        raise


def _new_dirs(out: Path) -> list[Path]:
    """`out` and those of its parents that do not exist yet, deepest first: what a run creates."""
    missing = []
    for folder in [out, *out.parents]:
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_empty(made: list[Path]) -> None:
    """A failed run leaves none of the folders it created that hold no file (`runs/NAME`, `runs/`)."""
    for folder in made:
        if folder.is_dir() and not any(p.is_file() or p.is_symlink() for p in folder.rglob("*")):
            shutil.rmtree(folder, ignore_errors=True)


def _prepare_run_dir(
    out: Path, point: tuple[Path, CheckpointMark] | None, resume: bool, overwrite: bool, args: Any
) -> tuple[Path, CheckpointMark] | None:
    """Rank 0, which checked the run dir (`point`: where to resume), readies it (starts over, removes
    what is newer than the resume point); the other processes wait for it and then only read the resume
    point: had they checked the run dir too, rank 0's writes could fail their check."""
    with args.main_process_first(local=False, desc="run dir"):
        if rank() == 0:
            if overwrite and point is None and out.exists():
                shutil.rmtree(out)  # only reached when the user asked to start over
            out.mkdir(parents=True, exist_ok=True)
            if point is not None:
                ckpt, mark = point
                print(f"[wa-hub] resuming from {ckpt.name} ({describe(mark)})", flush=True)
                for stale in checkpoints(
                    out
                ):  # newer than the resume point: half-written, unmarked or failed
                    if int(stale.name.split("-")[-1]) > int(ckpt.name.split("-")[-1]):
                        print(f"[wa-hub] removing {stale.name}: not a checkpoint to resume from", flush=True)
                        shutil.rmtree(stale)
                shutil.rmtree(out / STAGING, ignore_errors=True)
        elif resume:
            point = last_good_checkpoint(out)
            if point is None:
                raise UsageError(
                    f"--resume: rank {rank()} finds no checkpoint in {out} (not a shared folder?)"
                )
    return point


def _train_in_process(
    rec: Recipe, out: Path, plan: LaunchPlan, resume: bool, overwrite: bool, callbacks: Sequence[Any]
) -> Path:
    from transformers import AutoTokenizer, Trainer, set_seed
    from transformers.integrations import TensorBoardCallback

    from wa_hub.models import resolve_source
    from wa_hub.train.data import SFTCollator, load_rows, prepare_tokenizer, tokenize_dataset

    started = time.time()
    rank0 = rank() == 0
    point = preflight(rec, out, plan.device, resume, overwrite, run_dir=rank0)
    args = training_arguments(rec, out, plan)
    point = _prepare_run_dir(out, point, resume, overwrite, args)
    resume_from = point[0] if point else None

    base_path = resolve_source(rec.model.source)
    set_seed(rec.training.seed)
    tokenizer = prepare_tokenizer(AutoTokenizer.from_pretrained(base_path, revision=rec.model.revision))
    with args.main_process_first(desc="dataset"):
        rows, dataset_info = load_rows(rec.data)
        train_ds, stats = tokenize_dataset(rows, tokenizer, rec.data)
    dataset_info["tokenization"] = stats
    if rank0:
        print(
            f"[wa-hub] {stats['examples']} examples: {stats['truncated']} truncated to "
            f"{rec.data.cutoff_len} tokens, {stats['dropped_no_response']} dropped (no response token left)"
            + (f", packed into {stats['packed_rows']} rows" if rec.data.packing else ""),
            flush=True,
        )
    collator = SFTCollator(pad_token_id=tokenizer.pad_token_id)
    probe = collator([train_ds[i] for i in range(min(2, len(train_ds)))])

    model = build_model(rec, base_path)
    cbs: list[Any] = []
    if "tensorboard" in rec.training.report_to:
        tb = TensorBoardCallback()
        tb.logging_dir = str(out / "logs")
        cbs.append(tb)
    cbs.append(make_callback(rec.method, probe, base_path, rec.model.revision, rec.training.verify_saves))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[*cbs, *callbacks],
    )
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)

    staging = out / STAGING
    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    from wa_hub.train.verify import logits_of

    reference = logits_of(trainer.model, probe)  # collective under FSDP: every rank runs it
    trainer.save_model(str(staging))
    if trainer.is_world_process_zero():
        inner = trainer.accelerator.unwrap_model(trainer.model)
        # the final save is verified whatever verify_saves says: run.json's `verification` is this check
        check = verify_saved(inner, staging, rec.method, probe, base_path, rec.model.revision, reference)
        _publish_final(staging, out, rec.model.name)
        base_revision = rec.model.revision or getattr(model.config, "_commit_hash", None)
        git = git_commit()
        run = RunRecord(
            wa_hub_version=__version__,
            method=rec.method,
            base_model=BaseModelRef(name=rec.model.name, source=rec.model.source, revision=base_revision),
            recipe=rec.resolved(),
            dataset=DatasetRef.model_validate(dataset_info),
            versions=versions(),
            git_commit=git["commit"],
            git_dirty=git["dirty"],
            seed=rec.training.seed,
            wall_time_s=round(time.time() - started, 2),
            final_loss=_final_loss(trainer.state.log_history),
            train_loss=float(result.training_loss),
            global_step=int(trainer.state.global_step),
            resumed_from=resume_from.name if resume_from else None,
            hardware=TrainHardware.model_validate(hardware(plan)),
            verification=check,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        write_model(out / "run.json", run)
    trainer.accelerator.wait_for_everyone()
    return out
