"""Recipes: every shipped recipe validates and dry-runs; bad keys are named with their file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.train.launch import grad_accum_for
from wa_hub.train.recipe import load_recipe, shipped_recipes

runner = CliRunner()
STUDY = [
    "lora-7b",
    "lora-13b",
    "full-ft-7b",
    "alpaca-lora-7b",
    "lora-7b-writing-only",
    "lora-7b-gpt4-generic",
]


def test_the_study_recipes_are_shipped() -> None:
    assert set(STUDY + ["tiny-cpu", "smollm2-lora"]) <= set(shipped_recipes())


def present(tmp: Path) -> list[str]:
    """Overrides pointing data and base model at folders that exist (the dry run checks both)."""
    return ["--set", f"data.path={tmp}", "--set", f"model.path={tmp}", "-o", str(tmp / "run")]


@pytest.mark.parametrize("name", shipped_recipes())
def test_recipe_parses_and_dry_runs(name: str, tmp_path: Path) -> None:
    recipe, path = load_recipe(name)
    assert path.read_text().startswith("#"), "each recipe opens with a comment giving its command"
    assert f"--recipe {name}" in path.read_text().split("\nname:")[0]
    res = runner.invoke(app, ["train", "--recipe", name, "--dry-run", "--num-gpus", "2", *present(tmp_path)])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    cfg = f"recipes/accelerate/{recipe.launch.launcher}.yaml"
    assert "accelerate launch --config_file" in out and cfg in out
    assert "--num_processes 2 --main_process_port 0 -m wa_hub.train" in out
    accum = recipe.training.global_batch_size // (recipe.training.per_device_batch_size * 2)
    assert f"grad_accum {accum} x 2 process(es)" in out


def test_full_ft_plan_is_fsdp_with_alpaca_settings(tmp_path: Path) -> None:
    recipe, _ = load_recipe("full-ft-7b")
    assert recipe.method == "full" and recipe.launch.launcher == "fsdp"
    t = recipe.training
    assert (t.learning_rate, t.global_batch_size, t.lr_scheduler, t.warmup_ratio, t.weight_decay) == (
        2e-5,
        128,
        "cosine",
        0.03,
        0.0,
    )
    assert t.bf16 and recipe.data.cutoff_len == 512
    fsdp = Path(recipe_path := load_recipe("full-ft-7b")[1]).parent / "accelerate" / "fsdp.yaml"
    config = yaml.safe_load(fsdp.read_text())["fsdp_config"]  # test_fsdp2.py reads it as accelerate does
    assert config["fsdp_version"] == 2 and config["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
    assert config["fsdp_reshard_after_forward"] is True, recipe_path  # FSDP1's FULL_SHARD
    res = runner.invoke(
        app, ["train", "--recipe", "full-ft-7b", "--dry-run", "--num-gpus", "8", *present(tmp_path)]
    )
    out = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert (
        "accelerate launch --config_file" in out and "recipes/accelerate/fsdp.yaml --num_processes 8" in out
    )
    assert "global batch 128 = 4 per device x grad_accum 4 x 8 process(es)" in out


def test_study_runs_share_the_same_number_of_steps() -> None:
    steps = {name: load_recipe(name)[0].training.max_steps for name in STUDY}
    assert set(steps.values()) == {112_002 * 3 // 128}, steps


def test_lora_7b_has_alpaca_lora_settings() -> None:
    r, _ = load_recipe("lora-7b")
    assert r.lora is not None
    assert (r.lora.r, r.lora.alpha, r.lora.dropout, r.lora.target_modules) == (
        8,
        16,
        0.05,
        ["q_proj", "v_proj"],
    )
    assert (r.training.learning_rate, r.data.cutoff_len, r.data.config) == (3e-4, 256, "mixed")


def test_single_process_dry_run_runs_in_place(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["train", "--recipe", "tiny-cpu", "--dry-run", "--num-gpus", "0", *present(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "-m wa_hub.train --recipe" in out and "accelerate launch" not in out
    assert "grad_accum 2 x 1 process(es)" in out


def test_unknown_key_is_named_with_its_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "method: lora\nmodel: {name: tiny:llama}\ndata: {path: x}\ntraining: {lerning_rate: 0.1, seed: x}\n"
    )
    with pytest.raises(UsageError) as e:
        load_recipe(bad)
    msg = str(e.value)
    assert str(bad) in msg and "unknown key 'training.lerning_rate'" in msg and "training.seed" in msg
    assert "\n" not in msg  # every problem, on one line
    res = runner.invoke(app, ["train", "--recipe", "tiny-cpu", "--set", "data.cutof_len=3", "--dry-run"])
    assert res.exit_code == 2 and "data.cutof_len" in res.output and "tiny-cpu.yaml" in res.output


def test_set_overrides_are_typed_and_validated() -> None:
    r, _ = load_recipe(
        "lora-7b", ["training.learning_rate=1e-4", "model.path=/data/llama-7b", "data.packing=true"]
    )
    assert r.training.learning_rate == 1e-4 and r.model.source == "/data/llama-7b" and r.data.packing is True
    with pytest.raises(UsageError, match="KEY=VALUE"):
        load_recipe("lora-7b", ["training.learning_rate"])
    with pytest.raises(UsageError, match="training.max_steps"):
        load_recipe("lora-7b", ["training.max_steps=-3"])


def test_global_batch_must_divide() -> None:
    assert grad_accum_for(128, 4, 8) == 4
    assert grad_accum_for(128, 4, 1) == 32
    with pytest.raises(UsageError, match="not a multiple"):
        grad_accum_for(128, 4, 3)


def test_unknown_recipe_lists_the_shipped_ones() -> None:
    res = runner.invoke(app, ["train", "--recipe", "lora-70b", "--dry-run"])
    assert res.exit_code == 2 and "lora-7b" in res.output


def test_dry_run_on_a_cpu_fails_as_the_run_does_and_shows_the_gpu_launch(tmp_path: Path) -> None:
    """lora-7b trains in bf16: on a machine without GPUs the dry run prints the accelerate command a GPU
    node would run, then fails with the real run's one-line error and rc 2."""
    args = ["train", "--recipe", "lora-7b", "--num-gpus", "0", *present(tmp_path)]
    dry = runner.invoke(app, [*args, "--dry-run"])
    real = runner.invoke(app, args)
    assert dry.exit_code == real.exit_code == 2, dry.output
    assert "trains in bf16, which needs a GPU" in dry.stderr
    assert dry.stderr.strip().splitlines()[-1] == real.stderr.strip().splitlines()[-1]
    out = " ".join(dry.stdout.split())
    assert "accelerate launch --config_file" in out and "--num_processes 8" in out
    assert not (tmp_path / "run").exists()


def test_dry_run_checks_the_data_and_the_run_dir(tmp_path: Path) -> None:
    base = ["train", "--recipe", "tiny-cpu", "--dry-run", "-o", str(tmp_path / "run")]
    missing = runner.invoke(app, [*base, "--set", f"data.path={tmp_path / 'nope'}"])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr, missing.output
    assert "wa-hub build-data" in missing.stderr
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    taken = runner.invoke(app, [*base, "--set", f"data.path={tmp_path}"])
    assert taken.exit_code == 2 and "holds a finished run" in taken.stderr, taken.output
    ok = runner.invoke(app, [*base, "--set", f"data.path={tmp_path}", "-o", str(tmp_path / "new")])
    assert ok.exit_code == 0 and "checks passed" in ok.stdout, ok.output


def test_a_failed_run_leaves_no_empty_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data folder exists but holds no rows: the run fails after making runs/tiny-cpu, and removes it."""
    (tmp_path / "empty-data").mkdir()
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["train", "--recipe", "tiny-cpu", "--set", "data.path=empty-data"])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip().splitlines()[-1].startswith("error: empty-data: no data files")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-data"]
