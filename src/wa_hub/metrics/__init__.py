"""The benchmark's metrics, as the official scorers compute them: lists of strings in, a `MetricResult` out.

- `m2(hypotheses, gold_m2)`: the M2 scorer (CoNLL-2014), precision/recall/F0.5
- `errant(hypotheses, gold_m2)`: ERRANT span-based correction (BEA-2019), precision/recall/F0.5
- `gleu(sources, references, hypotheses)`: GEC-GLEU (JFLEG)
- `sari(sources, references, hypotheses)`: SARI as EASSE computes it (simplification, editing)
- `METRICS` / `get_metric(name)`: each one's `MetricSpec`; `score(metric, ...)` and `sentence_stats(metric,
  ...)` call one by name with the inputs it needs (`spec.inputs`).

Scores are on the 0-100 scale. `references[i]` is the list of references of sentence i; `gold_m2[i]` is
sentence i's M2 block. Every result has `score` (the headline: F-beta for m2/errant, which also fill
`precision`, `recall`, `f_beta`, `beta`). Each metric also splits into `sentence_stats` and `aggregate`
(`wa_hub.metrics.stats`): per-sentence counts, and the corpus result or B resampled scores from them.
Importing the package is cheap: ERRANT loads spaCy only when first called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub.errors import UsageError
from wa_hub.metrics import errant as _errant
from wa_hub.metrics import gleu as _gleu
from wa_hub.metrics import m2 as _m2
from wa_hub.metrics import sari as _sari
from wa_hub.metrics.m2 import read_m2_blocks
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import MetricName, MetricResult

Inputs = Literal["m2", "refs"]


class Aggregate(Protocol):
    """`aggregate(stats)` -> the corpus MetricResult; `aggregate(stats, weights)` -> B scores."""

    @overload
    def __call__(self, stats: SentenceStats, weights: None = None) -> MetricResult: ...
    @overload
    def __call__(self, stats: SentenceStats, weights: ArrayLike) -> np.ndarray: ...


@dataclass(frozen=True)
class MetricSpec:
    """A metric as lm-eval's `MetricSpec` and lighteval's `Metrics` describe one.

    `inputs` says what it reads: "m2" (hypotheses + gold M2 blocks) or "refs" (sources + references +
    hypotheses). `compute` is the corpus function; `sentence_stats` and `aggregate` are its per-sentence and
    corpus halves (lighteval's sample-level and corpus-level functions): `aggregate(sentence_stats(...))`
    is `compute(...)`, number for number.
    """

    name: MetricName
    label: str  # display name: M2, ERRANT, GLEU, SARI
    description: str
    inputs: Inputs
    higher_is_better: bool
    compute: Callable[..., MetricResult]
    sentence_stats: Callable[..., SentenceStats]
    aggregate: Aggregate


METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec(
            "m2",
            "M2",
            "M2 scorer F0.5 (Dahlmeier & Ng 2012; CoNLL-2014)",
            "m2",
            True,
            _m2.m2,
            _m2.sentence_stats,
            _m2.aggregate,
        ),
        MetricSpec(
            "errant",
            "ERRANT",
            "ERRANT span-based correction F0.5 (Bryant et al. 2017; BEA-2019)",
            "m2",
            True,
            _errant.errant,
            _errant.sentence_stats,
            _errant.aggregate,
        ),
        MetricSpec(
            "gleu",
            "GLEU",
            "GEC-GLEU (Napoles et al. 2015/2016; JFLEG)",
            "refs",
            True,
            _gleu.gleu,
            _gleu.sentence_stats,
            _gleu.aggregate,
        ),
        MetricSpec(
            "sari",
            "SARI",
            "SARI (Xu et al. 2016), EASSE corpus_sari",
            "refs",
            True,
            _sari.sari,
            _sari.sentence_stats,
            _sari.aggregate,
        ),
    )
}

# The functions under the package's names (they shadow the submodules of the same names).
m2 = _m2.m2
errant = _errant.errant
gleu = _gleu.gleu
sari = _sari.sari


def get_metric(name: str) -> MetricSpec:
    """The registered metric called `name`, or a UsageError listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise UsageError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def _arguments(
    spec: MetricSpec,
    sources: Sequence[str] | None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None,
    gold_m2: Sequence[str] | None,
) -> tuple[Any, ...]:
    """The positional inputs of `spec`'s functions, from the ones given."""
    if spec.inputs == "m2":
        if gold_m2 is None:
            raise UsageError(f"{spec.name} needs gold_m2 (the gold M2 block of each sentence)")
        return list(hypotheses), list(gold_m2)
    if sources is None or references is None:
        raise UsageError(f"{spec.name} needs sources and references")
    return list(sources), [list(r) for r in references], list(hypotheses)


def score(
    metric: str,
    *,
    sources: Sequence[str] | None = None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    gold_m2: Sequence[str] | None = None,
    **options: Any,
) -> MetricResult:
    """Score `hypotheses` with the metric called `metric`, given the inputs its `spec.inputs` names.

    m2/errant need `gold_m2`; gleu/sari need `sources` and `references`; inputs a metric does not read are
    ignored. Extra keyword options go to the metric function (e.g. `beta`, `deletion`).
    """
    spec = get_metric(metric)
    return spec.compute(*_arguments(spec, sources, hypotheses, references, gold_m2), **options)


def sentence_stats(
    metric: str,
    *,
    sources: Sequence[str] | None = None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    gold_m2: Sequence[str] | None = None,
    **options: Any,
) -> SentenceStats:
    """`score`'s per-sentence half: `get_metric(metric).aggregate(sentence_stats(...))` is `score(...)`."""
    spec = get_metric(metric)
    return spec.sentence_stats(*_arguments(spec, sources, hypotheses, references, gold_m2), **options)


__all__ = [
    "METRICS",
    "MetricSpec",
    "SentenceStats",
    "errant",
    "get_metric",
    "gleu",
    "m2",
    "read_m2_blocks",
    "sari",
    "score",
    "sentence_stats",
]
