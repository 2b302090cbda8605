"""Bootstrap resampling over sentences: confidence intervals, paired tests, minimum detectable differences.

Koehn (2004)'s paired bootstrap, as sacrebleu's `paired_bs` runs it: B resamples of the n sentences with
replacement (`rng.choice(n, (B, n))`, the very draws sacrebleu makes for the same generator), each scored at
corpus level by the metric's own `aggregate(stats, weights)` (M2/ERRANT re-sum TP/FP/FN and recompute F0.5,
GLEU and SARI recompute their corpus statistics), all B at once: a resample is a row of multiplicities.
Both runs of a comparison see the same resamples, so the test is paired.

- interval: the percentile interval of the B resampled scores (or differences);
- p-value: two-sided, of the difference shifted to the null (Efron & Tibshirani 1993, ch. 16): the share of
  resampled differences at least as far from the observed one as the observed one is from 0, with the +1 of
  Davison & Hinkley (a run against itself gives p = 1; no p is ever 0);
- minimum detectable difference: (z_{1-alpha/2} + z_power) x the bootstrap standard error of the
  difference, the smallest true difference a set of this size detects with that power (80%).

Hand-written: sacrebleu's bootstrap is tied to its own metrics and loops over resamples in Python; this is
the same procedure on any `SentenceStats`, vectorised.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from wa_hub.metrics import get_metric
from wa_hub.metrics.stats import SentenceStats

RESAMPLES = 1000
LEVEL = 0.95
ALPHA = 0.05
POWER = 0.8


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) multiplicities: row b counts how often resample b drew each sentence."""
    if n < 1 or resamples < 1:
        raise ValueError(f"need at least one sentence and one resample (got n={n}, resamples={resamples})")
    idx = rng.choice(n, size=(resamples, n), replace=True)
    flat = (idx + (np.arange(resamples) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def set_rng(seed: int, config: str) -> np.random.Generator:
    """The resampling stream of one set: the same for every run (paired) and independent of the others."""
    return np.random.default_rng([seed, zlib.crc32(config.encode())])


def scores(stats: SentenceStats, weights: np.ndarray) -> np.ndarray:
    """The metric's corpus score of every resample (0-100)."""
    return np.asarray(get_metric(stats.metric).aggregate(stats, weights), dtype=np.float64)


def padded(weights: np.ndarray, n: int) -> np.ndarray:
    """Weights over the first k sentences, as weights over all n (the rest weigh 0)."""
    if weights.shape[1] == n:
        return weights
    out = np.zeros((len(weights), n))
    out[:, : weights.shape[1]] = weights
    return out


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap percentile interval and standard error."""

    value: float
    low: float
    high: float
    se: float
    level: float = LEVEL

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def interval(value: float, samples: np.ndarray, level: float = LEVEL) -> Interval:
    tail = (1 - level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    se = float(np.std(samples, ddof=1)) if len(samples) > 1 else 0.0
    return Interval(float(value), float(low), float(high), se, level)


def p_value(observed: float, samples: np.ndarray) -> float:
    """Two-sided bootstrap p-value of an observed difference from its resampled values (see the docstring)."""
    far = np.abs(samples - observed) >= abs(observed) - 1e-9
    return float((np.count_nonzero(far) + 1) / (len(samples) + 1))


def min_detectable(se: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true difference a two-sided test at `alpha` detects with `power`, given its SE."""
    z = NormalDist().inv_cdf
    return (z(1 - alpha / 2) + z(power)) * se
