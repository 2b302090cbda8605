"""Real multi-process training on the CPU: `accelerate launch` starts the processes (torchrun), DDP over gloo.

The lines run are the ones `wa-hub train --dry-run` prints, for 1 process, 2 processes and 2 machines (two
launchers on this host meeting at 127.0.0.1). Each ends with the same adapter as 1 process at the same global
batch (8 = 4 per device x 2 accumulation steps x 1 process = 4 x 1 x 2 processes): accelerate gives process
k the k-th of every 2 consecutive batches of the one shuffled order (the same data seed in every process),
so an optimizer step of 2 processes sees the 8 rows the 2 accumulation steps of 1 process see. Dropout is
off: each process draws its own dropout masks, so with dropout the runs differ by design. What remains is
float summation order (gloo's all-reduce of two gradients vs accumulating them in one process), hence the
tolerance (relative 1e-5, absolute 1e-6, float32); on this CPU they come out bit-identical.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wa_hub.olah import free_port
from wa_hub.schema import CheckpointMark, RunRecord, load_model_file
from wa_hub.train.verify import MARK

from .helpers import sample_folder

CLI = [sys.executable, "-c", "from wa_hub.cli import app; app()"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}
TIMEOUT = 600


def _overrides(data: Path) -> list[str]:
    return [
        f"data.path={data}",
        "lora.dropout=0",
        "training.max_steps=8",
        "training.save_steps=4",
        "training.logging_steps=1",
    ]


def _sets(data: Path) -> list[str]:
    return [a for o in _overrides(data) for a in ("--set", o)]


def dry_run_line(args: list[str]) -> list[str]:
    """The launch line `wa-hub train ARGS --dry-run` prints (above the line saying its checks passed)."""
    res = subprocess.run([*CLI, "train", *args, "--dry-run"], capture_output=True, text=True, env=ENV)
    assert res.returncode == 0, res.stdout + res.stderr
    *_, line, passed = res.stdout.strip().splitlines()
    assert passed.startswith("checks passed"), passed
    assert line.split()[1] == "launch", line
    return shlex.split(line)


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=TIMEOUT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def adapter(run_dir: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(run_dir / "adapter_model.safetensors"))


def losses(run_dir: Path, step: int = 8) -> list[float]:
    state = json.loads((run_dir / f"checkpoint-{step}" / "trainer_state.json").read_text())
    return [e["loss"] for e in state["log_history"] if "loss" in e]


def assert_same_adapter(a: Path, b: Path) -> None:
    import torch

    x, y = adapter(a), adapter(b)
    assert sorted(x) == sorted(y) and len(x) == 28
    for k in x:
        torch.testing.assert_close(x[k], y[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_folder(tmp_path_factory.mktemp("data") / "writing-instruct-sample", n=64)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, tiny_model_dir: Path) -> Path:
    """The dry-run's line for `--num-processes 1`, run as printed."""
    out = tmp_path_factory.mktemp("mp") / "one"
    line = dry_run_line(["--recipe", "tiny-cpu", "-o", str(out), *_sets(data_dir), "--num-processes", "1"])
    assert "--num_processes 1 --main_process_port 0 -m wa_hub.train" in shlex.join(line)
    run(line)
    return out


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, tiny_model_dir: Path) -> Path:
    """`wa-hub train --num-processes 2`: it prints and runs the line its dry run shows."""
    out = tmp_path_factory.mktemp("mp") / "two"
    args = ["--recipe", "tiny-cpu", "-o", str(out), *_sets(data_dir), "--num-processes", "2"]
    line = dry_run_line(args)
    res = run([*CLI, "train", *args])
    assert f"[wa-hub] {shlex.join(line)}" in res.stdout
    return out


def test_two_processes_end_with_the_one_process_adapter(one_process: Path, two_processes: Path) -> None:
    assert_same_adapter(one_process, two_processes)
    assert losses(two_processes) == pytest.approx(losses(one_process), rel=1e-5)  # the same global batches
    one = load_model_file(one_process / "run.json", RunRecord).hardware
    two = load_model_file(two_processes / "run.json", RunRecord).hardware
    assert (one.world_size, one.grad_accum, one.launcher) == (1, 2, "ddp")
    assert (two.world_size, two.grad_accum, two.device, two.num_machines) == (2, 1, "cpu", 1)
    for step in (4, 8):
        assert (
            load_model_file(two_processes / f"checkpoint-{step}" / MARK, CheckpointMark).status == "verified"
        )
    assert sorted(p.name for p in (two_processes / "checkpoint-8").glob("rng_state_*")) == [
        "rng_state_0.pth",
        "rng_state_1.pth",
    ]


_KILL_RANK_1 = """
import os, signal, sys
from transformers import TrainerCallback
from wa_hub.train.run import train

class KillRank1(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 6 and os.environ["RANK"] == "1":
            os.kill(os.getpid(), signal.SIGKILL)  # a real crash of one process: no cleanup, no finally

train("tiny-cpu", sys.argv[1], sys.argv[2:], callbacks=[KillRank1()])
"""


def test_resume_after_one_of_two_processes_is_killed(
    two_processes: Path, data_dir: Path, tmp_path: Path
) -> None:
    """Rank 1 is SIGKILLed after step 6 (checkpoint-4 was saved): torchrun stops rank 0, the launch fails
    and leaves no run.json; `--resume` with 2 processes continues from checkpoint-4 and ends with the
    adapter of the run that was never interrupted."""
    out = tmp_path / "killed"
    (tmp_path / "kill_rank_1.py").write_text(_KILL_RANK_1)
    line = dry_run_line(["--recipe", "tiny-cpu", "-o", str(out), *_sets(data_dir), "--num-processes", "2"])
    module = line.index("-m")
    killed = [*line[:module], str(tmp_path / "kill_rank_1.py"), str(out), *_overrides(data_dir)]
    res = subprocess.run(killed, capture_output=True, text=True, env=ENV, timeout=TIMEOUT)
    assert res.returncode != 0, res.stdout[-2000:]
    assert not (out / "run.json").exists() and not (out / "checkpoint-8").exists()
    assert load_model_file(out / "checkpoint-4" / MARK, CheckpointMark).status == "verified"

    resumed = run([*CLI, "train", "--recipe", "tiny-cpu", "-o", str(out), *_sets(data_dir), "--num-processes",
                   "2", "--resume"])  # fmt: skip
    assert "resuming from checkpoint-4 (verified" in resumed.stdout
    record = load_model_file(out / "run.json", RunRecord)
    assert record.resumed_from == "checkpoint-4" and record.global_step == 8
    assert_same_adapter(out, two_processes)
    assert losses(out) == pytest.approx(losses(two_processes), rel=1e-5)


def test_two_machines_run_the_lines_their_dry_run_prints(
    one_process: Path, data_dir: Path, tmp_path: Path
) -> None:
    """Two launchers on this host (machine ranks 0 and 1, one process each) meet at 127.0.0.1 as two
    machines would, writing one run dir; it ends as the one-process run does."""
    out = tmp_path / "machines"
    port = str(free_port())
    base = ["--recipe", "tiny-cpu", "-o", str(out), *_sets(data_dir), "--num-processes", "2"]
    meet = ["--num-machines", "2", "--main-process-ip", "127.0.0.1", "--main-process-port", port]
    lines = [dry_run_line([*base, *meet, "--machine-rank", str(r)]) for r in (0, 1)]
    assert "--num_machines 2 --machine_rank 1 --main_process_ip 127.0.0.1" in shlex.join(lines[1])
    procs = [
        subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        for line in lines
    ]
    logs = [p.communicate(timeout=TIMEOUT)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(log[-2000:] for log in logs)
    hw = load_model_file(out / "run.json", RunRecord).hardware
    assert (hw.world_size, hw.num_machines, hw.grad_accum) == (2, 2, 1)
    assert_same_adapter(out, one_process)
