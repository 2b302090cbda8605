"""How `evaluate` runs: in this process, or re-launched through `accelerate launch` over several processes
or machines (wa_hub.distributed, the same Layout and line as `train`).

One process (the default) evaluates in place. `--num-processes N` (even 1), or `--num-machines M`, launches
`accelerate launch --config_file recipes/accelerate/ddp.yaml ... -m wa_hub.evaluate ARGS`, ARGS being the
settings spelled out again as options. Nothing here loads a model, so `--dry-run` works anywhere.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from wa_hub.distributed import (
    Layout,
    accelerate_command,
    accelerate_config,
    check_layout,
    in_launched_process,
    visible_gpus,
    world_size,
)
from wa_hub.schema import EvalSettings

LAUNCHER = "ddp"  # every process holds the whole model; only the rows are shared out


@dataclass(frozen=True)
class EvalLaunch:
    layout: Layout  # num_processes filled in
    device: str  # "cuda" | "cpu"
    launched: bool  # goes through `accelerate launch`


def plan_evaluate(layout: Layout | None = None, gpus: int | None = None) -> EvalLaunch:
    """The plan for `layout` on this machine (or on one with `gpus` GPUs): in place unless processes or
    machines were asked for; then `--num-processes` (at most one per GPU), else one per GPU per machine."""
    layout = check_layout(layout or Layout())
    gpus = visible_gpus() if gpus is None else gpus
    device = "cuda" if gpus else "cpu"
    if in_launched_process() or not layout.asked:
        return EvalLaunch(layout.with_processes(1), device, launched=False)
    return EvalLaunch(layout.with_processes(world_size(layout, gpus)), device, launched=True)


def _place(source: str) -> str:
    """A local path made absolute (the line then runs from any folder); anything else as it is."""
    return str(Path(source).resolve()) if Path(source).exists() else source


def evaluate_args(s: EvalSettings) -> list[str]:
    """The `wa-hub evaluate` arguments that give every launched process these settings."""
    args = [_place(s.model), "--bench", _place(s.bench), "--out", str(Path(s.out).resolve())]
    options: dict[str, object] = {
        "--revision": s.revision,
        "--adapter": _place(s.adapter) if s.adapter is not None else None,
        "--model-revision": s.model_revision,
        "--adapter-revision": s.adapter_revision,
        "--decoding": s.decoding,
        "--batch-size": s.batch_size,
        "--engine": s.engine if s.engine != "auto" else None,
        "--max-new-tokens": s.max_new_tokens,
        "--limit": s.limit,
        "--sets": ",".join(s.sets) if s.sets else None,
        "--tokenize": s.tokenize,
        "--seed": s.seed,
        "--dtype": s.dtype,
        "--predictions-from": s.predictions_from,
    }
    for option, value in options.items():
        if value is not None:
            args += [option, str(value)]
    return [*args, "--overwrite"] if s.overwrite else args


def launch_command(plan: EvalLaunch, settings: EvalSettings) -> list[str]:
    """`accelerate launch ... -m wa_hub.evaluate ARGS` when launched, else `python -m wa_hub.evaluate
    ARGS` (what evaluating in place is equivalent to)."""
    args = evaluate_args(settings)
    if not plan.launched:
        return [sys.executable, "-m", "wa_hub.evaluate", *args]
    return accelerate_command(accelerate_config(LAUNCHER), plan.layout, "wa_hub.evaluate", args)
