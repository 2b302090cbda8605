"""The benchmark's metrics, reproducing the official scorers: lists of strings in, a plain dict out, 0-100.

- `m2(hypotheses, gold_m2)`: the M2 scorer (CoNLL-2014), precision/recall/F0.5
- `errant(hypotheses, gold_m2)`: ERRANT span-based correction (BEA-2019), precision/recall/F0.5
- `gleu(sources, references, hypotheses)`: GEC-GLEU (JFLEG)
- `sari(sources, references, hypotheses)`: SARI as EASSE computes it (simplification, editing)
- `score(metric, ...)`: any of them by name; the result always has `score` (F0.5 for m2/errant)

`references[i]` is the list of references of sentence i; `gold_m2[i]` is sentence i's M2 block.
Importing the package is cheap: ERRANT loads spaCy only when first called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wa_hub.errors import UsageError

# These bind the package names to the functions (not the submodules of the same names).
from wa_hub.metrics.errant import errant
from wa_hub.metrics.gleu import gleu
from wa_hub.metrics.m2 import m2, read_m2_blocks
from wa_hub.metrics.sari import sari


@dataclass(frozen=True)
class Metric:
    """What a metric needs and how to find it."""

    name: str
    module: str  # wa_hub.metrics.<module>
    function: str
    inputs: str  # "m2" (hypotheses + gold M2 blocks) | "refs" (sources + references + hypotheses)
    headline: str  # the key `score` repeats
    description: str
    label: str = ""  # display name: M2, ERRANT, GLEU, SARI
    higher_is_better: bool = True

    def load(self) -> Callable[..., dict[str, Any]]:
        fn: Callable[..., dict[str, Any]] = getattr(importlib.import_module(self.module), self.function)
        return fn


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "m2",
            "wa_hub.metrics.m2",
            "m2",
            "m2",
            "f0.5",
            "M2 scorer F0.5 (Dahlmeier & Ng 2012; CoNLL-2014)",
            "M2",
        ),
        Metric(
            "errant",
            "wa_hub.metrics.errant",
            "errant",
            "m2",
            "f0.5",
            "ERRANT span-based correction F0.5 (Bryant et al. 2017; BEA-2019)",
            "ERRANT",
        ),
        Metric(
            "gleu",
            "wa_hub.metrics.gleu",
            "gleu",
            "refs",
            "score",
            "GEC-GLEU (Napoles et al. 2015/2016; JFLEG)",
            "GLEU",
        ),
        Metric(
            "sari",
            "wa_hub.metrics.sari",
            "sari",
            "refs",
            "score",
            "SARI (Xu et al. 2016), EASSE corpus_sari",
            "SARI",
        ),
    )
}


def get_metric(name: str) -> Metric:
    """The registered metric called `name`, or a UsageError listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise UsageError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def score(
    metric: str,
    *,
    sources: Sequence[str] | None = None,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    gold_m2: Sequence[str] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Score `hypotheses` with the metric called `metric`; the result always has `score`.

    m2/errant need `gold_m2`; gleu/sari need `sources` and `references`. Extra keyword options go to the
    metric function (e.g. `beta`, `deletion`).
    """
    m = get_metric(metric)
    fn = m.load()
    if m.inputs == "m2":
        if gold_m2 is None:
            raise UsageError(f"{metric} needs gold_m2 (the gold M2 block of each sentence)")
        result = fn(list(hypotheses), list(gold_m2), **options)
    else:
        if sources is None or references is None:
            raise UsageError(f"{metric} needs sources and references")
        result = fn(list(sources), [list(r) for r in references], list(hypotheses), **options)
    result = dict(result)
    if "score" not in result:
        # m2/errant: F_beta under its own key ("f0.5" for the default beta)
        key = m.headline if m.headline in result else f"f{result.get('beta', 0.5):g}"
        result["score"] = result[key]
    return result


__all__ = ["METRICS", "Metric", "errant", "get_metric", "gleu", "m2", "read_m2_blocks", "sari", "score"]
