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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Literal

from wa_hub.metrics._common import check_references, check_same_length

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
    raise ValueError(f"tokenizer must be '13a', 'intl' or 'none', got {name!r}")


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


def sari(
    sources: Sequence[str],
    references: Sequence[Sequence[str]],
    hypotheses: Sequence[str],
    *,
    lowercase: bool = True,
    tokenizer: Tokenizer = "13a",
    deletion: Deletion = "f1",
) -> dict[str, Any]:
    """Corpus SARI on the 0-100 scale, with its add/keep/delete components (EASSE `corpus_sari` defaults).

    `references[i]` holds the references of sentence i; sentences may have different numbers of them.
    """
    check_same_length("sari", {"sources": len(sources), "hypotheses": len(hypotheses)})
    check_references(references, len(sources))
    if deletion not in ("f1", "precision"):
        raise ValueError(f"deletion must be 'f1' or 'precision', got {deletion!r}")

    # stats[op][field][n]: op in add/keep/delete, field in (system correct, system total, reference total)
    stats = {op: [[0] * ORDER for _ in range(3)] for op in ("add", "keep", "delete")}

    def norm(s: str) -> str:
        return normalize(s, lowercase, tokenizer)

    for src, refs, hyp in zip(sources, references, hypotheses, strict=True):
        src_ng, hyp_ng = _ngrams(norm(src)), _ngrams(norm(hyp))
        refs_ng = [Counter[str]() for _ in range(ORDER)]
        for ref in refs:
            for n, c in enumerate(_ngrams(norm(ref))):
                refs_ng[n].update(c)
        k = len(refs)
        for n in range(ORDER):
            s, h, r = src_ng[n], hyp_ng[n], refs_ng[n]
            # ADD: n-gram types new to the source (binary)
            h_added = set(h) - set(s)
            add = stats["add"]
            add[0][n] += len(h_added & set(r))
            add[1][n] += len(h_added)
            add[2][n] += len(set(r) - set(s))
            # KEEP and DELETE: occurrences, the source's and hypothesis's scaled by the number of references
            s_k, h_k = _scaled(s, k), _scaled(h, k)
            h_kept, r_kept = s_k & h_k, s_k & r
            keep = stats["keep"]
            keep[0][n] += sum((h_kept & r_kept).values())
            keep[1][n] += sum(h_kept.values())
            keep[2][n] += sum(r_kept.values())
            h_del, r_del = s_k - h_k, s_k - r
            dele = stats["delete"]
            dele[0][n] += sum((h_del & r_del).values())
            dele[1][n] += sum(h_del.values())
            dele[2][n] += sum(r_del.values())

    scores = {}
    for op, (correct, sys_total, ref_total) in stats.items():
        per_order = [_f1(correct[n], sys_total[n], ref_total[n]) for n in range(ORDER)]
        pick = 0 if op == "delete" and deletion == "precision" else 2
        scores[op] = 100.0 * sum(x[pick] for x in per_order) / ORDER

    return {
        "metric": "sari",
        "score": (scores["add"] + scores["keep"] + scores["delete"]) / 3,
        "add": scores["add"],
        "keep": scores["keep"],
        "delete": scores["delete"],
        "n": len(hypotheses),
        "settings": {
            "lowercase": lowercase,
            "tokenizer": tokenizer,
            "deletion": deletion,
            "order": ORDER,
            "references": max((len(r) for r in references), default=0),
        },
    }
