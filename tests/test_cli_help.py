"""`--help` reads as click's: no `<bool>` after flags, no `<list[Path]>`, arguments in upper case, and each
paragraph of a command's docstring on one line; libraries are quiet unless `--verbose`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from wa_hub.cli import app

runner = CliRunner()


def _commands() -> list[list[str]]:
    """Every command path, e.g. ['sources', 'fetch']."""
    found: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        found.append(path)
        if hasattr(cmd, "commands"):  # a group (typer 0.2x has its own click)
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "wa-hub")
def test_help_has_no_type_noise_and_upper_case_arguments(path: list[str]) -> None:
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    for noise in ("<bool>", "<list[", "{"):
        assert noise not in res.output, (path, noise)
    usage = next(line for line in res.output.splitlines() if "Usage:" in line).split()
    words = [w.strip("[].") for w in usage[usage.index("[OPTIONS]") + 1 :]]
    assert all(w.isupper() for w in words), usage  # e.g. [MODEL], RUN_DIR, COMMAND [ARGS]...


def test_docstring_paragraphs_are_not_broken_mid_sentence() -> None:
    res = runner.invoke(app, ["sources", "fetch", "--help"])
    assert "RAW/sources.lock.json on first download and checked on later runs" in res.output
    top = runner.invoke(app, ["--help"])
    assert "over several GPUs, CPU processes or machines." in top.output


def test_missing_argument_is_named_in_upper_case() -> None:
    res = runner.invoke(app, ["merge"])
    assert res.exit_code == 2 and "Missing argument 'RUN_DIR'" in res.output


NOISE = ("Loading weights", "FutureWarning", "Generating", "Writing model shards")


@pytest.mark.parametrize("verbose", [False, True])
def test_libraries_are_quiet_unless_verbose(verbose: bool, tmp_path: Path, sample_bench: Path) -> None:
    """The evaluation of a model: wa-hub's own lines only; `--verbose` shows transformers' weight bar."""
    env = {k: v for k, v in os.environ.items() if k != "WA_HUB_VERBOSE"}
    args = ["--verbose"] if verbose else []
    cmd = [*args, "evaluate", "tiny:llama", "--bench", str(sample_bench), "--limit", "1", "--sets", "sts"]
    code = "import sys; from wa_hub.cli import app; app(args=sys.argv[1:], prog_name='wa-hub')"
    res = subprocess.run(
        [sys.executable, "-c", code, *cmd, "--out", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    shown = [n for n in NOISE if n in res.stdout + res.stderr]
    assert shown == (["Loading weights"] if verbose else []), res.stderr[-2000:]
