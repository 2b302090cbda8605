"""Scoring one benchmark set with the official metrics (`wa_hub.metrics.score`), and the debug predictions.

Sources are the `input` column; CoNLL-2014 and BEA-2019 are scored against their gold M2 blocks (the `m2`
column), JFLEG (GLEU) and the SARI sets against their `references`. `reference_predictions` and
`source_predictions` give the two sanity baselines (a perfect system, a system that changes nothing)
through the very same scoring call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError

PREDICTIONS_FROM = ("references", "source")


def score_set(metric: str, rows: Sequence[dict[str, Any]], predictions: Sequence[str]) -> dict[str, Any]:
    """Score `predictions` (one per row, in row order) with the set's metric; returns the metric's dict."""
    from wa_hub import metrics  # written alongside; imported lazily (spaCy/ERRANT are heavy)

    if len(rows) != len(predictions):
        raise ValueError(f"{len(rows)} rows but {len(predictions)} predictions")
    result = metrics.score(
        metric,
        sources=[r["input"] for r in rows],
        hypotheses=list(predictions),
        references=[list(r["references"]) for r in rows],
        gold_m2=[r["m2"] for r in rows],
    )
    return dict(result)


def apply_m2_edits(block: str, annotator: int = 0, where: str = "m2") -> str:
    """The corrected sentence of one M2 block: the source tokens with one annotator's edits applied."""
    lines = [ln for ln in block.strip().splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("S "):
        raise MalformedInputError(where, 1, "an M2 block starting with 'S '", lines[0] if lines else "")
    tokens = lines[0][2:].split(" ")
    edits: list[tuple[int, int, str]] = []
    for n, line in enumerate(lines[1:], 2):
        if not line.startswith("A "):
            raise MalformedInputError(
                where, n, "an M2 edit line 'A start end|||type|||correction|||...'", line
            )
        fields = line[2:].split("|||")
        try:
            start, end = (int(x) for x in fields[0].split())
            ann = int(fields[-1])
        except (ValueError, IndexError):
            raise MalformedInputError(
                where, n, "an M2 edit line 'A start end|||...|||annotator'", line
            ) from None
        if ann != annotator or start < 0 or fields[1] == "noop":
            continue
        correction = "" if fields[2] in ("-NONE-", "") else fields[2]
        edits.append((start, end, correction))
    for start, end, correction in sorted(edits, reverse=True):
        tokens[start:end] = correction.split() if correction else []
    return " ".join(tokens)


def reference_predictions(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Each row's first reference (for M2 sets without references: the gold edits of annotator 0 applied)."""
    preds = []
    for r in rows:
        refs = list(r["references"])
        if refs:
            preds.append(refs[0])
        elif r.get("m2"):
            preds.append(apply_m2_edits(r["m2"], where=f"{r['set']} row {r['id']}"))
        else:
            raise UsageError(f"{r['set']} row {r['id']} has neither references nor a gold M2 block")
    return preds


def source_predictions(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The input copied as the output (the 'do nothing' baseline)."""
    return [r["input"] for r in rows]


def debug_predictions(kind: str, rows: Sequence[dict[str, Any]]) -> list[str]:
    if kind == "references":
        return reference_predictions(rows)
    if kind == "source":
        return source_predictions(rows)
    raise UsageError(f"unknown --predictions-from {kind!r}; expected one of {', '.join(PREDICTIONS_FROM)}")
