"""How a recipe is launched: world size, gradient accumulation, and the `accelerate launch` command.

Nothing here loads a model, so `wa-hub train --dry-run` can print the plan on any machine.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import UsageError
from wa_hub.train.recipe import Recipe


@dataclass
class LaunchPlan:
    num_processes: int  # GPUs used (1 process per GPU); 1 on a CPU-only machine
    device: str  # "cuda" | "cpu"
    per_device_batch_size: int
    grad_accum: int
    global_batch_size: int
    launcher: str | None  # accelerate config used when num_processes > 1
    accelerate_config: str | None


def visible_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def in_launched_process() -> bool:
    """True inside a process started by `accelerate launch` / torchrun (they set WORLD_SIZE)."""
    return "WORLD_SIZE" in os.environ


def grad_accum_for(global_batch: int, per_device: int, world: int) -> int:
    """Gradient accumulation steps so that per_device * accum * world == global batch, exactly."""
    per_step = per_device * world
    if global_batch % per_step:
        raise UsageError(
            f"global batch {global_batch} is not a multiple of per_device_batch_size {per_device} x "
            f"{world} process(es) = {per_step}; change training.per_device_batch_size or the GPU count"
        )
    return global_batch // per_step


def accelerate_config(launcher: str) -> Path:
    from wa_hub.resources import resource

    path = resource("recipes", "accelerate", f"{launcher}.yaml")
    if not path.is_file():
        raise UsageError(f"accelerate config {path} is missing")
    return path


def plan_launch(recipe: Recipe, num_gpus: int | None = None) -> LaunchPlan:
    """The plan for this machine (or for `num_gpus` GPUs when given, e.g. to preview an 8-GPU run)."""
    if in_launched_process():
        world = int(os.environ["WORLD_SIZE"])
        gpus = world if visible_gpus() else 0
    else:
        wanted = num_gpus if num_gpus is not None else recipe.launch.num_gpus
        gpus = wanted if wanted is not None else visible_gpus()
        world = max(1, gpus)
    t = recipe.training
    accum = grad_accum_for(t.global_batch_size, t.per_device_batch_size, world)
    multi = world > 1
    return LaunchPlan(
        num_processes=world,
        device="cuda" if gpus else "cpu",
        per_device_batch_size=t.per_device_batch_size,
        grad_accum=accum,
        global_batch_size=t.global_batch_size,
        launcher=recipe.launch.launcher if multi else None,
        accelerate_config=str(accelerate_config(recipe.launch.launcher)) if multi else None,
    )


def train_args(
    recipe_file: Path, output_dir: Path, overrides: list[str], resume: bool, overwrite: bool
) -> list[str]:
    """The `wa-hub train` arguments every launched process receives."""
    args = ["--recipe", str(Path(recipe_file).resolve()), "--output-dir", str(Path(output_dir).resolve())]
    for item in overrides:
        args += ["--set", item]
    if resume:
        args.append("--resume")
    if overwrite:
        args.append("--overwrite")
    return args


def launch_command(plan: LaunchPlan, args: list[str]) -> list[str]:
    """`accelerate launch ... -m wa_hub.train ARGS` on several GPUs, else `python -m wa_hub.train ARGS`."""
    if plan.num_processes <= 1:
        return [sys.executable, "-m", "wa_hub.train", *args]
    assert plan.accelerate_config is not None
    return [
        "accelerate", "launch",
        "--config_file", plan.accelerate_config,
        "--num_processes", str(plan.num_processes),
        "-m", "wa_hub.train", *args,
    ]  # fmt: skip


def shell(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)
