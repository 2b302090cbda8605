"""What `evaluate` records about a set beyond its score: the 95% bootstrap interval, editing diagnostics
and (CoNLL-2014, BEA-2019) ERRANT's per-type scores; one function, also used by `report` for results.json
files written before these fields existed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wa_hub import significance
from wa_hub.diagnostics import edit_diagnostics
from wa_hub.error_types import error_types
from wa_hub.metrics import get_metric
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import Results, ScoreInterval
from wa_hub.significance import Interval

if TYPE_CHECKING:
    from wa_hub.compare import Rescorer


def score_interval(
    config: str, stats: SentenceStats, resamples: int = significance.RESAMPLES, seed: int = 0
) -> ScoreInterval | None:
    """The corpus score's 95% percentile interval over resamples of the set's sentences (None: no rows)."""
    if stats.n == 0:
        return None
    w = significance.resample_weights(stats.n, resamples, significance.set_rng(seed, config))
    ci = significance.interval(0.0, significance.scores(stats, w))
    return ScoreInterval(low=ci.low, high=ci.high, level=ci.level, resamples=resamples, seed=seed)


def set_analysis(
    config: str,
    stats: SentenceStats,
    sources: Sequence[str],
    hypotheses: Sequence[str],
    gold_m2: Sequence[str],
) -> dict[str, Any]:
    """`SetResult` fields `ci`, `diagnostics` and `error_types` of a scored set (its statistics, inputs and
    scored hypotheses)."""
    metric = get_metric(stats.metric).name
    return {
        "ci": score_interval(config, stats),
        "diagnostics": edit_diagnostics(sources, hypotheses),
        "error_types": error_types(metric, hypotheses, gold_m2, stats),
    }


def recorded_or_computed(
    results: Results, path: Path | None, rescorer: Rescorer, field: str
) -> dict[str, Any]:
    """`field` ("diagnostics" | "error_types") of every set that has one: as results.json records it, else
    computed from the run's predictions (results written before the field existed)."""
    out: dict[str, Any] = {}
    for config, entry in results.sets.items():
        value = getattr(entry, field)
        if value is None and (field == "diagnostics" or entry.metric in ("m2", "errant")):
            s = rescorer.scored_set(results, config, path)
            if field == "diagnostics":
                value = edit_diagnostics(s.sources, s.hypotheses)
            else:
                gold = [r.m2 for r in rescorer.rows(results, config, path)[: s.n]]
                value = error_types(entry.metric, s.hypotheses, gold, s.stats)
        if value is not None:
            out[config] = value
    return out


def recorded_intervals(results: Results) -> dict[str, Interval]:
    """The 95% intervals results.json records (`SetResult.ci`), as `render_table` takes them."""
    return {
        config: Interval(entry.score, entry.ci.low, entry.ci.high, float("nan"), entry.ci.level)
        for config, entry in results.sets.items()
        if entry.ci is not None
    }
