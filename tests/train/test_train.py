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
from wa_hub.schema import CheckpointMark, RunRecord, load_model_file
from wa_hub.train.run import last_good_checkpoint, train
from wa_hub.train.verify import MARK, SaveVerificationError, describe, make_callback, verify_saved

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
    for step in (4, 8):
        mark = load_model_file(tiny_run / f"checkpoint-{step}" / MARK, CheckpointMark)
        assert mark.status == "verified" and mark.step == step and mark.check is not None
        assert mark.check.tensors_checked > 0 and mark.check.max_rel_diff <= mark.check.tolerance
    run = load_model_file(tiny_run / "run.json", RunRecord)
    assert run.verification is not None and run.verification.tensors_checked > 0
    assert isinstance(run.git_commit, str | None)  # a string (or None outside git), never a dict
    assert (tiny_run / "adapter_model.safetensors").stat().st_size > 10_000
    assert not (tiny_run / ".final-staging").exists() and not (tiny_run / MARK).exists()


def test_without_verify_saves_checkpoints_are_complete_and_the_final_save_is_verified(
    data_dir: Path, tmp_path: Path
) -> None:
    out = train(
        "tiny-cpu", tmp_path / "run", [f"data.path={data_dir}", *STEPS, "training.verify_saves=false"]
    )
    for step in (4, 8):
        mark = load_model_file(out / f"checkpoint-{step}" / MARK, CheckpointMark)
        assert mark.status == "complete" and mark.check is None and "not reloaded" in mark.note
    run = load_model_file(out / "run.json", RunRecord)
    assert run.verification is not None and run.verification.tensors_checked > 0
    assert run.verification.max_rel_diff <= run.verification.tolerance
    assert last_good_checkpoint(out) == (
        out / "checkpoint-8",
        load_model_file(out / "checkpoint-8" / MARK, CheckpointMark),
    )


def _checkpoint(out: Path, step: int, mark: dict[str, Any] | None, state: bool = True) -> Path:
    ckpt = out / f"checkpoint-{step}"
    ckpt.mkdir(parents=True)
    if state:
        (ckpt / "trainer_state.json").write_text("{}")
    if mark is not None:
        (ckpt / MARK).write_text(json.dumps(mark))
    return ckpt


CHECK = {"tensors_checked": 4, "dtype": "float32", "max_rel_diff": 0.0, "tolerance": 1e-4}


def test_resume_takes_the_newest_verified_or_complete_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _checkpoint(out, 2, {"status": "verified", "step": 2, "check": CHECK})
    four = _checkpoint(out, 4, {"status": "complete", "step": 4, "note": "verify_saves is off"})
    _checkpoint(out, 6, {"status": "failed", "step": 6, "note": "saved tensor x differs"})
    _checkpoint(out, 8, None)  # killed before its mark: never trusted in a run that marks checkpoints
    _checkpoint(out, 10, {"status": "verified", "check": CHECK}, state=False)  # no trainer_state.json
    (out / "checkpoint-12").mkdir()  # half-written
    ckpt, mark = last_good_checkpoint(out)
    assert ckpt == four and mark.status == "complete" and describe(mark) == "complete: verify_saves is off"
    (four / "trainer_state.json").unlink()
    ckpt, mark = last_good_checkpoint(out)
    assert ckpt.name == "checkpoint-2" and mark.status == "verified" and "4 tensors equal" in describe(mark)
    (out / "checkpoint-2" / MARK).write_text("{not json")  # a mark that does not parse is not trusted
    assert last_good_checkpoint(out) is None
    with pytest.raises(UsageError, match="no verified or complete checkpoint"):
        train("tiny-cpu", out, resume=True)


def test_resume_in_runs_without_marks_and_marks_of_wa_hub_0_1_0(tmp_path: Path) -> None:
    plain = tmp_path / "plain"  # no marks at all: trainer_state.json, which the Trainer writes last, decides
    two = _checkpoint(plain, 2, None)
    _checkpoint(plain, 4, None, state=False)
    ckpt, mark = last_good_checkpoint(plain)
    assert ckpt == two and mark.status == "complete" and "trainer_state.json was written" in mark.note
    (two / "trainer_state.json").unlink()
    assert last_good_checkpoint(plain) is None  # no mark and no trainer_state.json: never trusted
    old = tmp_path / "old"
    _checkpoint(old, 2, CHECK)  # 0.1.0 wrote the check's fields at the top of a verified checkpoint's mark
    _checkpoint(old, 4, {"sharded": True, "note": "checked at the final (full) save"})
    ckpt, mark = last_good_checkpoint(old)
    assert ckpt.name == "checkpoint-4" and mark.status == "complete"  # sharded: written, never verified
    assert load_model_file(old / "checkpoint-2" / MARK, CheckpointMark).status == "verified"


@pytest.fixture(scope="module")
def probe_model(tiny_model_dir: Path) -> tuple[Any, dict[str, Any]]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj"], task_type="CAUSAL_LM"))
    batch = {
        "input_ids": torch.tensor([[1, 5, 9, 13, 2]]),
        "attention_mask": torch.ones(1, 5, dtype=torch.long),
    }
    return model, batch


def _on_save(out: Path, step: int, model: Any, batch: dict[str, Any], verify: bool) -> None:
    from types import SimpleNamespace

    from wa_hub.models import tiny_dir

    callback = make_callback("lora", batch, str(tiny_dir()), None, verify)
    state = SimpleNamespace(global_step=step, is_world_process_zero=True)
    callback.on_save(SimpleNamespace(output_dir=str(out)), state, None, model=model)


def test_a_sharded_checkpoint_is_marked_complete_never_verified(
    probe_model: tuple[Any, dict[str, Any]], tmp_path: Path
) -> None:
    model, batch = probe_model
    ckpt = _checkpoint(tmp_path, 4, None)
    (
        ckpt / "pytorch_model_fsdp_0"
    ).mkdir()  # FSDP SHARDED_STATE_DICT: shards in a folder, no safetensors on top
    (ckpt / "pytorch_model_fsdp_0" / "__0_0.distcp").write_bytes(b"shard")
    _on_save(tmp_path, 4, model, batch, verify=True)
    mark = load_model_file(ckpt / MARK, CheckpointMark)
    assert mark.status == "complete" and mark.check is None and "not reloaded" in mark.note
    assert describe(mark).startswith("complete: sharded checkpoint")


def test_checkpoint_marks_follow_what_was_checked(
    probe_model: tuple[Any, dict[str, Any]], tmp_path: Path
) -> None:
    from safetensors.torch import save_file

    model, batch = probe_model
    unfinished = _checkpoint(tmp_path, 2, None, state=False)
    _on_save(tmp_path, 2, model, batch, verify=True)
    assert not (unfinished / MARK).exists()  # the Trainer had not written trainer_state.json
    model.save_pretrained(good := _checkpoint(tmp_path, 4, None))
    _on_save(tmp_path, 4, model, batch, verify=True)
    assert load_model_file(good / MARK, CheckpointMark).status == "verified"
    model.save_pretrained(off := _checkpoint(tmp_path, 6, None))
    _on_save(tmp_path, 6, model, batch, verify=False)
    assert load_model_file(off / MARK, CheckpointMark).status == "complete"
    model.save_pretrained(broken := _checkpoint(tmp_path, 8, None))
    save_file({}, str(broken / "adapter_model.safetensors"))  # every weight lost
    with pytest.raises(SaveVerificationError, match="no weights were saved"):
        _on_save(tmp_path, 8, model, batch, verify=True)
    mark = load_model_file(broken / MARK, CheckpointMark)
    assert mark.status == "failed" and "no weights were saved" in mark.note
    assert last_good_checkpoint(tmp_path)[0] == off  # the failed one is never resumed from


def test_a_broken_save_is_caught(tiny_run: Path, tmp_path: Path) -> None:
    """A 443-byte adapter (all weights lost) or a tampered tensor must fail verification."""
    import shutil

    import torch
    from peft import PeftModel
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM

    from wa_hub.models import tiny_dir

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
from wa_hub.schema import CheckpointMark, RunRecord, load_model_file
from wa_hub.train.run import last_good_checkpoint, train
from wa_hub.train.verify import MARK, SaveVerificationError, describe, make_callback, verify_saved

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
    assert load_model_file(out / "checkpoint-4" / MARK, CheckpointMark).status == "verified"
    assert not (out / "checkpoint-8").exists()
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


def test_overwrite_replaces_only_a_run_dir(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not a run")
    with pytest.raises(UsageError, match="not made by wa-hub"):
        train("tiny-cpu", mine, [f"data.path={data_dir}", *STEPS], overwrite=True)
    assert (mine / "notes.txt").read_text() == "not a run"
    monkeypatch.chdir(mine)
    with pytest.raises(UsageError, match="working directory"):
        train("tiny-cpu", ".", [f"data.path={data_dir}", *STEPS], overwrite=True)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
