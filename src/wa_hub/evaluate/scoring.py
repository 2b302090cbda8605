"""Scoring one benchmark set with the official metrics (`wa_hub.metrics.score`), and the debug predictions.

Sources are the `input` column; CoNLL-2014 and BEA-2019 are scored against their gold M2 blocks (the `m2`
column), JFLEG (GLEU) and the SARI sets against their `references`. `reference_predictions` and
`source_predictions` give the two sanity baselines (a perfect system, a system that changes nothing)
through the very same scoring call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wa_hub import metrics
from wa_hub.build import set_tokenize
from wa_hub.errors import UsageError, WaHubError
from wa_hub.m2 import apply_edits, parse_block
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import BenchManifest, MetricResult, PredictionRow, Tokenize
from wa_hub.study import BENCH_BY_CONFIG

PREDICTIONS_FROM = ("references", "source")


def choose_tokenize(chosen: Tokenize | None, manifest: BenchManifest | None, config: str) -> Tokenize:
    """How a set's outputs are tokenized: `chosen` (`--tokenize`) for the metrics that read tokens, else the
    benchmark's own setting for the set."""
    if chosen is not None and metrics.get_metric(BENCH_BY_CONFIG[config].metric).tokenized:
        return chosen
    return set_tokenize(manifest, config)


def set_stats(
    metric: str,
    rows: Sequence[dict[str, Any]],
    predictions: Sequence[str],
    tokenize: str = "none",
    **options: Any,
) -> SentenceStats:
    """The set's per-sentence statistics of `predictions` (one per row, in row order), tokenized by
    `tokenize` (`stats.hypotheses` holds what was compared): what `score_set` aggregates, and what the
    bootstrap resamples (`wa_hub.compare`)."""
    if len(rows) != len(predictions):
        raise WaHubError(
            f"{len(rows)} rows but {len(predictions)} predictions; one prediction per row is expected"
        )
    return metrics.sentence_stats(
        metric,
        sources=[r["input"] for r in rows],
        hypotheses=list(predictions),
        references=[list(r["references"]) for r in rows],
        gold_m2=[r["m2"] for r in rows],
        tokenize=tokenize,
        **options,
    )


def scored_hypotheses(
    metric: str, rows: Sequence[dict[str, Any]], predictions: Sequence[str], tokenize: str = "none"
) -> list[str]:
    """The predictions as the set's metric compares them (`metrics.scored_hypotheses`)."""
    return metrics.scored_hypotheses(
        metric,
        predictions,
        tokenize=tokenize,
        sources=[r["input"] for r in rows],
        gold_m2=[r["m2"] for r in rows],
    )


def score_set(
    metric: str, rows: Sequence[dict[str, Any]], predictions: Sequence[str], tokenize: str = "none"
) -> MetricResult:
    """Score `predictions` (one per row, in row order) with the set's metric, tokenized by `tokenize`."""
    return metrics.get_metric(metric).aggregate(set_stats(metric, rows, predictions, tokenize))


def detailed_rows(
    stats: SentenceStats, result: MetricResult, predictions: Sequence[PredictionRow]
) -> list[PredictionRow]:
    """Each prediction row with what was scored: the hypothesis the metric compared, the row's own score
    (`metrics.sentence_scores`) and, for M2 and ERRANT, its edit counts (`result.counts`' names)."""
    scores = metrics.sentence_scores(stats)
    keys = list(result.counts)
    return [
        p.model_copy(
            update={
                "hypothesis": h,
                "score": float(x),
                "counts": {k: int(stats.arrays[k][i]) for k in keys} if keys else None,
            }
        )
        for i, (p, h, x) in enumerate(zip(predictions, stats.hypotheses, scores, strict=True))
    ]


def reference_predictions(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Each row's first reference (for M2 sets without references: the gold edits of annotator 0 applied)."""
    preds = []
    for r in rows:
        refs = list(r["references"])
        if refs:
            preds.append(refs[0])
        elif r.get("m2"):
            preds.append(apply_edits(parse_block(r["m2"], where=f"{r['set']} row {r['id']}")))
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
