"""Per-sentence sufficient statistics: what resampling and per-row scores are computed from.

Every metric splits into two steps, as lighteval's sample-level and corpus-level functions do:
`sentence_stats(...)` returns a `SentenceStats` (NumPy arrays of each sentence's counts), and
`aggregate(stats)` turns them into the corpus `MetricResult`, the very numbers of the metric function.
`aggregate(stats, weights)` takes a (B, n) array of row multiplicities and returns the B corpus scores at
once, vectorised: a paired bootstrap draws such weights (Koehn 2004), and a one-hot row is one sentence's
own score. What a row of statistics holds is documented in each metric's module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from wa_hub.schema import MetricName, MetricResult


@dataclass(frozen=True, eq=False)
class SentenceStats:
    """One metric's statistics for n sentences; `aggregate` of the same metric reads them.

    `arrays` maps a name to an array whose first axis is the sentence (GLEU also keeps one row per
    (sentence, reference) pair); `beta` is the F-score's, for m2 and errant; `settings` the options the
    statistics were made with, copied into the result; `labels` names the categories axis of ERRANT's
    `arrays["categories"]`; `hypotheses` what was scored, one per sentence, when the registry's
    `sentence_stats` made them (after its `tokenize`).
    """

    metric: MetricName
    n: int
    arrays: dict[str, np.ndarray]
    beta: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    hypotheses: tuple[str, ...] = ()

    def check(self, metric: MetricName) -> None:
        if self.metric != metric:
            raise ValueError(f"these are {self.metric} statistics, not {metric}'s")


def as_weights(weights: ArrayLike, n: int) -> np.ndarray:
    """Row multiplicities as a float (B, n) array: finite, non-negative, one column per sentence."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (B, {n}), one column per sentence; got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return w


def f_beta_scores(
    correct: np.ndarray, proposed: np.ndarray, gold: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corpus precision, recall and F-beta (0-1) of arrays of counts, the official way: P = 1 with nothing
    proposed, R = 1 with nothing to find, F = 0 when P = R = 0 (the M2 scorer and errant_compare agree)."""
    p = np.where(proposed > 0, correct / np.where(proposed > 0, proposed, 1), 1.0)
    r = np.where(gold > 0, correct / np.where(gold > 0, gold, 1), 1.0)
    denom = beta * beta * p + r
    f = np.where(denom > 0, (1.0 + beta * beta) * p * r / np.where(denom > 0, denom, 1), 0.0)
    return p, r, f


Counts = tuple[Any, Any, Any]


def f_score_aggregate(
    stats: SentenceStats,
    weights: ArrayLike | None,
    names: tuple[str, str, str],
    prf: Callable[[int, int, int, float], tuple[float, float, float]],
    to_cpg: Callable[[Any, Any, Any], Counts] = lambda *x: x,
    categories: dict[str, dict[str, int]] | None = None,
) -> MetricResult | np.ndarray:
    """`aggregate` of an F-score metric whose statistics are three count arrays named `names`.

    `to_cpg` turns the three (summed) counts into correct, proposed and gold; `prf` is the metric's own
    scalar formula on those (its official scorer's, for the corpus result to be its number to the bit).
    """
    if stats.beta is None:
        raise ValueError(f"{stats.metric} statistics carry no beta")
    arrays = [stats.arrays[k] for k in names]
    if weights is not None:
        w = as_weights(weights, stats.n)
        c, p, g = to_cpg(*(w @ x for x in arrays))
        return 100.0 * f_beta_scores(c, p, g, stats.beta)[2]
    totals = [int(x.sum()) for x in arrays]
    precision, recall, f = prf(*to_cpg(*totals), stats.beta)
    return MetricResult(
        metric=stats.metric,
        score=100.0 * f,
        n=stats.n,
        precision=100.0 * precision,
        recall=100.0 * recall,
        f_beta=100.0 * f,
        beta=stats.beta,
        counts=dict(zip(names, totals, strict=True)),
        settings=dict(stats.settings),
        categories=categories,
    )
