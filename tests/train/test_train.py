"""tiny-cpu end to end: trains, loss falls, saves verify, resume-after-kill equals the uninterrupted run,
run.json is complete and secret-free, load_model and merge give the same logits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.train.run import train

from .helpers import sample_folder

SECRET = "hf_wahubTestSecretToken0123456789"
STEPS = ["training.max_steps=8", "training.save_steps=4", "training.logging_steps=1"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_folder(tmp_path_factory.mktemp("data") / "writing-instruct-sample", n=64)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, tiny_model_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("runs") / "tiny"
    old = os.environ.get("HF_TOKEN")
    os.environ["HF_TOKEN"] = SECRET
    try:
        return train("tiny-cpu", out, [f"data.path={data_dir}", *STEPS])
    finally:
        if old is None:
            os.environ.pop("HF_TOKEN", None)
        else:
            os.environ["HF_TOKEN"] = old


def _logits(model: Any, tokenizer: Any) -> Any:
    import torch

    from wa_hub.prompts import format_prompt

    enc = tokenizer(
        [format_prompt("Fix grammatical errors in the text.", "She go to school .")], return_tensors="pt"
    )
    with torch.no_grad():
        return model(**enc).logits


def _adapter(run: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(run / "adapter_model.safetensors"))


def test_tiny_trains_and_loss_falls(tiny_run: Path) -> None:
    state = json.loads((tiny_run / "checkpoint-8" / "trainer_state.json").read_text())
    losses = [e["loss"] for e in state["log_history"] if "loss" in e]
    assert len(losses) == 8
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2 - 0.1, losses
    assert any((tiny_run / "logs").glob("events.out.tfevents.*")), "TensorBoard logs in RUN/logs"


def test_run_json_has_the_contract_keys(tiny_run: Path, data_dir: Path) -> None:
    run = json.loads((tiny_run / "run.json").read_text())
    assert run["method"] == "lora"
    assert run["base_model"] == {"name": "tiny:llama", "source": "tiny:llama", "revision": None}
    assert run["recipe"]["training"]["max_steps"] == 8 and run["recipe"]["data"]["path"] == str(data_dir)
    ds = run["dataset"]
    assert ds["path_or_id"] == str(data_dir.resolve()) and ds["config"] == "mixed"
    assert ds["fingerprint"].startswith("sha256:") and ds["rows_used"] == 64
    assert {"torch", "transformers", "peft", "accelerate", "datasets"} <= set(run["versions"])
    assert run["seed"] == 0 and run["wall_time_s"] > 0 and run["global_step"] == 8
    assert isinstance(run["final_loss"], float) and "git_commit" in run
    assert run["hardware"]["grad_accum"] == 2 and run["hardware"]["device"] == "cpu"
    cfg = json.loads((tiny_run / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == "tiny:llama"


def test_no_secret_anywhere_in_the_run_dir(tiny_run: Path) -> None:
    for p in tiny_run.rglob("*"):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p


def test_every_save_was_verified(tiny_run: Path) -> None:
    for ckpt in ("checkpoint-4", "checkpoint-8"):
        rec = json.loads((tiny_run / ckpt / "wa_hub_verified.json").read_text())
        assert rec["tensors_checked"] > 0 and rec["max_rel_diff"] <= rec["tolerance"]
    assert (tiny_run / "adapter_model.safetensors").stat().st_size > 10_000
    assert not (tiny_run / ".final-staging").exists()


def test_a_broken_save_is_caught(tiny_run: Path, tmp_path: Path) -> None:
    """A 443-byte adapter (all weights lost) or a tampered tensor must fail verification."""
    import shutil

    import torch
    from peft import PeftModel
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM

    from wa_hub.models import tiny_dir
    from wa_hub.train.verify import SaveVerificationError, verify_saved

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_dir()), str(tiny_run))
    batch = {
        "input_ids": torch.tensor([[1, 5, 9, 13, 2]]),
        "attention_mask": torch.ones(1, 5, dtype=torch.long),
    }
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken, ignore=shutil.ignore_patterns("checkpoint-*", "logs"))
    verify_saved(model, broken, "lora", batch, str(tiny_dir()))  # the intact copy passes
    save_file({}, str(broken / "adapter_model.safetensors"))
    with pytest.raises(SaveVerificationError, match="no weights were saved"):
        verify_saved(model, broken, "lora", batch, str(tiny_dir()))
    tensors = _adapter(tiny_run)
    key = sorted(tensors)[0]
    tensors[key] = tensors[key] + 0.5
    save_file(tensors, str(broken / "adapter_model.safetensors"))
    with pytest.raises(SaveVerificationError, match="differs"):
        verify_saved(model, broken, "lora", batch, str(tiny_dir()))


def test_load_model_reads_the_run_dir(tiny_run: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from wa_hub.models import load_model, tiny_dir

    loaded = load_model(str(tiny_run))
    assert isinstance(loaded.model, PeftModel) and loaded.info["run"] == str(tiny_run.resolve())
    base = AutoModelForCausalLM.from_pretrained(tiny_dir()).eval()
    tok = AutoTokenizer.from_pretrained(tiny_run)
    trained, untouched = _logits(loaded.model, tok), _logits(base, tok)
    assert not torch.allclose(trained, untouched, atol=1e-3), "the adapter changes the model"
    ckpt = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_dir()), str(tiny_run / "checkpoint-8")
    )
    torch.testing.assert_close(_logits(ckpt.eval(), tok), trained)


def test_merge_reloads_with_equal_logits(tiny_run: Path, tmp_path: Path) -> None:
    import torch

    from wa_hub.models import load_model

    out = tmp_path / "merged"
    res = CliRunner().invoke(app, ["merge", str(tiny_run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "run.json").read_text())
    assert run["method"] == "full" and run["merged_from"] == str(tiny_run.resolve())
    assert not (out / "adapter_config.json").exists() and any(out.glob("model*.safetensors"))
    merged, lora = load_model(str(out)), load_model(str(tiny_run))
    torch.testing.assert_close(
        _logits(merged.model, merged.tokenizer), _logits(lora.model, lora.tokenizer), atol=1e-4, rtol=1e-4
    )
    res = CliRunner().invoke(app, ["merge", str(out), "--out", str(tmp_path / "again")])
    assert res.exit_code == 2 and "only LoRA runs" in res.output


_KILL = """
import os, signal, sys
from transformers import TrainerCallback
from wa_hub.train.run import train

class KillAt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no except, no finally: a real crash

train("tiny-cpu", sys.argv[1], sys.argv[3:], callbacks=[KillAt()])
"""


def test_resume_after_kill_equals_the_uninterrupted_run(
    tiny_run: Path, data_dir: Path, tmp_path: Path
) -> None:
    import torch

    out = tmp_path / "killed"
    overrides = [f"data.path={data_dir}", *STEPS]
    proc = subprocess.run(
        [sys.executable, "-c", _KILL, str(out), "6", *overrides], capture_output=True, text=True
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert (out / "checkpoint-4" / "wa_hub_verified.json").is_file() and not (out / "checkpoint-8").exists()
    assert not (out / "run.json").exists(), "a killed run never claims completion"
    with pytest.raises(UsageError, match="--resume"):
        train("tiny-cpu", out, overrides)

    train("tiny-cpu", out, overrides, resume=True)
    run = json.loads((out / "run.json").read_text())
    assert run["resumed_from"] == "checkpoint-4" and run["global_step"] == 8
    a, b = _adapter(out), _adapter(tiny_run)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=1e-5, msg=k)
    assert run["final_loss"] == pytest.approx(
        json.loads((tiny_run / "run.json").read_text())["final_loss"], abs=1e-5
    )


def test_a_finished_run_is_not_overwritten(tiny_run: Path, data_dir: Path) -> None:
    before = (tiny_run / "run.json").read_bytes()
    with pytest.raises(UsageError, match="--overwrite"):
        train("tiny-cpu", tiny_run, [f"data.path={data_dir}", *STEPS])
    assert (tiny_run / "run.json").read_bytes() == before
