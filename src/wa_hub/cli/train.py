"""Commands: train, merge."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from wa_hub.cli._app import app, console, user_errors
from wa_hub.cli._launch import (
    MachineRank,
    MainProcessIp,
    MainProcessPort,
    NumMachines,
    NumProcesses,
    layout,
    print_launch,
)

if TYPE_CHECKING:
    from wa_hub.train.recipe import Recipe

PREVIEW_GPUS = 8  # what the dry run plans for on a machine without GPUs, for a recipe that needs them


def needs_gpu(recipe: Recipe) -> bool:
    return bool(recipe.training.bf16 or recipe.training.fp16)


@app.command("train")
@user_errors
def train_cmd(
    recipe: str = typer.Option(..., "--recipe", "-r", help="Recipe name (recipes/NAME.yaml) or a YAML file."),
    set_: list[str] = typer.Option(
        [],
        "--set",
        metavar="KEY=VALUE",
        help="Override a recipe key, e.g. --set training.max_steps=10 (repeatable).",
    ),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", "-o", help="Run dir (default: runs/<recipe name>)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the last verified checkpoint in the run dir."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an existing run dir (finished or not)."
    ),
    num_gpus: int | None = typer.Option(
        None,
        "--num-gpus",
        min=0,
        help="GPUs to use (default: all visible); with --dry-run, plan for this many.",
    ),
    num_processes: NumProcesses = None,
    num_machines: NumMachines = 1,
    machine_rank: MachineRank = 0,
    main_process_ip: MainProcessIp = None,
    main_process_port: MainProcessPort = None,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate, print the resolved recipe and the launch command; load no model."
    ),
) -> None:
    """Train a recipe: one process in place, or `accelerate launch` over several GPUs, CPU processes or
    machines."""
    import yaml

    from wa_hub.errors import require_train_extra

    require_train_extra("train")
    from wa_hub.train.launch import in_launched_process, launch_command, plan_launch, shell, train_args
    from wa_hub.train.recipe import load_recipe
    from wa_hub.train.run import default_output_dir, preflight

    rec, path = load_recipe(recipe, set_)
    out = output_dir or default_output_dir(rec)
    where = layout(num_processes, num_machines, machine_rank, main_process_ip, main_process_port)
    plan = plan_launch(rec, num_gpus, where)
    if dry_run:
        console.print(f"[bold]recipe[/bold] {escape(str(path))} (resolved)", highlight=False, soft_wrap=True)
        console.print(yaml.safe_dump(rec.resolved(), sort_keys=False).rstrip(), highlight=False, markup=False)
        t = rec.training
        console.print(
            f"[bold]plan[/bold] {plan.num_processes} process(es) on {plan.device}; global batch "
            f"{t.global_batch_size} = {t.per_device_batch_size} per device x grad_accum {plan.grad_accum} x "
            f"{plan.num_processes} process(es)"
            + (f" over {num_machines} machines" if num_machines > 1 else "")
            + (f"; max_steps {t.max_steps}" if t.max_steps else f"; {t.num_epochs:g} epochs"),
            highlight=False,
            soft_wrap=True,
        )
        args = train_args(path, out, list(set_), resume, overwrite)
        print_launch(console, plan.launched, where, shell(launch_command(plan, args)))
        if plan.device == "cpu" and needs_gpu(rec) and num_processes is None:
            gpu_plan = plan_launch(rec, PREVIEW_GPUS, where)
            console.print(
                f"[bold]launch on a machine with {PREVIEW_GPUS} GPUs[/bold] (--num-gpus N plans for N)",
                highlight=False,
            )
            console.print(
                shell(launch_command(gpu_plan, args)), highlight=False, markup=False, soft_wrap=True
            )
        preflight(rec, out, plan.device, resume, overwrite, run_dir=machine_rank == 0)
        console.print(
            "[green]checks passed[/green]: device and precision, run dir, data and base model",
            highlight=False,
            soft_wrap=True,
        )
        return
    from wa_hub.train.run import train

    run = train(
        path,
        output_dir=out,
        overrides=set_,
        resume=resume,
        overwrite=overwrite,
        num_gpus=num_gpus,
        layout=where,
    )
    if not in_launched_process():
        how = f"load it with wa_hub.models.load_model({str(run)!r})"
        console.print(f"[green]trained[/green] {escape(f'{run}  ({how})')}", soft_wrap=True)


@app.command("merge")
@user_errors
def merge_cmd(
    run_dir: Path = typer.Argument(..., help="A LoRA run dir (has run.json and the adapter)."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the merged model (default: RUN_DIR-merged)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output dir."),
) -> None:
    """Merge a LoRA adapter into its base weights; checks the merged logits against base+adapter."""
    from wa_hub.errors import require_train_extra

    require_train_extra("merge")
    from wa_hub.train.merge import merge_run

    target = out or run_dir.with_name(run_dir.name + "-merged")
    merged = merge_run(run_dir, target, overwrite=overwrite)
    console.print(f"[green]merged[/green] {escape(str(merged))}", soft_wrap=True)
