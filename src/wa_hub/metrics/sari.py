"""SARI (Xu et al. 2016) as EASSE's `corpus_sari` computes it, the way EditEval (and so the study) scored.

EASSE (feralvam/easse) is not on PyPI, so this is our implementation of its `corpus_sari` with its defaults:

- every sentence (source, hypothesis, references) lowercased and tokenized with sacrebleu's 13a tokenizer
  (sacrebleu's own tokenizer classes), n-grams 1..4 over its whitespace tokens;
- per sentence, the references' n-gram counts summed; ADD counts n-gram types (binary), KEEP and DELETE
  count occurrences weighted by the number of references;
- statistics pooled over the corpus, then per n-gram order: F1 of ADD, F1 of KEEP and F1 of DELETE (F1 is 0
  unless both precision and recall are > 0), each averaged over the four orders;
- SARI = mean of the three operation scores, 0-100.

`deletion="precision"` scores DELETE by precision only, as in Xu et al.'s paper and their original code.

`sentence_stats` keeps each sentence's counts before pooling (`stats[i, op, field, order]`); they add up,
so `aggregate` with a one-hot row is exactly SARI of that sentence alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub.errors import UsageError
from wa_hub.metrics._common import check_not_empty, check_references, check_same_length
from wa_hub.metrics.stats import SentenceStats, as_weights
from wa_hub.schema import MetricResult

ORDER = 4
Tokenizer = Literal["13a", "intl", "none"]
Deletion = Literal["f1", "precision"]


@cache
def _tokenizer(name: str) -> Callable[[str], str]:
    if name == "13a":
        from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

        return Tokenizer13a()
    if name == "intl":
        from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International

        return TokenizerV14International()
    if name == "none":
        return lambda s: s
    raise UsageError(f"sari: tokenizer must be '13a', 'intl' or 'none', got {name!r}")


def normalize(sentence: str, lowercase: bool = True, tokenizer: Tokenizer = "13a") -> str:
    """What EASSE does to every sentence before counting n-grams."""
    if lowercase:
        sentence = sentence.lower()
    return _tokenizer(tokenizer)(sentence)


def _ngrams(sentence: str) -> list[Counter[str]]:
    tokens = sentence.split()
    return [
        Counter(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)) for n in range(1, ORDER + 1)
    ]


def _scaled(c: Counter[str], k: int) -> Counter[str]:
    return Counter({g: v * k for g, v in c.items()})


def _f1(correct: int, sys_total: int, ref_total: int) -> tuple[float, float, float]:
    p = correct / sys_total if sys_total > 0 else 0.0
    r = correct / ref_total if ref_total > 0 else 0.0
    f = 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0
    return p, r, f


OPS = ("add", "keep", "delete")
FIELDS = ("correct", "system", "reference")  # system correct, system total, reference total


def _sentence_counts(
    src_ng: list[Counter[str]], hyp_ng: list[Counter[str]], refs_ng: list[Counter[str]], k: int
) -> list[list[list[int]]]:
    """[op][field][order] counts of one sentence, with k references whose n-gram counts are summed."""
    out = [[[0] * ORDER for _ in FIELDS] for _ in OPS]
    add, keep, dele = out
    for n in range(ORDER):
        s, h, r = src_ng[n], hyp_ng[n], refs_ng[n]
        # ADD: n-gram types new to the source (binary)
        h_added = set(h) - set(s)
        add[0][n] = len(h_added & set(r))
        add[1][n] = len(h_added)
        add[2][n] = len(set(r) - set(s))
        # KEEP and DELETE: occurrences, the source's and hypothesis's scaled by the number of references
        s_k, h_k = _scaled(s, k), _scaled(h, k)
        h_kept, r_kept = s_k & h_k, s_k & r
        keep[0][n] = sum((h_kept & r_kept).values())
        keep[1][n] = sum(h_kept.values())
        keep[2][n] = sum(r_kept.values())
        h_del, r_del = s_k - h_k, s_k - r
        dele[0][n] = sum((h_del & r_del).values())
        dele[1][n] = sum(h_del.values())
        dele[2][n] = sum(r_del.values())
    return out


def sentence_stats(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    lowercase: bool = True,
    tokenizer: Tokenizer = "13a",
    deletion: Deletion = "f1",
) -> SentenceStats:
    """`stats`: (n, 3, 3, 4) int counts, [sentence, op (add/keep/delete), field (system correct, system
    total, reference total), n-gram order]."""
    check_same_length("sari", {"sources": len(sources), "hypotheses": len(hypotheses)})
    check_not_empty("sari", len(sources))
    check_references(references, len(sources))
    if deletion not in ("f1", "precision"):
        raise UsageError(f"sari: deletion must be 'f1' or 'precision', got {deletion!r}")

    def norm(s: str) -> str:
        return normalize(s, lowercase, tokenizer)

    rows = []
    for src, refs, hyp in zip(sources, references, hypotheses, strict=True):
        refs_ng = [Counter[str]() for _ in range(ORDER)]
        for ref in refs:
            for n, c in enumerate(_ngrams(norm(ref))):
                refs_ng[n].update(c)
        rows.append(_sentence_counts(_ngrams(norm(src)), _ngrams(norm(hyp)), refs_ng, len(refs)))
    settings = {
        "lowercase": lowercase,
        "tokenizer": tokenizer,
        "deletion": deletion,
        "order": ORDER,
        "references": max((len(r) for r in references), default=0),
    }
    stats = np.array(rows, dtype=np.int64).reshape(len(rows), len(OPS), len(FIELDS), ORDER)
    return SentenceStats("sari", len(rows), {"stats": stats}, settings=settings)


@overload
def aggregate(stats: SentenceStats, weights: None = None) -> MetricResult: ...
@overload
def aggregate(stats: SentenceStats, weights: ArrayLike) -> np.ndarray: ...
def aggregate(stats: SentenceStats, weights: ArrayLike | None = None) -> MetricResult | np.ndarray:
    """The corpus result from pooled counts; with (B, n) `weights`, B SARI scores (0-100)."""
    stats.check("sari")
    counts = stats.arrays["stats"]
    precision_only = stats.settings.get("deletion") == "precision"
    if weights is not None:
        w = as_weights(weights, stats.n)
        pooled = (w @ counts.reshape(stats.n, -1)).reshape(len(w), len(OPS), len(FIELDS), ORDER)
        op_scores: list[np.ndarray] = []
        for o, op in enumerate(OPS):
            p, f = _f1_arrays(pooled[:, o, 0], pooled[:, o, 1], pooled[:, o, 2])
            x = p if op == "delete" and precision_only else f
            total = x[:, 0]
            for n in range(1, ORDER):  # left to right, as the corpus sum
                total = total + x[:, n]
            op_scores.append(100.0 * total / ORDER)
        return (op_scores[0] + op_scores[1] + op_scores[2]) / 3
    pooled_list = counts.sum(axis=0).tolist()
    scores = {}
    for op, (correct, sys_total, ref_total) in zip(OPS, pooled_list, strict=True):
        per_order = [_f1(correct[n], sys_total[n], ref_total[n]) for n in range(ORDER)]
        pick = 0 if op == "delete" and precision_only else 2
        scores[op] = 100.0 * sum(x[pick] for x in per_order) / ORDER
    return MetricResult(
        metric="sari",
        score=(scores["add"] + scores["keep"] + scores["delete"]) / 3,
        n=stats.n,
        components=scores,
        settings=dict(stats.settings),
    )


def _f1_arrays(
    correct: np.ndarray, sys_total: np.ndarray, ref_total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`_f1` on arrays: precision and F1."""
    p = np.where(sys_total > 0, correct / np.where(sys_total > 0, sys_total, 1), 0.0)
    r = np.where(ref_total > 0, correct / np.where(ref_total > 0, ref_total, 1), 0.0)
    ok = (p > 0) & (r > 0)
    f = np.where(ok, 2 * p * r / np.where(ok, p + r, 1), 0.0)
    return p, f


def sari(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    lowercase: bool = True,
    tokenizer: Tokenizer = "13a",
    deletion: Deletion = "f1",
) -> MetricResult:
    """Corpus SARI on the 0-100 scale, with its add/keep/delete components (EASSE `corpus_sari` defaults).

    `references[i]` holds the references of sentence i; sentences may have different numbers of them.
    """
    stats = sentence_stats(
        sources, references, hypotheses, lowercase=lowercase, tokenizer=tokenizer, deletion=deletion
    )
    return aggregate(stats)
