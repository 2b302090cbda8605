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
    complete = len(scores) == 10
    average = sum(scores.values()) / 10 if complete else None
    return base.model_copy(update={"sets": sets, "model": model, "average": average, "complete": complete})


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


def test_with_paper_rows_first(RESULTS: list[Results]) -> None:
    text = report.render_table(RESULTS, names=["a", "b"], with_paper=True, fmt="markdown")
    check_golden("report_with_paper.md", text)
    lines = text.splitlines()
    assert lines[9].startswith("| a |") and lines[10].startswith("| b |")
    assert lines[6] == (
        "| Writing-Alpaca-7B (paper) | 55.88 | 46.35 | 59.93 | 52.79 | 39.44 | 37.12 | 42.67 | 44.57 | 64.43 "
        "| 43.30 | 48.65 |"
    )
    one = report.render_table(RESULTS, with_paper=["Alpaca-7B"], fmt="csv").splitlines()
    assert one[1] == "Alpaca-7B (paper),52.86,36.19,59.30,48.54,35.48,37.98,40.33,43.91,34.89,41.19,43.07,"
    assert len(one) == 4


def test_the_studys_other_tables_take_the_runs_in_their_columns(RESULTS: list[Results]) -> None:
    t7 = report.render_table(RESULTS[:1], names=["mine"], table=paper.TABLES[7], fmt="csv").splitlines()
    assert t7[0] == "Model,CoNLL P,CoNLL R,CoNLL F0.5,BEA P,BEA R,BEA F0.5,Partial"
    assert t7[1] == "Greedy (paper),67.97,32.65,55.88,53.46,30.26,46.35,"
    conll, bea = RESULTS[0].sets["conll14"], RESULTS[0].sets["bea19"]
    prf = (conll.precision, conll.recall, conll.f_beta, bea.precision, bea.recall, bea.f_beta)
    assert t7[4].split(",")[1:] == [*(report._fmt(v) for v in prf), ""]
    t4 = report.render_table([], table=paper.TABLES[4], fmt="table")
    assert "OPT-175B (paper)" in t4 and "Avg" not in t4 and "may not be directly comparable" in t4
    assert "    -     -  47.5" in t4  # one decimal as printed, "-" where EditEval has no score
    assert "Roberta-Large (GECToR) (paper)" in report.render_table([], table=paper.TABLES[8])


def test_values_columns_and_names(RESULTS: list[Results]) -> None:
    rows = report.table_rows(RESULTS)
    assert [r.name for r in rows] == ["writing-alpaca-7b-lora", "smollm2-mixed"]  # name, else run dir name
    assert rows[0].values[-1] == pytest.approx(sum(FULL.values()) / 10)
    assert rows[1].values[-1] is None  # no average unless all ten sets were scored
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


def test_cli_paper_tables() -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["report", "--with-paper"])
    assert r.exit_code == 0, r.output
    assert [line.split("  ")[0] for line in r.output.splitlines()[2:9]] == [
        f"{row['name']} (paper)" for row in paper.PAPER_ROWS
    ]
    for n, first in ((4, "OPT-175B"), (7, "Greedy"), (8, "Roberta-Large (GECToR)")):
        r = runner.invoke(app, ["report", "--paper-table", str(n), "--format", "markdown"])
        assert r.exit_code == 0 and r.output.splitlines()[2].startswith(f"| {first} (paper) |"), r.output
    r = runner.invoke(app, ["report", "--paper-table", "5"])
    assert r.exit_code == 2 and "--paper-table must be 4, 7 or 8" in r.output
    r = runner.invoke(app, ["report"])
    assert r.exit_code == 2 and "give results.json files" in r.output


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


@pytest.fixture(scope="module")
def limited(sample_bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Results:
    """A real `evaluate --limit 2` run (every set, 2 of its 8 rows)."""
    from wa_hub.evaluate import evaluate
    from wa_hub.schema import EvalSettings

    out = tmp_path_factory.mktemp("limited") / "results.json"
    res = evaluate(
        EvalSettings(model="-", bench=str(sample_bench), out=out, predictions_from="references", limit=2)
    )
    assert res is not None
    return res


def test_a_partial_run_is_never_shown_as_full(limited: Results, tmp_path: Path) -> None:
    assert limited.complete is False and limited.average is None
    text = report.render_table([limited], names=["lim"], fmt="table")
    row = text.splitlines()[2]
    assert row.split()[1] == "100.00*" and row.split()[-1] == "-"  # a score on part of its set; no Avg
    assert "* lim is a partial run, not the whole benchmark: CoNLL 2 of 8 rows, BEA 2 of 8 rows," in text
    assert "so no Avg." in text
    csv_row = report.render_table([limited], names=["lim"], fmt="csv").splitlines()[1]
    covered = ", ".join(f"{s.abbrev} 2 of 8 rows" for s in BENCH_SETS)
    assert csv_row.startswith("lim,100.00,") and csv_row.endswith(f'"{covered}; so no Avg"')
    # an average a file carries anyway (written by an older wa-hub) is not shown for a partial run
    stale = limited.model_copy(update={"average": 55.5})
    assert "55.50" not in report.render_table([stale])
    svg = report.plot_table([limited], tmp_path / "p.svg", names=["lim"]).read_text()
    assert "lim (partial)" in svg and svg.count("2/8") == 10


def test_only_sets_run_is_partial_too(reference_results: Results) -> None:
    only = reference_results.model_copy(
        update={"sets": {"sts": reference_results.sets["sts"]}, "complete": False, "average": None}
    )
    text = report.render_table([only], names=["sts-only"], fmt="markdown")
    assert "| sts-only | - |" in text and "STS 8 of 8 rows; not run: CoNLL, BEA, JFL" in text
    assert "*" not in text.splitlines()[2]  # STS was scored on all its rows


def test_rows_with_the_same_name_get_distinct_names(reference_results: Results) -> None:
    greedy = reference_results
    beam = greedy.model_copy(update={"decoding": greedy.decoding.model_copy(update={"name": "beam"})})
    names = [r.name for r in report.table_rows([greedy, beam], names=["run", "run"])]
    assert names == ["run (greedy)", "run (beam)"]
    names = [r.name for r in report.table_rows([greedy, greedy, beam], names=["run", "run", "run"])]
    assert names == ["run", "run (2)", "run (3)"]
    paper_named = [r.name for r in report.table_rows([greedy], names=["LLaMa-7B (paper)"], with_paper=True)]
    assert paper_named[-1] == "LLaMa-7B (paper) (2)" and len(set(paper_named)) == len(paper_named)
