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
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from wa_hub.metrics._common import check_references, check_same_length

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


def gleu(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    iterations: int = ITERATIONS,
    sampling: Sampling = "python2",
) -> dict[str, Any]:
    """Corpus GEC-GLEU on the 0-100 scale, as JFLEG's `eval/gleu.py` computes it.

    `references[i]` holds the references of sentence i (any number >= 1; the official script assumes
    the same number for every sentence, and then the result is identical).
    """
    check_same_length("gleu", {"sources": len(sources), "hypotheses": len(hypotheses)})
    check_references(references, len(sources))
    if iterations < 1:
        raise ValueError("iterations must be >= 1")
    if sampling not in ("python2", "python3"):
        raise ValueError(f"sampling must be 'python2' or 'python3', got {sampling!r}")

    # Statistics of every (sentence, reference) pair, computed once; iterations only pick and sum them.
    per_ref: list[list[list[int]]] = []
    for src, refs, hyp in zip(sources, references, hypotheses, strict=True):
        s, h = src.split(), hyp.split()
        per_ref.append([_sentence_stats(s, h, r.split()) for r in refs])

    n_refs = [len(refs) for refs in references]
    width = 2 + 2 * ORDER
    scores = []
    for j in range(iterations):
        totals = [0] * width
        for stats_by_ref, k in zip(per_ref, _draws(n_refs, j, sampling), strict=True):
            chosen = stats_by_ref[k]
            for t in range(width):
                totals[t] += chosen[t]
        scores.append(_corpus_gleu(totals))

    mean = math.fsum(scores) / len(scores)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in scores) / len(scores))
    return {
        "metric": "gleu",
        "score": 100.0 * mean,
        "std": 100.0 * std,
        "n": len(hypotheses),
        "settings": {
            "order": ORDER,
            "iterations": iterations,
            "seed": f"random.seed(j * {SEED_STEP})",
            "sampling": sampling,
            "tokenizer": "whitespace",
            "references": max(n_refs, default=0),
        },
    }
