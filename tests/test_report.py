"""`wa-hub report`: the Table 3 layout, checked against golden renderings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub import paper, report
from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.schema import Results, write_model
from wa_hub.study import BENCH_SETS

GOLDEN = Path(__file__).parent / "evaluate" / "golden"
UPDATE = os.environ.get("WA_HUB_UPDATE_GOLDEN") == "1"  # regenerate after an intended layout change

FULL = dict(
    zip(
        [s.config for s in BENCH_SETS],
        [57.5, 53.25, 61.004, 52.1, 38.9, 41.0, 39.876, 43.3, 63.125, 40.0],
        strict=True,
    )
)


def result(base: Results, name: str | None, scores: dict[str, float], run: str | None = None) -> Results:
    """A real results.json (the evaluate fixture's) with other scores, sets and model name."""
    sets = {}
    for config, value in scores.items():
        s = base.sets[config]
        sets[config] = s.model_copy(
            update={"score": value, "f_beta": value if s.f_beta is not None else None}
        )
    model = base.model.model_copy(update={"source": "tiny:llama", "name": name, "run": run})
    average = sum(scores.values()) / 10 if len(scores) == 10 else None
    return base.model_copy(update={"sets": sets, "model": model, "average": average})


@pytest.fixture(scope="module")
def RESULTS(reference_results: Results) -> list[Results]:
    return [
        result(reference_results, "writing-alpaca-7b-lora", FULL),
        result(
            reference_results,
            None,
            {"conll14": 20.0, "jfleg": 45.678, "sts": 9.999},
            run="/runs/smollm2-mixed",
        ),
    ]


# Made-up numbers, only to test the layout (the real rows live in wa_hub.paper).
PAPER_ROWS = [{"name": "Example-7B", "scores": {"conll14": 50.0, "jfleg": 60.0}, "average": 47.5}]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "golden"), [("table", "report.txt"), ("markdown", "report.md"), ("csv", "report.csv")]
)
def test_render_matches_golden(fmt: str, golden: str, RESULTS: list[Results]) -> None:
    check_golden(golden, report.render_table(RESULTS, fmt=fmt))


def test_with_paper_rows_first(monkeypatch: pytest.MonkeyPatch, RESULTS: list[Results]) -> None:
    monkeypatch.setattr(paper, "PAPER_ROWS", PAPER_ROWS)
    text = report.render_table(RESULTS, names=["a", "b"], with_paper=True, fmt="markdown")
    check_golden("report_with_paper.md", text)
    lines = text.splitlines()
    assert lines[2] == "| Example-7B (paper) | 50.00 | - | 60.00 | - | - | - | - | - | - | - | 47.50 |"


def test_values_columns_and_names(RESULTS: list[Results]) -> None:
    rows = report.table_rows(RESULTS)
    assert [r[0] for r in rows] == ["writing-alpaca-7b-lora", "smollm2-mixed"]  # name, else run dir name
    assert rows[0][1][-1] == pytest.approx(sum(FULL.values()) / 10)
    assert rows[1][1][-1] is None  # no average unless all ten sets were scored
    assert "63.13" in report.render_table(RESULTS[:1], fmt="csv")  # 63.125 rounds half up
    assert report.COLUMNS == (
        "CoNLL",
        "BEA",
        "JFL",
        "ITR-F",
        "ITR-L",
        "ITR-O",
        "TRK",
        "AST",
        "WNC",
        "STS",
        "Avg",
    )
    with pytest.raises(UsageError, match="1 name"):
        report.render_table(RESULTS, names=["only-one"])
    with pytest.raises(UsageError, match="unknown format"):
        report.render_table(RESULTS, fmt="latex")


def test_paper_rows_follow_the_contract() -> None:
    configs = {s.config for s in BENCH_SETS}
    for row in paper.PAPER_ROWS:
        assert set(row) == {"name", "scores", "average"} and set(row["scores"]) <= configs


def test_plot_writes_a_png(tmp_path: Path, RESULTS: list[Results]) -> None:
    out = report.plot_table(RESULTS, tmp_path / "plots" / "table3.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert [p.name for p in out.parent.iterdir()] == ["table3.png"]


def test_cli_report(tmp_path: Path, RESULTS: list[Results]) -> None:
    files = []
    for i, res in enumerate(RESULTS):
        d = tmp_path / f"run{i}"
        d.mkdir()
        write_model(d / "results.json", res)
        files.append(str(d / "results.json"))
    runner = CliRunner()
    r = runner.invoke(app, ["report", *files, "--format", "markdown", "--plot", str(tmp_path / "p.png")])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(report.render_table(RESULTS, fmt="markdown")) and (tmp_path / "p.png").exists()
    r = runner.invoke(app, ["report", *files, "--names", "x,y"])
    assert r.exit_code == 0 and r.output.splitlines()[2].startswith("x ")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = runner.invoke(app, ["report", str(bad)])
    assert r.exit_code == 1 and "bad.json:1" in r.output
