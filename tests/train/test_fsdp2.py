"""FSDP2 for `full-ft-7b` (recipes/accelerate/fsdp.yaml), as far as a CPU can test it.

accelerate turns FSDP on for GPU processes only (on CPU processes `AcceleratorState` stays MULTI_CPU, and
Trainer would run plain DDP), so `wa-hub train` refuses FSDP on CPU processes and no CPU test runs the
Trainer under FSDP. What runs here, for real: the config read the way `accelerate launch` reads it into
the plugin every process builds (FSDP2, SHARDED_STATE_DICT, LlamaDecoderLayer wrapping, full reshard), and
torch's FSDP2 (`fully_shard`) on 2 gloo processes with the tiny Llama, sharded as accelerate shards it,
checkpointed and resumed with the accelerate functions Trainer calls under FSDP (`save_fsdp_model`,
`save_fsdp_optimizer`, `load_fsdp_model`, `load_fsdp_optimizer`), then the full-state-dict final save.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wa_hub.olah import free_port

FSDP_YAML = Path(__file__).resolve().parents[2] / "recipes" / "accelerate" / "fsdp.yaml"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}

_SCRIPT = """
import json, os, sys
from pathlib import Path

import torch

launch_env, tiny, work, mode = json.loads(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
from accelerate import FullyShardedDataParallelPlugin, PartialState
from accelerate.utils import load_fsdp_model, load_fsdp_optimizer, save_fsdp_model, save_fsdp_optimizer
from torch.distributed.fsdp import fully_shard
from transformers import AutoModelForCausalLM

state = PartialState(cpu=True)  # the process group (gloo)
saved = {k: os.environ.get(k) for k in launch_env}
os.environ.update(launch_env)
plugin = FullyShardedDataParallelPlugin()  # what accelerate builds in each process of an FSDP launch
for k, v in saved.items():
    os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
assert plugin.fsdp_version == 2, plugin.fsdp_version


def sharded():
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny, attn_implementation="eager")
    for m in model.modules():  # TRANSFORMER_BASED_WRAP: each layer a shard group, then the root
        if type(m).__name__ in plugin.transformer_cls_names_to_wrap:
            fully_shard(m, reshard_after_forward=plugin.reshard_after_forward)
    fully_shard(model, reshard_after_forward=plugin.reshard_after_forward)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-2)


def step(model, opt, n):
    g = torch.Generator().manual_seed(1000 * n + state.process_index)  # each rank its own rows
    ids = torch.randint(0, model.config.vocab_size, (2, 12), generator=g)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss.item()


model, opt = sharded()
ckpt = work / "checkpoint-2"
if mode == "run":
    losses = [step(model, opt, n) for n in (1, 2)]
    save_fsdp_model(plugin, state, model, ckpt)  # as Trainer._save_checkpoint does under FSDP
    save_fsdp_optimizer(plugin, state, opt, model, ckpt)
else:  # a new launch (the first one was killed after checkpoint-2): what Trainer does on --resume
    load_fsdp_model(plugin, state, model, ckpt)
    load_fsdp_optimizer(plugin, state, opt, model, ckpt)
    losses = []
losses += [step(model, opt, n) for n in (3, 4)]
plugin.set_state_dict_type("FULL_STATE_DICT")  # the final save (wa_hub.train.run)
save_fsdp_model(plugin, state, model, work / mode)
if state.is_main_process:
    (work / f"{mode}.json").write_text(json.dumps(losses))
state.wait_for_everyone()
"""


def launch_env(num_processes: int = 2) -> dict[str, str]:
    """The FSDP settings `accelerate launch --config_file fsdp.yaml` gives every process (its own code)."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    argv = ["--config_file", str(FSDP_YAML), "--num_processes", str(num_processes), "-m", "wa_hub.train"]
    args, _, _ = _validate_launch_command(launch_command_parser().parse_args(argv))
    return {k: v for k, v in prepare_multi_gpu_env(args).items() if k.startswith(("FSDP_", "ACCELERATE_"))}


def test_the_fsdp_config_is_fsdp2_with_sharded_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelerate import FullyShardedDataParallelPlugin
    from torch.distributed.fsdp import StateDictType

    env = launch_env()
    assert env["ACCELERATE_USE_FSDP"] == "true" and env["ACCELERATE_MIXED_PRECISION"] == "bf16"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2
    assert plugin.state_dict_type == StateDictType.SHARDED_STATE_DICT
    assert plugin.reshard_after_forward is True  # FSDP1's FULL_SHARD
    assert plugin.transformer_cls_names_to_wrap == ["LlamaDecoderLayer"]
    assert plugin.cpu_ram_efficient_loading is True and not plugin.activation_checkpointing


def test_fsdp2_sharded_checkpoint_resumes_on_two_gloo_processes(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Steps 1-2, checkpoint-2 (a torch.distributed.checkpoint folder per state, a file per rank), steps 3-4;
    a new launch loads checkpoint-2 and runs steps 3-4 again: same losses, same final weights, bit for bit,
    and the final full state dict loads into an unsharded model."""
    import torch
    from transformers import AutoModelForCausalLM

    script = tmp_path / "fsdp2_ckpt.py"
    script.write_text(_SCRIPT)
    env = json.dumps(launch_env())
    for mode in ("run", "resume"):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
               "127.0.0.1", "--master_port", str(free_port()), str(script), env, str(tiny_model_dir),
               str(tmp_path), mode]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    ckpt = tmp_path / "checkpoint-2"
    for part in ("pytorch_model_fsdp_0", "optimizer_0"):  # what Trainer writes in checkpoint-N under FSDP
        files = sorted(p.name for p in (ckpt / part).iterdir())
        assert files == [".metadata", "__0_0.distcp", "__1_0.distcp"]  # a file per rank
    run, resumed = (json.loads((tmp_path / f"{m}.json").read_text()) for m in ("run", "resume"))
    assert len(run) == 4 and resumed == run[2:]
    full = {
        m: torch.load(tmp_path / m / "pytorch_model_fsdp.bin", weights_only=True) for m in ("run", "resume")
    }
    assert sorted(full["run"]) == sorted(full["resume"])
    assert all(torch.equal(full["run"][k], full["resume"][k]) for k in full["run"])
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.load_state_dict(full["resume"], strict=True)
