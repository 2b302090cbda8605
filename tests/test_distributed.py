"""The process layout and the `accelerate launch` line (wa_hub.distributed, wa_hub.train.launch)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.distributed import Layout, accelerate_command, check_layout
from wa_hub.errors import UsageError
from wa_hub.train.launch import plan_launch
from wa_hub.train.recipe import load_recipe

runner = CliRunner()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (Layout(num_processes=0), "--num-processes must be at least 1"),
        (
            Layout(num_processes=3, num_machines=2, main_process_ip="10.0.0.1"),
            "not a multiple of --num-machines",
        ),
        (Layout(num_machines=2), "needs --main-process-ip"),
        (Layout(num_machines=2, machine_rank=2, main_process_ip="h"), "--machine-rank must be in 0..1"),
        (Layout(num_machines=2, main_process_ip="h", main_process_port=0), "works on one machine only"),
        (Layout(main_process_ip="10.0.0.1"), "are for several machines"),
        (Layout(main_process_port=70000), "must be a TCP port"),
    ],
)
def test_a_bad_layout_names_its_option(layout: Layout, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_layout(layout)


def test_the_line_spells_out_every_option() -> None:
    one = accelerate_command("ddp.yaml", Layout(num_processes=2), "wa_hub.train", ["--x"])
    assert " ".join(one[1:]) == (
        "launch --config_file ddp.yaml --num_processes 2 --main_process_port 0 -m wa_hub.train --x"
    )
    many = Layout(num_processes=16, num_machines=2, machine_rank=1, main_process_ip="10.0.0.1")
    line = accelerate_command("fsdp.yaml", many, "wa_hub.train", [])
    assert line[5:15] == ["16", "--num_machines", "2", "--machine_rank", "1", "--main_process_ip", "10.0.0.1",
                          "--main_process_port", "29500", "-m"]  # fmt: skip
    assert "--cpu" not in line  # accelerate's --cpu starts one process, whatever --num_processes says


def test_plans() -> None:
    tiny, _ = load_recipe("tiny-cpu")
    in_place = plan_launch(tiny, 0)
    assert (in_place.launched, in_place.num_processes, in_place.launcher) == (False, 1, None)
    asked = plan_launch(tiny, 0, Layout(num_processes=1))
    assert (asked.launched, asked.launcher, asked.grad_accum) == (True, "ddp", 2)
    cpus = plan_launch(tiny, 0, Layout(num_processes=2))
    assert (cpus.device, cpus.num_processes, cpus.grad_accum) == ("cpu", 2, 1)
    lora, _ = load_recipe("lora-7b")
    nodes = plan_launch(lora, 8, Layout(num_machines=2, main_process_ip="10.0.0.1"))
    assert (nodes.num_processes, nodes.grad_accum, nodes.device) == (16, 2, "cuda")
    with pytest.raises(UsageError, match="more than the 8 GPU"):
        plan_launch(lora, 8, Layout(num_processes=9))


def test_fsdp_on_cpu_processes_is_refused_not_silently_ddp(tmp_path: Path) -> None:
    cpus = ["--num-processes", "2", "--num-gpus", "0", "--set", "training.bf16=false"]
    cpus += ["--set", f"data.path={tmp_path}", "--set", f"model.path={tmp_path}", "-o", str(tmp_path / "r")]
    res = runner.invoke(app, ["train", "--recipe", "full-ft-7b", "--dry-run", *cpus])
    assert res.exit_code == 2 and "accelerate runs on GPU processes only" in res.output
    assert "--set launch.launcher=ddp" in res.output
    ok = runner.invoke(
        app, ["train", "--recipe", "full-ft-7b", "--dry-run", *cpus, "--set", "launch.launcher=ddp"]
    )
    assert ok.exit_code == 0, ok.output
