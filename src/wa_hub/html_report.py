"""`wa-hub report ... --html report.html`: one self-contained page (nothing fetched when it is viewed).

The page holds the Table 3 layout with 95% intervals, the paired comparisons, one chart per set
(matplotlib, embedded as PNG data URIs), the ERRANT error-type tables, the editing diagnostics, and an
example browser: pick a set, page through its rows, read the source, each run's prediction and the
references with word-level differences to the source highlighted (inserted, deleted, replaced words;
difflib's opcodes over whitespace tokens), filter to rows where the runs' predictions differ or where a run
scored zero on the sentence (its own score: the metric's aggregate of that sentence alone). The rows are
embedded as JSON; a few lines of plain JavaScript page and filter them. Rendered by Jinja2 with
autoescaping (`cards/report.html.j2`).
"""

from __future__ import annotations

import base64
import difflib
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wa_hub import significance
from wa_hub.compare import Comparison, Rescorer, ScoredSet, comparison_rows, label
from wa_hub.fileio import atomic_write_text
from wa_hub.report import COLUMNS, KEYS, _cell, distinct_names, figure, table_rows
from wa_hub.schema import BenchRow, EditDiagnostics, ErrorTypes, Results
from wa_hub.significance import Interval
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS


def word_diff(source: str, text: str) -> str:
    """`text` as HTML, its words marked against `source`: <ins> inserted, <del> deleted, replaced words as
    a <del> of the old followed by an <ins class="rep"> of the new."""
    a, b = source.split(), text.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = html.escape(" ".join(a[i1:i2])), html.escape(" ".join(b[j1:j2]))
        if op == "equal":
            out.append(new)
        elif op == "insert":
            out.append(f"<ins>{new}</ins>")
        elif op == "delete":
            out.append(f"<del>{old}</del>")
        else:
            out.append(f'<del class="rep">{old}</del> <ins class="rep">{new}</ins>')
    return " ".join(out)


def sentence_scores(s: ScoredSet, chunk: int = 256) -> np.ndarray:
    """Each sentence's own score (one-hot resamples through the metric's aggregate), in chunks."""
    out = np.empty(s.n)
    for lo in range(0, s.n, chunk):
        hi = min(lo + chunk, s.n)
        w = np.zeros((hi - lo, s.n))
        w[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
        out[lo:hi] = significance.scores(s.stats, w)
    return out


def _chart(
    results: Sequence[Results], names: Sequence[str], cis: Sequence[Mapping[str, Interval]], key: str
) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = figure(results, names, False, cis, columns=[key])
    fig.set_size_inches(3.6, 3.0)
    ax = fig.axes[0]
    ax.set_title(
        BENCH_BY_CONFIG[key].name if key in BENCH_BY_CONFIG else "Average of the ten sets", fontsize=9
    )
    ax.set_ylabel(BENCH_BY_CONFIG[key].metric.upper() if key in BENCH_BY_CONFIG else "score", fontsize=8)
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _examples(
    names: Sequence[str], scored: Sequence[Mapping[str, ScoredSet]], rows: Mapping[str, Sequence[BenchRow]]
) -> dict[str, Any]:
    """Per set: its rows (source, references and each run's prediction, all diffed against the source)."""
    out: dict[str, Any] = {}
    for s in BENCH_SETS:
        runs = [r.get(s.config) for r in scored]
        if any(r is None for r in runs) or s.config not in rows:
            continue
        sets: list[ScoredSet] = [r for r in runs if r is not None]
        n = min(x.n for x in sets)
        per_sentence = [sentence_scores(x) for x in sets]
        items = []
        for i in range(n):
            row = rows[s.config][i]
            source = sets[0].sources[i]
            preds = [x.hypotheses[i] for x in sets]
            items.append(
                {
                    "id": row.id,
                    "source": html.escape(source),
                    "refs": [word_diff(source, r) for r in row.references],
                    "preds": [word_diff(source, p) for p in preds],
                    "scores": [round(float(sc[i]), 2) for sc in per_sentence],
                    "differ": len(set(preds)) > 1,
                    "zero": any(float(sc[i]) == 0.0 for sc in per_sentence),
                }
            )
        out[s.config] = {"name": f"{s.name} ({s.metric.upper()})", "rows": items}
    return out


def render_html(
    results: Sequence[Results],
    names: Sequence[str],
    scored: Sequence[Mapping[str, ScoredSet]],
    rows: Mapping[str, Sequence[BenchRow]],
    intervals: Sequence[Mapping[str, Interval]],
    comparisons: Sequence[Comparison],
    error_types: Sequence[Mapping[str, ErrorTypes]],
    diagnostics: Sequence[Mapping[str, EditDiagnostics]],
) -> str:
    """The page, as one HTML string."""
    import jinja2

    from wa_hub.resources import resource

    names = distinct_names(names, results)
    table = [
        {"name": row.name, "cells": [_cell(v, ci.get(k)) for v, k in zip(row.values, KEYS, strict=True)]}
        for row, ci in zip(table_rows(results, names), intervals, strict=True)
    ]
    keys = [s.config for s in BENCH_SETS if any(s.config in r.sets for r in results)]
    if all(r.average is not None for r in results):
        keys.append("average")
    charts = [{"label": label(k), "src": _chart(results, names, intervals, k)} for k in keys]
    gec = []
    for s in BENCH_SETS:
        per_run = [t.get(s.config) for t in error_types]
        first = next((t for t in per_run if t is not None), None)
        if first is None:
            continue
        levels = []
        for level in ("operation", "main", "full"):
            table_level = getattr(first, level)
            ordered = sorted(table_level.items(), key=lambda kv: (-(kv[1].tp + kv[1].fn), kv[0]))
            levels.append(
                {
                    "name": level,
                    "rows": [
                        {
                            "type": cat,
                            "gold": score.tp + score.fn,
                            "runs": [getattr(t, level).get(cat) if t is not None else None for t in per_run],
                        }
                        for cat, score in ordered
                    ],
                }
            )
        gec.append(
            {"name": s.name, "retyped": first.gold == "reclassified", "beta": first.beta, "levels": levels}
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource("cards"))),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    examples = _examples(names, scored, rows)
    return env.get_template("report.html.j2").render(
        names=names,
        results=results,
        columns=COLUMNS,
        table=table,
        comparisons=[
            {"title": f"{c.other} vs {c.base}", "c": c, "rows": comparison_rows(c)} for c in comparisons
        ],
        charts=charts,
        gec=gec,
        diagnostics=[
            {"name": n, "sets": [(label(k), d) for k, d in per.items()]}
            for n, per in zip(names, diagnostics, strict=True)
        ],
        examples_json=json.dumps(examples, ensure_ascii=False).replace("</", "<\\/"),
    )


def write_html(out: str | Path, page: str) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, page)
    return out


def write_report(
    out: str | Path,
    results: Sequence[Results],
    paths: Sequence[Path | None],
    names: Sequence[str],
    resamples: int = significance.RESAMPLES,
    seed: int = 0,
    rescorer: Rescorer | None = None,
) -> tuple[Path, list[Comparison]]:
    """Re-score the runs, compare every run with the first, and write the page to `out`."""
    from wa_hub.analysis import recorded_or_computed
    from wa_hub.compare import compare, intervals

    rescorer = rescorer or Rescorer()
    pairs = list(zip(results, paths, strict=True))
    scored = [rescorer.scored_sets(r, p) for r, p in pairs]
    comparisons = [
        compare(scored[0], sets, (names[0], name), resamples, seed)
        for name, sets in zip(names[1:], scored[1:], strict=True)
    ]
    page = render_html(
        results,
        names,
        scored,
        {c: rescorer.rows(results[0], c, paths[0]) for c in scored[0]},
        [intervals(s, resamples, seed) for s in scored],
        comparisons,
        [recorded_or_computed(r, p, rescorer, "error_types") for r, p in pairs],
        [recorded_or_computed(r, p, rescorer, "diagnostics") for r, p in pairs],
    )
    return write_html(out, page), comparisons
