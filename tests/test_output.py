"""Output off a terminal (a pipe, a file, CI): errors are never wrapped, tables get 200 columns, not 80.

Rich wraps at 80 columns when stdout is not a terminal; a one-line error then spanned 2-4 lines and lost a
space at each break, and `sources list` printed `licenc`/`e` (issue 16).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app

runner = CliRunner()


@pytest.mark.parametrize("columns", [None, "40"])
def test_an_error_is_one_line_whatever_its_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)  # even a narrow terminal never breaks an error
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 12)
    gold, hyp = deep / "gold.m2", deep / "hyp.txt"
    result = runner.invoke(app, ["score", "m2", "--gold", str(gold), "--hyp", str(hyp)])
    assert result.exit_code == 2
    assert len(str(gold)) > 300
    assert result.stderr == f"error: {gold}: no such file\n"


def test_tables_off_a_terminal_are_200_columns_wide() -> None:
    result = runner.invoke(app, ["sources", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("licence" in line.split() for line in lines), result.stdout  # the header, whole
    assert not any(line.rstrip(" │").endswith(("licenc", "licen")) for line in lines)
    licence = "W&I+LOCNESS licence: non-commercial research only, no redistribution"
    assert any(licence in line for line in lines)
    table = lines[: lines.index("")]  # the details below it are one item a line, never cut or wrapped
    assert max(len(line) for line in table) <= 200
    details = lines[len(table) :]
    assert any(line.strip().startswith("citation: ") and len(line) > 200 for line in details)


def test_a_score_table_keeps_long_paths_on_their_line(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["folder"] * 20)
    deep.mkdir(parents=True)
    gold, hyp = deep / "gold.m2", deep / "hyp.txt"
    gold.write_text("S He go home .\nA 1 2|||R:VERB|||goes|||REQUIRED|||-NONE-|||0\n\n")
    hyp.write_text("He goes home .\n")
    result = runner.invoke(app, ["score", "m2", "--gold", str(gold), "--hyp", str(hyp)])
    assert result.exit_code == 0, result.output
    assert any(str(gold) in line for line in result.stdout.splitlines())


def test_a_usage_error_keeps_its_option_whole() -> None:
    option = "--no-such-option-" + "x" * 120
    result = runner.invoke(app, ["score", "m2", "--gold", "g", "--hyp", "h", option])
    assert result.exit_code == 2
    assert any(option in line for line in result.output.splitlines()), result.output
