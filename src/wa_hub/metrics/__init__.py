"""The benchmark's metrics, as the official scorers compute them: lists of strings in, a `MetricResult` out.

- `m2(hypotheses, gold_m2)`: the M2 scorer (CoNLL-2014), precision/recall/F0.5
- `errant(hypotheses, gold_m2)`: ERRANT span-based correction (BEA-2019), precision/recall/F0.5
- `gleu(sources, references, hypotheses)`: GEC-GLEU (JFLEG)
- `sari(sources, references, hypotheses)`: SARI as EASSE computes it (simplification, editing)
- `METRICS` / `get_metric(name)`: each one's `MetricSpec`; `score(metric, ...)` and `sentence_stats(metric,
  ...)` call one by name with the inputs it needs (`spec.inputs`), after `scored_hypotheses` has put the
  hypotheses into the gold's tokenization when asked (`tokenize="auto"`, see `wa_hub.tokenize`).

Scores are on the 0-100 scale. `references[i]` is the list of references of sentence i; `gold_m2[i]` is
sentence i's M2 block. Every result has `score` (the headline: F-beta for m2/errant, which also fill
`precision`, `recall`, `f_beta`, `beta`). Each metric also splits into `sentence_stats` and `aggregate`
(`wa_hub.metrics.stats`): per-sentence counts, and the corpus result or B resampled scores from them.
Importing the package is cheap: ERRANT loads spaCy only when first called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub.errors import UsageError
from wa_hub.metrics import errant as _errant
from wa_hub.metrics import gleu as _gleu
from wa_hub.metrics import m2 as _m2
from wa_hub.metrics import sari as _sari
from wa_hub.metrics._common import check_same_length
from wa_hub.metrics.m2 import read_m2_blocks
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import MetricName, MetricResult
from wa_hub.tokenize import check_method
from wa_hub.tokenize import tokenize as _tokenize

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
    hypotheses). `tokenized`: it compares whitespace tokens of tokenized golds, so ordinary-text hypotheses
    can be put into the gold's tokenization first (`tokenize=`); SARI tokenizes everything itself.
    `gold_sources` ("m2" inputs): the tokenized source sentence of each hypothesis, from the gold blocks.
    `compute` is the corpus function; `sentence_stats` and `aggregate` are its per-sentence and
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
    tokenized: bool
    gold_sources: Callable[[Sequence[str]], list[str]] | None = None


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
            tokenized=True,
            gold_sources=_m2.gold_sentences,
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
            tokenized=True,
            gold_sources=_errant.gold_sources,
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
            tokenized=True,
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
            tokenized=False,
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


def scored_hypotheses(
    metric: str,
    hypotheses: Sequence[str],
    *,
    tokenize: str = "none",
    sources: Sequence[str] | None = None,
    gold_m2: Sequence[str] | None = None,
) -> list[str]:
    """The hypotheses as the metric compares them: put into the gold's tokenization by `tokenize`.

    `tokenize` is `none` (as given, the official scorers' way), `spacy` or `auto` (`wa_hub.tokenize`); the
    gold's tokenized sources are the `S` lines of `gold_m2` for the M2 metrics, `sources` for GLEU.
    """
    spec = get_metric(metric)
    method = check_method(tokenize)
    if method == "none":
        return list(hypotheses)
    if not spec.tokenized:
        raise UsageError(
            f"{spec.name} tokenizes its own inputs (sacrebleu's 13a); tokenize={method!r} applies to "
            + ", ".join(m.name for m in METRICS.values() if m.tokenized)
        )
    if spec.gold_sources is not None:
        if gold_m2 is None:
            raise UsageError(f"{spec.name} needs gold_m2 (the gold M2 block of each sentence)")
        gold_sources = spec.gold_sources(gold_m2)
    elif sources is not None:
        gold_sources = list(sources)
    else:
        raise UsageError(f"{spec.name} needs sources to tokenize its hypotheses like the gold")
    check_same_length(spec.name, {"hypotheses": len(hypotheses), "gold sentences": len(gold_sources)})
    return _tokenize(method, hypotheses, gold_sources)


def _with_tokenize(settings: dict[str, Any], spec: MetricSpec, method: str) -> dict[str, Any]:
    return {**settings, "tokenize": method} if spec.tokenized else dict(settings)


def score(
    metric: str,
    *,
    sources: Sequence[str] | None = None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    gold_m2: Sequence[str] | None = None,
    tokenize: str = "none",
    **options: Any,
) -> MetricResult:
    """Score `hypotheses` with the metric called `metric`, given the inputs its `spec.inputs` names.

    m2/errant need `gold_m2`; gleu/sari need `sources` and `references`; inputs a metric does not read are
    ignored. `tokenize` (m2, errant, gleu) first puts the hypotheses into the gold's tokenization
    (`scored_hypotheses`); the method is recorded as `settings["tokenize"]`. Extra keyword options go to
    the metric function (e.g. `beta`, `deletion`).
    """
    spec = get_metric(metric)
    hyps = scored_hypotheses(metric, hypotheses, tokenize=tokenize, sources=sources, gold_m2=gold_m2)
    result = spec.compute(*_arguments(spec, sources, hyps, references, gold_m2), **options)
    return result.model_copy(update={"settings": _with_tokenize(result.settings, spec, tokenize)})


def sentence_stats(
    metric: str,
    *,
    sources: Sequence[str] | None = None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    gold_m2: Sequence[str] | None = None,
    tokenize: str = "none",
    **options: Any,
) -> SentenceStats:
    """`score`'s per-sentence half: `get_metric(metric).aggregate(sentence_stats(...))` is `score(...)`.

    The statistics keep the hypotheses as the metric compared them (`stats.hypotheses`, after `tokenize`).
    """
    spec = get_metric(metric)
    hyps = scored_hypotheses(metric, hypotheses, tokenize=tokenize, sources=sources, gold_m2=gold_m2)
    stats = spec.sentence_stats(*_arguments(spec, sources, hyps, references, gold_m2), **options)
    return replace(stats, settings=_with_tokenize(stats.settings, spec, tokenize), hypotheses=tuple(hyps))


def sentence_scores(stats: SentenceStats, chunk: int = 256) -> np.ndarray:
    """Each sentence's own score (0-100): the metric's corpus formula on that sentence's statistics alone,
    i.e. `aggregate` of one-hot rows (for M2 and ERRANT, with the annotator the corpus pass chose)."""
    spec = get_metric(stats.metric)
    out = np.empty(stats.n)
    for lo in range(0, stats.n, chunk):
        hi = min(lo + chunk, stats.n)
        weights = np.zeros((hi - lo, stats.n))
        weights[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
        out[lo:hi] = spec.aggregate(stats, weights)
    return out


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
    "scored_hypotheses",
    "sentence_scores",
    "sentence_stats",
]
