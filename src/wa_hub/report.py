"""The study's Table 3 layout for one or more results.json files: text table, Markdown, CSV, bar chart.

Columns are the ten sets in the study's order (CoNLL ... STS) and Avg, the mean over the ten sets (the
study's "All"); the study's own rows (`wa_hub.paper`) can come first. The study's Tables 4, 7 and 8 render
the same way, runs in their columns (`table=`). Runs' scores are shown with two decimals, the paper's as it
prints them; a value a run did not score is "-" ("" in CSV, so spreadsheets read the column as numbers).
Below the text and Markdown tables, `notes` say how the runs' outputs were tokenized before scoring.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wa_hub.errors import UsageError
from wa_hub.paper import TABLE3, PaperTable
from wa_hub.schema import Results, SetResult, parse_obj, upgrade_results
from wa_hub.study import BENCH_SETS

if TYPE_CHECKING:
    from wa_hub.significance import Interval

COLUMNS: tuple[str, ...] = TABLE3.labels  # CoNLL ... STS, Avg
KEYS: tuple[str, ...] = TABLE3.columns  # what each of them holds: the configs, then "average"
FORMATS = ("table", "markdown", "csv")
PAPER_SUFFIX = " (paper)"


@dataclass(frozen=True)
class Row:
    """One line of a table: a run's or the paper's, its values in the table's columns (None: not scored).

    `partial` holds, for a value computed on only some of its set's rows, "n/N" (shown as a `*` in tables,
    written over the bar in plots); "" elsewhere. `note`: what a partial run covers (`partial_text`).
    """

    name: str
    values: list[float | None]
    decimals: int = 2
    partial: tuple[str, ...] = ()
    note: str = ""


ResultsLike = Results | dict[str, Any]


def as_results(result: ResultsLike, where: str = "results") -> Results:
    """A results.json object (decoded JSON, upgraded when written by wa-hub 0.1.0) or Results as Results."""
    return result if isinstance(result, Results) else parse_obj(Results, upgrade_results(result), where)


def run_name(result: ResultsLike, fallback: str | None = None) -> str:
    """A run's display name: its model name (run dir name), else `fallback`, else the model source."""
    model = as_results(result).model
    name = model.name or (Path(model.run).name if model.run else None)
    return str(name or fallback or model.source or "run")


def _cut(entry: SetResult | None, result: Results) -> str:
    """ "n/N" when the set was scored on only some of its rows (`--limit`), else ""."""
    if entry is None:
        return ""
    if entry.rows is not None:
        return f"{entry.n:,}/{entry.rows:,}" if entry.n < entry.rows else ""
    return f"{entry.n:,}/?" if result.limit is not None and entry.n >= result.limit else ""


def partial_text(result: ResultsLike) -> str | None:
    """None for a run over every row of all ten sets; else what it covers, set by set ("n of N rows")."""
    res = as_results(result)
    if res.complete:
        return None
    parts = []
    for s in BENCH_SETS:
        entry = res.sets.get(s.config)
        if entry is not None:
            of = f"{entry.rows:,}" if entry.rows is not None else "?"
            parts.append(f"{s.abbrev} {entry.n:,} of {of} rows")
    missing = [s.abbrev for s in BENCH_SETS if s.config not in res.sets]
    text = ", ".join(parts) or "no set scored"
    if missing:
        text += f"; not run: {', '.join(missing)}"
    return text + "; so no Avg"


def _value(result: Results, column: str) -> float | None:
    """A run's value in a paper table's column: a set's score, `average` (a complete run's only), or
    `<config> P|R|F0.5`."""
    if column == "average":
        return result.average if result.complete else None
    config, _, part = column.partition(" ")
    entry = result.sets.get(config)
    if entry is None:
        return None
    return {"": entry.score, "P": entry.precision, "R": entry.recall}.get(part, entry.f_beta)


def _paper_rows(table: PaperTable, with_paper: bool | Sequence[str]) -> list[Row]:
    """The table's own rows (all of them, or those named), marked as the paper's."""
    if with_paper is False:
        return []
    chosen = table.rows if with_paper is True else [table.row(n) for n in with_paper]
    return [
        Row(r["name"] + PAPER_SUFFIX, [r["values"].get(c) for c in table.columns], table.decimals)
        for r in chosen
    ]


def table_rows(
    results: Sequence[ResultsLike],
    names: Sequence[str] | None = None,
    with_paper: bool | Sequence[str] = False,
    table: PaperTable = TABLE3,
) -> list[Row]:
    """The paper's rows first (`with_paper`: all, or the names given), then one row per run, in `table`'s
    columns (Table 3's by default: the ten sets and the average)."""
    if names is not None and len(names) != len(results):
        raise UsageError(f"{len(names)} name(s) given for {len(results)} result file(s)")
    rows = _paper_rows(table, with_paper)
    runs = [as_results(r) for r in results]
    taken = {r.name for r in rows}
    chosen = distinct_names(list(names) if names is not None else [run_name(r) for r in runs], runs, taken)
    for name, res in zip(chosen, runs, strict=True):
        cut = tuple(_cut(res.sets.get(c.partition(" ")[0]), res) for c in table.columns)
        values = [_value(res, c) for c in table.columns]
        rows.append(Row(name, values, partial=cut, note=partial_text(res) or ""))
    return rows


def distinct_names(
    names: Sequence[str], results: Sequence[Results], taken: Collection[str] = ()
) -> list[str]:
    """The names made unique: repeated ones get their decoding when that tells the runs apart, then a number
    (`lora-7b (beam)`, `lora-7b (2)`); `taken` holds names already in the table (the paper's rows)."""
    out = list(names)
    for name, count in Counter(names).items():
        same = [i for i, n in enumerate(names) if n == name]
        decodings = [results[i].decoding.name for i in same]
        if count > 1 and len(set(decodings)) == count:
            for i, decoding in zip(same, decodings, strict=True):
                out[i] = f"{name} ({decoding})"
    used = set(taken)
    for i, name in enumerate(out):
        candidate, k = name, 2
        while candidate in used:
            candidate, k = f"{name} ({k})", k + 1
        used.add(candidate)
        out[i] = candidate
    return out


def _tokenize_text(methods: Mapping[str, str]) -> str:
    """`auto on CoNLL, BEA, JFL; none on ...`: each method and the sets (configs -> method) it was used on."""
    by_method: dict[str, list[str]] = {}
    for s in BENCH_SETS:
        if s.config in methods:
            by_method.setdefault(methods[s.config], []).append(s.abbrev)
    return "; ".join(f"{m} on {', '.join(abbrevs)}" for m, abbrevs in by_method.items())


def notes(results: Sequence[ResultsLike], names: Sequence[str]) -> list[str]:
    """What the table does not show: which runs are partial (rows and sets they cover; `*` marks a score
    on part of a set) and how the outputs were tokenized before scoring (`--tokenize`)."""
    out = [
        f"* {name} is a partial run, not the whole benchmark: {text}."
        for name, r in zip(names, results, strict=True)
        if (text := partial_text(r)) is not None
    ]
    per_run = [{c: s.tokenize for c, s in as_results(r).sets.items()} for r in results]
    merged: dict[str, str] = {}
    for methods in per_run:
        merged.update(methods)
    if not merged:
        return out
    if all(merged[c] == m for methods in per_run for c, m in methods.items()):
        return [*out, f"Outputs tokenized before scoring: {_tokenize_text(merged)}."]
    listed = " ".join(f"{n}: {_tokenize_text(m)}." for n, m in zip(names, per_run, strict=True))
    return [*out, f"Outputs tokenized before scoring: {listed}"]


def _marked(row: Row) -> list[tuple[float | None, str]]:
    """Each value with its "n/N" when it is a score on part of its set."""
    cuts = row.partial or ("",) * len(row.values)
    return list(zip(row.values, cuts, strict=True))


def _fmt(value: float | None, missing: str = "-", decimals: int = 2) -> str:
    """`decimals` places, half up as papers round (63.125 -> 63.13; plain format() would give 63.12)."""
    if value is None:
        return missing
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def _cell(value: float | None, ci: Interval | None, missing: str = "-", decimals: int = 2) -> str:
    """`57.50`, or `57.50 ±2.31` with a confidence interval (± half its width, as sacrebleu prints it)."""
    if value is None or ci is None:
        return _fmt(value, missing, decimals)
    return f"{_fmt(value, decimals=decimals)} ±{_fmt(ci.half_width, decimals=decimals)}"


def render_grid(
    header: Sequence[str], cells: Sequence[Sequence[str]], fmt: str, left: Sequence[int] = (0,)
) -> str:
    """Rows of cells as `markdown`, `csv` or an aligned text `table` (columns in `left` left-aligned)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(cells)
        return buf.getvalue()
    if fmt == "markdown":
        rule = "|".join("---" if i in left else "---:" for i in range(len(header)))
        lines = ["| " + " | ".join(header) + " |", "|" + rule + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in cells)]) + "\n"


def render_table(
    results: Sequence[ResultsLike],
    names: Sequence[str] | None = None,
    with_paper: bool | Sequence[str] = False,
    fmt: str = "markdown",
    table: PaperTable | None = None,
    intervals: Sequence[Mapping[str, Interval]] | None = None,
) -> str:
    """Render results (Results or results.json objects) as `markdown`, `csv` or `table` (aligned text).

    By default in the Table 3 layout, with the study's Table 3 rows first when `with_paper` (True: all
    seven; a list: the rows named). `table=wa_hub.paper.TABLES[n]`: the study's Table n (its rows first,
    as the paper prints them, then the runs in its columns). `intervals[i]` (column key -> Interval) adds
    run i's 95% confidence intervals: `±` half their width, `low`/`high` columns in CSV.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    shown = table or TABLE3
    rows = table_rows(results, names, True if table is not None else with_paper, shown)
    n_paper = len(rows) - len(results)
    run_names = [r.name for r in rows[n_paper:]]
    texts = notes(results, run_names)
    if table is not None:
        texts = [
            f"The study's Table {table.number}: {table.caption}.",
            *([table.note] if table.note else []),
            *texts,
        ]
    footer = "".join(f"\n{text}\n" for text in texts)
    cis: list[list[Interval | None]] = [[None] * len(shown.columns) for _ in rows]
    for i, run_cis in enumerate(intervals or []):
        cis[n_paper + i] = [run_cis.get(k) for k in shown.columns]
    header = ["Model", *shown.labels]
    if fmt == "csv":  # numbers only in the score columns; a partial run says what it covers in "Partial"
        if intervals is not None:
            header = ["Model", *(f"{c}{x}" for c in shown.labels for x in ("", " low", " high"))]
            cells = [
                [
                    r.name,
                    *(
                        x
                        for v, ci in zip(r.values, ci_row, strict=True)
                        for x in _csv_cells(v, ci, r.decimals)
                    ),
                ]
                for r, ci_row in zip(rows, cis, strict=True)
            ]
        else:
            cells = [[r.name, *(_fmt(v, "", r.decimals) for v in r.values)] for r in rows]
        return render_grid(
            [*header, "Partial"], [[*c, r.note] for c, r in zip(cells, rows, strict=True)], fmt
        )
    cells = [
        [
            r.name,
            *(
                _cell(v, ci, decimals=r.decimals) + ("*" if v is not None and cut else "")
                for (v, cut), ci in zip(_marked(r), ci_row, strict=True)
            ),
        ]
        for r, ci_row in zip(rows, cis, strict=True)
    ]
    return render_grid(header, cells, fmt) + footer


def _csv_cells(value: float | None, ci: Interval | None, decimals: int) -> list[str]:
    if ci is None:
        return [_fmt(value, "", decimals), "", ""]
    return [_fmt(value, "", decimals), _fmt(ci.low, decimals=decimals), _fmt(ci.high, decimals=decimals)]


def plot_table(
    results: Sequence[ResultsLike],
    out: str | Path,
    names: Sequence[str] | None = None,
    with_paper: bool | Sequence[str] = False,
    intervals: Sequence[Mapping[str, Interval]] | None = None,
) -> Path:
    """A grouped bar chart (one group per set and Avg, one bar per run) saved to `out` (PNG, SVG, PDF).

    A group holds a bar only for the rows that have a value there; the paper's rows are hatched and
    unfilled, partial runs cross-hatched and labelled "(partial)", with "n/N" over their scores on part of a
    set; a score of 0 still shows its label. `intervals` (as for `render_table`) draws each run's 95%
    confidence intervals as error bars.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = figure(results, names, with_paper, intervals)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")  # same suffix: matplotlib picks the format from it
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return out


def figure(
    results: Sequence[ResultsLike],
    names: Sequence[str] | None = None,
    with_paper: bool | Sequence[str] = False,
    intervals: Sequence[Mapping[str, Interval]] | None = None,
    columns: Sequence[str] = KEYS,
) -> Any:
    """The matplotlib Figure of `plot_table`, over `columns` (configs and/or "average")."""
    import matplotlib.pyplot as plt

    rows = table_rows(results, names, with_paper)
    if not rows:
        raise UsageError("nothing to plot: no results given")
    n_paper = len(rows) - len(results)
    labels = [r.name + (" (partial)" if r.note else "") for r in rows]  # names are distinct (table_rows)
    cis: list[Mapping[str, Interval]] = [{} for _ in range(n_paper)] + list(
        intervals or [{} for _ in results]
    )
    keep = [KEYS.index(c) for c in columns]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(keep) + 0.3 * len(rows)), 4.5))
    drawn: set[int] = set()
    for x, col in enumerate(keep):
        present = [k for k, r in enumerate(rows) if r.values[col] is not None]
        width = 0.8 / max(len(present), 1)
        for slot, k in enumerate(present):
            value = rows[k].values[col]
            assert value is not None
            ci = cis[k].get(KEYS[col])
            yerr = [[value - ci.low], [ci.high - value]] if ci is not None else None
            paper = k < n_paper
            color = colors[k % len(colors)]
            bars = ax.bar(
                x + (slot - (len(present) - 1) / 2) * width,
                value,
                width=width,
                color="white" if paper else color,
                edgecolor=color if paper else "black" if rows[k].note else color,
                hatch="//" if paper else "xx" if rows[k].note else None,
                yerr=yerr,
                capsize=2 if yerr else 0,
                label=None if k in drawn else labels[k],
            )
            drawn.add(k)
            cut = rows[k].partial[col] if rows[k].partial else ""
            if cut:  # "n/N rows" over a score on part of its set
                ax.bar_label(bars, labels=[cut], rotation=90, fontsize="x-small", padding=2)
            elif len(rows) <= 4:
                ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    if "average" in columns and len(keep) > 1:
        ax.axvline(len(keep) - 1.5, color="grey", linewidth=0.8)  # the average is not a set
    ax.set_xticks(range(len(keep)), [COLUMNS[c] for c in keep])
    ax.set_ylabel("score (F0.5 / GLEU / SARI)")
    ax.set_title("Writing benchmark (the study's Table 3 layout)" + (", 95% CIs" if intervals else ""))
    ax.legend(fontsize="small", ncols=min(len(rows), 4), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(0, max(105.0, ax.get_ylim()[1]))
    fig.tight_layout()
    return fig
