"""DeepSpeed ZeRO-3 (`--set launch.launcher=deepspeed-zero3`, the `deepspeed` extra): the config
`recipes/accelerate/deepspeed-zero3.yaml` gives, built as `accelerate launch` and Trainer build it, is
accepted by DeepSpeed's own config class. No DeepSpeed training runs here: it needs GPU processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wa_hub.train.launch import plan_launch
from wa_hub.train.recipe import load_recipe

DS_YAML = Path(__file__).resolve().parents[2] / "recipes" / "accelerate" / "deepspeed-zero3.yaml"


def launch_env() -> dict[str, str]:
    """The DeepSpeed settings `accelerate launch --config_file deepspeed-zero3.yaml` gives each process."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_deepspeed_cmd_env

    argv = ["--config_file", str(DS_YAML), "--num_processes", "8", "-m", "wa_hub.train"]
    args, defaults, mp_from_config = _validate_launch_command(launch_command_parser().parse_args(argv))
    fields = [*defaults.deepspeed_config, *(["mixed_precision"] if mp_from_config else [])]
    args.deepspeed_fields_from_accelerate_config = ",".join(fields)  # as accelerate's launch_command does
    _, env = prepare_deepspeed_cmd_env(args)
    return {k: v for k, v in env.items() if k.startswith("ACCELERATE_")}


def test_deepspeed_accepts_the_zero3_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("deepspeed", reason="DeepSpeed is not installed (pip install 'wa-hub[deepspeed]')")
    from accelerate.utils import DeepSpeedPlugin
    from deepspeed.runtime.config import DeepSpeedConfig
    from transformers import TrainingArguments
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    rec, _ = load_recipe("full-ft-7b", ["launch.launcher=deepspeed-zero3"])
    plan = plan_launch(rec, 8)  # 8 GPUs: 4 per device x grad_accum 4 x 8 = 128
    env = launch_env()
    assert env["ACCELERATE_USE_DEEPSPEED"] == "true" and env["ACCELERATE_DEEPSPEED_ZERO_STAGE"] == "3"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plugin = DeepSpeedPlugin()  # what each process builds from the launch's environment
    plugin.set_mixed_precision(env["ACCELERATE_MIXED_PRECISION"])
    args = TrainingArguments(  # this process's share of the plan (bf16 itself needs a GPU here)
        output_dir=str(tmp_path),
        per_device_train_batch_size=plan.per_device_batch_size,
        gradient_accumulation_steps=plan.grad_accum,
        learning_rate=rec.training.learning_rate,
        use_cpu=True,
    )
    filled = HfTrainerDeepSpeedConfig(plugin.deepspeed_config)
    filled.trainer_config_process(args)  # Trainer fills the "auto" fields so
    config = DeepSpeedConfig(filled.config)  # DeepSpeed's own validation (raises on a bad config)
    assert config.zero_optimization_stage == 3 and config.bfloat16_config.enabled
    assert (config.train_micro_batch_size_per_gpu, config.gradient_accumulation_steps) == (4, 4)
    assert config.zero_config.gather_16bit_weights_on_model_save  # the final save loads with from_pretrained
    assert str(config.zero_config.offload_param.device) in ("none", "OffloadDeviceEnum.none")
    assert os.environ["ACCELERATE_DEEPSPEED_ZERO3_INIT"] == "true"
