"""Several processes, on one machine or several: the layout, and the exact `accelerate launch` line.

`wa-hub train` and `wa-hub evaluate` re-launch themselves (`-m wa_hub.train ...`, `-m wa_hub.evaluate ...`)
under `accelerate launch`, which starts the processes through torchrun: a process on a GPU talks NCCL, one
on a CPU gloo (accelerate picks the backend from the device). wa-hub never passes `accelerate launch --cpu`:
without an MPI hostfile that starts one process, not N. On one machine the rendezvous port is a free one
(`--main_process_port 0`), so two runs on one machine never collide; several machines meet at
`--main-process-ip:--main-process-port` (29500 unless given), each started with its own `--machine-rank`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from wa_hub.errors import UsageError

DEFAULT_PORT = 29500  # accelerate's and torchrun's default


@dataclass(frozen=True)
class Layout:
    """How many processes on how many machines (accelerate's options of the same names)."""

    num_processes: int | None = None  # over all machines; None: the command's default (one per GPU)
    num_machines: int = 1
    machine_rank: int = 0
    main_process_ip: str | None = None
    main_process_port: int | None = None  # None: a free port on one machine, DEFAULT_PORT on several

    @property
    def asked(self) -> bool:
        """True when the user asked for a launch (a process count, or machines): then it goes through
        `accelerate launch` even for one process."""
        return self.num_processes is not None or self.num_machines > 1

    @property
    def port(self) -> int:
        if self.main_process_port is not None:
            return self.main_process_port
        return 0 if self.num_machines == 1 else DEFAULT_PORT

    def with_processes(self, total: int) -> Layout:
        return replace(self, num_processes=total)


def visible_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def accelerate_config(launcher: str) -> Path:
    """A shipped launcher config (`recipes/accelerate/LAUNCHER.yaml`)."""
    from wa_hub.resources import resource

    path = resource("recipes", "accelerate", f"{launcher}.yaml")
    if not path.is_file():
        raise UsageError(f"accelerate config {path} is missing")
    return path


def world_size(layout: Layout, gpus: int) -> int:
    """The processes over all machines: `--num-processes` (at most one per GPU), else one per GPU on
    every machine (one per machine on a CPU)."""
    machines = layout.num_machines
    if layout.num_processes is None:
        return max(1, gpus) * machines
    if gpus and layout.num_processes > gpus * machines:
        raise UsageError(
            f"--num-processes {layout.num_processes} over {machines} machine(s) is more than the {gpus} "
            "GPU(s) of each: one process per GPU"
        )
    return layout.num_processes


def check_layout(layout: Layout) -> Layout:
    """The layout, or a UsageError naming the option that is wrong."""
    n, m = layout.num_processes, layout.num_machines
    if n is not None and n < 1:
        raise UsageError(f"--num-processes must be at least 1, got {n}")
    if m < 1:
        raise UsageError(f"--num-machines must be at least 1, got {m}")
    if not 0 <= layout.machine_rank < m:
        raise UsageError(
            f"--machine-rank must be in 0..{m - 1} with --num-machines {m}, got {layout.machine_rank}"
        )
    if n is not None and n % m:
        raise UsageError(
            f"--num-processes {n} (all machines together) is not a multiple of --num-machines {m}: "
            "every machine runs the same number of processes"
        )
    port = layout.main_process_port
    if port is not None and not 0 <= port <= 65535:
        raise UsageError(f"--main-process-port must be a TCP port (0-65535), got {port}")
    if m > 1:
        if not layout.main_process_ip:
            raise UsageError(
                f"--num-machines {m} needs --main-process-ip: the address of machine rank 0, "
                "which every machine can reach"
            )
        if port == 0:
            raise UsageError("--main-process-port 0 (a free port) works on one machine only; give a port")
    elif layout.main_process_ip is not None or layout.machine_rank:
        raise UsageError("--main-process-ip and --machine-rank are for several machines (--num-machines N)")
    return layout


def in_launched_process() -> bool:
    """True inside a process started by `accelerate launch` / torchrun (they set WORLD_SIZE)."""
    return "WORLD_SIZE" in os.environ


def rank() -> int:
    """This process's global rank (0 outside a launch)."""
    return int(os.environ.get("RANK", "0"))


def launched_machines() -> int:
    """Machines of the launch this process is in (torchrun's WORLD_SIZE / LOCAL_WORLD_SIZE; 1 outside)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return max(1, world // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", world))))


def accelerate_exe() -> str:
    """This environment's `accelerate` (beside the interpreter, activated or not), else the one on PATH."""
    beside = Path(sys.executable).with_name("accelerate")
    return str(beside) if beside.is_file() else "accelerate"


def accelerate_command(config: str | Path, layout: Layout, module: str, args: list[str]) -> list[str]:
    """`accelerate launch --config_file CONFIG --num_processes N [machines] --main_process_port P -m MODULE
    ARGS`: every option spelled out, so the line does the same wherever it is pasted."""
    assert layout.num_processes is not None
    cmd = [
        accelerate_exe(),
        "launch",
        "--config_file",
        str(config),
        "--num_processes",
        str(layout.num_processes),
    ]
    if layout.num_machines > 1:
        assert layout.main_process_ip is not None
        cmd += [
            "--num_machines", str(layout.num_machines),
            "--machine_rank", str(layout.machine_rank),
            "--main_process_ip", layout.main_process_ip,
        ]  # fmt: skip
    return [*cmd, "--main_process_port", str(layout.port), "-m", module, *args]


def shell(cmd: list[str]) -> str:
    """A command line as a shell would take it."""
    return " ".join(shlex.quote(c) for c in cmd)


def run_launch(cmd: list[str], again: str) -> None:
    """Run an `accelerate launch` line (printed first) and wait; a failure names its status and `again`."""
    print(f"[wa-hub] {shell(cmd)}", flush=True)
    rc = subprocess.run(cmd, check=False).returncode
    if rc != 0:
        raise UsageError(f"accelerate launch exited with status {rc}; {again}")
