"""The options `train` and `evaluate` share to run in several processes (wa_hub.distributed.Layout)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wa_hub.distributed import Layout

NumProcesses = Annotated[
    int | None,
    typer.Option(
        "--num-processes",
        metavar="N",
        help="Run N processes through `accelerate launch` (all machines together, as accelerate counts "
        "them): one per GPU, or N on a CPU (DDP over gloo).",
    ),
]
NumMachines = Annotated[
    int, typer.Option("--num-machines", metavar="M", help="Machines taking part (each runs this command).")
]
MachineRank = Annotated[
    int, typer.Option("--machine-rank", metavar="R", help="This machine's rank, 0..M-1 (0 on the main one).")
]
MainProcessIp = Annotated[
    str | None,
    typer.Option("--main-process-ip", metavar="IP", help="Address of machine rank 0 (several machines)."),
]
MainProcessPort = Annotated[
    int | None,
    typer.Option(
        "--main-process-port",
        metavar="PORT",
        help="Rendezvous port on machine rank 0 (default: a free one on one machine, 29500 on several).",
    ),
]


def layout(
    num_processes: int | None,
    num_machines: int,
    machine_rank: int,
    main_process_ip: str | None,
    main_process_port: int | None,
) -> Layout:
    return Layout(num_processes, num_machines, machine_rank, main_process_ip, main_process_port)


def print_launch(console: Any, launched: bool, layout: Layout, line: str, shared_note: str = "") -> None:
    """The dry run's last lines for `train` and `evaluate`: how the command runs, then the exact line."""
    machines = layout.num_machines
    if not launched:
        console.print("[bold]runs in this process; equivalent to[/bold]", highlight=False)
    elif machines > 1:
        console.print(
            f"[bold]launch[/bold] on machine rank {layout.machine_rank} (every machine runs this command "
            f"with its own --machine-rank, 0..{machines - 1}{shared_note})",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print("[bold]launch[/bold]", highlight=False)
    console.print(line, highlight=False, markup=False, soft_wrap=True)
