"""How a recipe is launched: processes, device, gradient accumulation, and the `accelerate launch` command.

Nothing here loads a model, so `wa-hub train --dry-run` can print the plan on any machine. One device (a
CPU, or one GPU) trains in place; several processes, several machines, or an explicit `--num-processes`
go through `accelerate launch` (wa_hub.distributed) with the recipe's launcher config.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wa_hub.distributed import (
    Layout,
    accelerate_command,
    accelerate_config,
    check_layout,
    in_launched_process,
    shell,
    visible_gpus,
    world_size,
)
from wa_hub.errors import UsageError
from wa_hub.train.recipe import Recipe

__all__ = ["LaunchPlan", "in_launched_process", "launch_command", "plan_launch", "shell", "train_args"]


@dataclass
class LaunchPlan:
    num_processes: int  # over all machines (1 process per GPU); 1 on a CPU unless asked for more
    device: str  # "cuda" | "cpu"
    per_device_batch_size: int
    grad_accum: int
    global_batch_size: int
    launcher: str | None  # the accelerate config's name when launched (or in a launched process)
    accelerate_config: str | None
    layout: Layout = field(default_factory=Layout)  # num_processes filled in
    launched: bool = False  # goes through `accelerate launch` (not in place)


def grad_accum_for(global_batch: int, per_device: int, world: int) -> int:
    """Gradient accumulation steps so that per_device * accum * world == global batch, exactly."""
    per_step = per_device * world
    if global_batch % per_step:
        raise UsageError(
            f"global batch {global_batch} is not a multiple of per_device_batch_size {per_device} x "
            f"{world} process(es) = {per_step}; change training.per_device_batch_size or the process count"
        )
    return global_batch // per_step


def _check_launcher(recipe: Recipe, device: str, launched: bool) -> None:
    """FSDP and DeepSpeed shard across GPUs: accelerate turns them on for GPU processes only, so launched
    on CPU processes they would silently train with plain DDP. Refuse instead (in place, on one CPU, no
    launcher is used at all)."""
    launcher = recipe.launch.launcher
    if device == "cpu" and launched and launcher != "ddp":
        raise UsageError(
            f"recipe {recipe.name} launches with {launcher}, which accelerate runs on GPU processes only "
            "(on CPU processes it would silently be DDP): pass --set launch.launcher=ddp to train on "
            "several CPU processes, or --num-gpus N to plan a GPU run"
        )


def plan_launch(recipe: Recipe, num_gpus: int | None = None, layout: Layout | None = None) -> LaunchPlan:
    """The plan for this machine, for `num_gpus` GPUs per machine when given (e.g. to preview an 8-GPU
    run on a laptop), and for the processes and machines of `layout` (`--num-processes` counts them over
    all machines, as accelerate does; by default one per GPU on every machine, or one on a CPU)."""
    layout = check_layout(layout or Layout())
    if in_launched_process():
        world = int(os.environ["WORLD_SIZE"])
        gpus = world if visible_gpus() else 0
        launched = False
    else:
        wanted = num_gpus if num_gpus is not None else recipe.launch.num_gpus
        gpus = wanted if wanted is not None else visible_gpus()
        world = world_size(layout, gpus)
        launched = layout.asked or world > 1
    device = "cuda" if gpus else "cpu"
    distributed = launched or in_launched_process()  # accelerate's launcher config applies
    _check_launcher(recipe, device, distributed)
    t = recipe.training
    accum = grad_accum_for(t.global_batch_size, t.per_device_batch_size, world)
    return LaunchPlan(
        num_processes=world,
        device=device,
        per_device_batch_size=t.per_device_batch_size,
        grad_accum=accum,
        global_batch_size=t.global_batch_size,
        launcher=recipe.launch.launcher if distributed else None,
        accelerate_config=str(accelerate_config(recipe.launch.launcher)) if launched else None,
        layout=layout.with_processes(world),
        launched=launched,
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
    """`accelerate launch ... -m wa_hub.train ARGS` when launched, else `python -m wa_hub.train ARGS` (what
    training in place is equivalent to)."""
    if not plan.launched:
        return [sys.executable, "-m", "wa_hub.train", *args]
    assert plan.accelerate_config is not None
    return accelerate_command(plan.accelerate_config, plan.layout, "wa_hub.train", args)
