"""GEC-GLEU (Napoles et al. 2015, multi-reference update 2016): the JFLEG benchmark's metric.

This is the metric of JFLEG's `eval/gleu.py` (keisks/jfleg), not NLTK's Google-GLEU. That script is Python 2
and not installable, so this is our Python 3 implementation of the same computation:

- whitespace tokens, n-grams 1..4;
- per sentence and reference: hypothesis length, reference length, and for each n the clipped matches
  `|h & r| - |h & (s - r)|` (n-grams of the source that the reference dropped count against the hypothesis),
  floored at 0, over `max(len(h) + 1 - n, 0)`;
- 500 iterations; iteration j seeds `random.seed(j * 101)` and draws one reference per sentence; the
  statistics of the corpus are summed and scored like BLEU (geometric mean of the four precisions, brevity
  penalty `min(0, 1 - r/c)`, 0 when any statistic is 0); the score is the mean over the iterations.

The published figures were made with Python 2, where the draw is `int(random() * n)`. Python 3's `randint`
draws differently (source-as-output on JFLEG test: 40.47 instead of the published 40.54), so by default we
draw the Python 2 way and reproduce the published numbers exactly; `sampling="python3"` gives the other.

`sentence_stats` keeps the statistics of every (sentence, reference) pair and the reference index that
each iteration draws for each sentence, computed once for the corpus as given: sentence i always takes
draw j of position i. A resample (`aggregate` with weights) reweights sentences under those same 500
draws, so both systems of a paired comparison see the same references. A one-hot row is sentence i's
GLEU under its own draws, which equals the official script run on that sentence alone when it has one
reference or is the first sentence (alone, the script would use position 0's draws).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub.errors import UsageError
from wa_hub.metrics._common import check_not_empty, check_references, check_same_length
from wa_hub.metrics.stats import SentenceStats, as_weights
from wa_hub.schema import MetricResult

ORDER = 4
ITERATIONS = 500
SEED_STEP = 101

Sampling = Literal["python2", "python3"]


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) + 1 - n))


def _sentence_stats(src: list[str], hyp: list[str], ref: list[str]) -> list[int]:
    """[hyp length, ref length, match_1, total_1, ..., match_4, total_4] of one hypothesis and reference."""
    stats = [len(hyp), len(ref)]
    for n in range(1, ORDER + 1):
        h, s, r = _ngrams(hyp, n), _ngrams(src, n), _ngrams(ref, n)
        s_not_r = Counter({g: c for g, c in s.items() if g not in r})
        matches = sum((h & r).values()) - sum((h & s_not_r).values())
        stats += [max(matches, 0), max(len(hyp) + 1 - n, 0)]
    return stats


def _corpus_gleu(stats: Sequence[int]) -> float:
    if any(x == 0 for x in stats):
        return 0.0
    c, r = stats[0], stats[1]
    log_prec = sum(math.log(x / y) for x, y in zip(stats[2::2], stats[3::2], strict=True)) / ORDER
    return math.exp(min(0.0, 1 - r / c) + log_prec)


def _draws(n_refs: list[int], iteration: int, sampling: Sampling) -> list[int]:
    """The reference index of each sentence in one iteration, as the official script draws them."""
    rng = random.Random(iteration * SEED_STEP)
    if sampling == "python2":
        # Python 2's randint(0, n - 1) is randrange(0, n) = int(random() * n).
        return [int(rng.random() * n) for n in n_refs]
    return [rng.randint(0, n - 1) for n in n_refs]


WIDTH = 2 + 2 * ORDER
_DRAWN = [1, *range(2, WIDTH, 2)]  # reference length and the matches depend on the reference drawn
_FIXED = [0, *range(3, WIDTH, 2)]  # hypothesis length and the n-gram totals do not


def sentence_stats(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    iterations: int = ITERATIONS,
    sampling: Sampling = "python2",
) -> SentenceStats:
    """`stats`: one row per (sentence, reference) pair, [hyp length, ref length, match_1, total_1, ...,
    match_4, total_4]; sentence i's rows start at `start[i]`, `n_refs[i]` of them; `draws[j, i]` is the
    reference that iteration j takes for sentence i."""
    check_same_length("gleu", {"sources": len(sources), "hypotheses": len(hypotheses)})
    check_not_empty("gleu", len(sources))
    check_references(references, len(sources))
    if iterations < 1:
        raise UsageError(f"gleu: iterations must be >= 1, got {iterations}")
    if sampling not in ("python2", "python3"):
        raise UsageError(f"gleu: sampling must be 'python2' or 'python3', got {sampling!r}")
    rows: list[list[int]] = []
    for src, refs, hyp in zip(sources, references, hypotheses, strict=True):
        s, h = src.split(), hyp.split()
        rows.extend(_sentence_stats(s, h, r.split()) for r in refs)
    n_refs = [len(refs) for refs in references]
    arrays = {
        "stats": np.array(rows, dtype=np.int64).reshape(len(rows), WIDTH),
        "start": (np.cumsum(n_refs, dtype=np.int64) - np.array(n_refs, dtype=np.int64)),
        "n_refs": np.array(n_refs, dtype=np.int64),
        "draws": np.array([_draws(n_refs, j, sampling) for j in range(iterations)], dtype=np.int64).reshape(
            iterations, len(n_refs)
        ),
    }
    settings = {
        "order": ORDER,
        "iterations": iterations,
        "seed": f"random.seed(j * {SEED_STEP})",
        "sampling": sampling,
        "tokenizer": "whitespace",
        "references": max(n_refs, default=0),
    }
    return SentenceStats("gleu", len(n_refs), arrays, settings=settings)


@overload
def aggregate(stats: SentenceStats, weights: None = None) -> MetricResult: ...
@overload
def aggregate(stats: SentenceStats, weights: ArrayLike) -> np.ndarray: ...
def aggregate(stats: SentenceStats, weights: ArrayLike | None = None) -> MetricResult | np.ndarray:
    """The corpus result (mean and std over the iterations); with (B, n) `weights`, B means (0-100)."""
    stats.check("gleu")
    a = stats.arrays
    chosen = a["start"][None, :] + a["draws"]  # (iterations, n): the row each iteration sums
    if weights is not None:
        return 100.0 * _weighted_means(a["stats"], chosen, as_weights(weights, stats.n))
    # Exact integer totals, then the official per-iteration score in Python floats.
    scores = [_corpus_gleu(a["stats"][rows].sum(axis=0).tolist()) for rows in chosen]
    mean = math.fsum(scores) / len(scores)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in scores) / len(scores))
    return MetricResult(
        metric="gleu",
        score=100.0 * mean,
        n=stats.n,
        components={"std": 100.0 * std},
        settings=dict(stats.settings),
    )


def _weighted_means(stats: np.ndarray, chosen: np.ndarray, w: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Mean GLEU over the iterations for each weight row: the iterations' totals are weighted sums."""
    iterations, n = chosen.shape
    drawn = stats[chosen][:, :, _DRAWN].transpose(1, 0, 2).reshape(n, -1).astype(np.float64)
    fixed = stats[chosen[0]][:, _FIXED].astype(np.float64)  # any draw: these do not depend on it
    out = np.empty(len(w))
    for lo in range(0, len(w), chunk):
        wb = w[lo : lo + chunk]
        t_drawn = (wb @ drawn).reshape(len(wb), iterations, len(_DRAWN))
        t_fixed = np.broadcast_to((wb @ fixed)[:, None, :], (len(wb), iterations, len(_FIXED)))
        c, t = t_fixed[..., 0], t_fixed[..., 1:]
        r, m = t_drawn[..., 0], t_drawn[..., 1:]
        ok = (c > 0) & (r > 0) & (m > 0).all(axis=-1) & (t > 0).all(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(m / t)
            log_prec = sum(logs[..., k] for k in range(ORDER)) / ORDER  # in the official order
            scores = np.where(ok, np.exp(np.minimum(0.0, 1 - r / c) + log_prec), 0.0)
        out[lo : lo + chunk] = scores.mean(axis=1)
    return out


def gleu(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    iterations: int = ITERATIONS,
    sampling: Sampling = "python2",
) -> MetricResult:
    """Corpus GEC-GLEU on the 0-100 scale, as JFLEG's `eval/gleu.py` computes it.

    `references[i]` holds the references of sentence i (any number >= 1; the official script assumes
    the same number for every sentence, and then the result is identical).
    """
    stats = sentence_stats(sources, references, hypotheses, iterations=iterations, sampling=sampling)
    return aggregate(stats)
