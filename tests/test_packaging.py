"""What `pip install wa-hub` promises: plain installs score and build data, the `train` extra holds what
loads a model, and a command that needs it says so in one line."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import tomllib
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import TRAIN_EXTRA

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(reqs: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in reqs}


def test_every_requirement_has_a_floor_and_the_train_libraries_are_an_extra() -> None:
    """scripts/test_floors.sh installs each `>=X` as `==X`: a requirement without one would go untested."""
    for req in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["train"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=[0-9][0-9.]*", req), req
    core, train = _names(PROJECT["dependencies"]), _names(PROJECT["optional-dependencies"]["train"])
    assert set(TRAIN_EXTRA) <= train and not set(TRAIN_EXTRA) & core


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("train", ["train", "--recipe", "tiny-cpu", "--dry-run"]),
        ("merge", ["merge", "runs/x"]),
        ("evaluate", ["evaluate", "runs/x", "--bench", "b"]),
        ("push --merged", ["push", "runs/x", "--repo", "a/b", "--merged"]),
        ("demo", ["demo"]),
    ],
)
def test_commands_that_load_a_model_name_the_extra(
    command: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"error: wa-hub {command} needs the train extra (torch not installed): pip install 'wa-hub[train]' "
        "(on a machine without a GPU, install the CPU build of torch first)"
    )
