"""Where recipes/, builders/ and cards/ are read from: the checkout, a wheel's copy, or $WA_HUB_HOME; and the
`recipes` commands that show them wherever wa-hub is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import WaHubError
from wa_hub.resources import FOLDERS, checkout_root, project_root, resource

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_a_checkout_reads_its_own_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WA_HUB_HOME", raising=False)
    assert checkout_root() == ROOT and project_root() == ROOT
    assert resource("recipes", "tiny-cpu.yaml").is_file()


def test_wa_hub_home_comes_first_and_must_have_all_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, tmp_path / "home" / folder)
    monkeypatch.setenv("WA_HUB_HOME", str(tmp_path / "home"))
    assert resource("cards", "model.md.j2") == tmp_path / "home" / "cards" / "model.md.j2"
    shutil.rmtree(tmp_path / "home" / "cards")
    with pytest.raises(WaHubError, match=r"WA_HUB_HOME=.*home has no cards/; unset it"):
        project_root()


def test_an_installed_package_reads_the_copy_it_ships(tmp_path: Path) -> None:
    """Laid out as pip unpacks the wheel (pyproject's force-include): wa_hub/_shipped/{recipes,...}."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "src" / "wa_hub", site / "wa_hub", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, site / "wa_hub" / "_shipped" / folder)
    code = "from wa_hub.resources import checkout_root, project_root; print(checkout_root(), project_root())"
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", str(site / "wa_hub" / "_shipped")]
    shutil.rmtree(site / "wa_hub" / "_shipped")
    failed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "neither its shipped recipes/, builders/ and cards/ nor a checkout" in failed.stderr


def test_recipes_list_names_every_shipped_recipe() -> None:
    res = runner.invoke(app, ["recipes", "list"])
    assert res.exit_code == 0, res.output
    for path in (ROOT / "recipes").glob("*.yaml"):
        assert f"│ {path.stem} " in res.output
    assert "Writing-Alpaca-7B" in res.output and "huggyllama/llama-7b" in res.output


def test_recipes_show_prints_the_file_and_the_command(tmp_path: Path) -> None:
    res = runner.invoke(app, ["recipes", "show", "tiny-cpu"])
    assert res.exit_code == 0, res.output
    text = (ROOT / "recipes" / "tiny-cpu.yaml").read_text()
    assert res.output.startswith(text)
    assert yaml.safe_load(res.output) == yaml.safe_load(text)  # the trailer is comments: still the recipe
    assert "# run:     wa-hub train --recipe tiny-cpu\n" in res.output
    mine = tmp_path / "mine.yaml"
    mine.write_text(res.output.replace("name: tiny-cpu", "name: mine"))
    own = runner.invoke(app, ["recipes", "show", str(mine)])
    assert own.exit_code == 0 and f"# run:     wa-hub train --recipe {mine}\n" in own.output
    bad = runner.invoke(app, ["recipes", "show", "no-such"])
    assert bad.exit_code != 0 and "no recipe named 'no-such'; shipped recipes: " in bad.output
