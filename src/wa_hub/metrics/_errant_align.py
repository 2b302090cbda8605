"""ERRANT's alignment (`errant.alignment.Alignment`), computed faster with the very same result.

ERRANT's own `align` spends most of `errant_parallel`'s non-parsing time reading spaCy tokens back one
attribute at a time in its inner loop (a Token object is made for every `doc[i]`). This computes the same
linguistically weighted Damerau-Levenshtein matrices from the tokens' attributes read once per sentence,
the substitution costs for the whole grid at once (NumPy and rapidfuzz's `cdist`, the same float64
arithmetic in the same order), and the same dynamic programme with the same tie-breaking, then hands an
`Alignment` holding those matrices to ERRANT's merger and classifier. `tests/metrics/test_errant_cache.py`
checks the matrices equal ERRANT's on real data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_INF = float("inf")


def _features(doc: Any) -> tuple[np.ndarray, list[str]]:
    """(ORTH, LOWER, LEMMA, POS) per token, and the token texts."""
    from spacy.attrs import LEMMA, LOWER, ORTH, POS

    array = doc.to_array([ORTH, LOWER, LEMMA, POS]).reshape(-1, 4)
    strings = doc.vocab.strings
    return array, [strings[orth] for orth in array[:, 0].tolist()]


def _sub_costs(o: np.ndarray, c: np.ndarray, o_text: list[str], c_text: list[str]) -> list[list[float]]:
    """`Alignment.get_sub_cost` for every (orig, cor) token pair: lemma + POS + character cost, 0 when the
    tokens differ only in case."""
    from errant.alignment import Alignment
    from rapidfuzz.distance import Indel
    from rapidfuzz.process import cdist

    open_pos = Alignment._open_pos
    lemma = np.where(o[:, 2, None] == c[None, :, 2], 0.0, 0.499)
    same_pos = o[:, 3, None] == c[None, :, 3]
    o_open = np.array([p in open_pos for p in o[:, 3].tolist()], dtype=bool)
    c_open = np.array([p in open_pos for p in c[:, 3].tolist()], dtype=bool)
    both_open = o_open[:, None] & c_open[None, :]
    pos = np.where(same_pos, 0.0, np.where(both_open, 0.25, 0.5))
    chars = cdist(o_text, c_text, scorer=Indel.normalized_distance, dtype=np.float64)
    costs = np.where(o[:, 1, None] == c[None, :, 1], 0.0, (lemma + pos) + chars)
    return costs.tolist()  # type: ignore[no-any-return]


def align_matrices(orig: Any, cor: Any) -> tuple[list[list[float]], list[list[str]]]:
    """ERRANT's (cost_matrix, op_matrix) for two parsed Docs (its default, non-Levenshtein alignment)."""
    o, o_text = _features(orig)
    c, c_text = _features(cor)
    o_len, c_len = len(o_text), len(c_text)
    cost = [[0.0] * (c_len + 1) for _ in range(o_len + 1)]
    ops = [["O"] * (c_len + 1) for _ in range(o_len + 1)]
    for i in range(1, o_len + 1):
        cost[i][0] = cost[i - 1][0] + 1
        ops[i][0] = "D"
    for j in range(1, c_len + 1):
        cost[0][j] = cost[0][j - 1] + 1
        ops[0][j] = "I"
    if not o_len or not c_len:
        return cost, ops
    sub = _sub_costs(o, c, o_text, c_text)
    o_orth, c_orth = o[:, 0].tolist(), c[:, 0].tolist()
    o_low, c_low = o[:, 1].tolist(), c[:, 1].tolist()
    # Prefix sums of the lowercase ids (exact Python ints): two spans whose sums differ cannot hold the
    # same tokens, so most transposition candidates are ruled out without sorting them.
    o_sum, c_sum = [0], [0]
    for x in o_low:
        o_sum.append(o_sum[-1] + x)
    for x in c_low:
        c_sum.append(c_sum[-1] + x)
    for i in range(o_len):
        above, row, op_row, sub_row, orth = cost[i], cost[i + 1], ops[i + 1], sub[i], o_orth[i]
        o_end = o_sum[i + 1]
        left, diag = row[0], above[0]  # cost[i+1][j] and cost[i][j], carried along the row
        for j in range(c_len):
            up = above[j + 1]
            if orth == c_orth[j]:
                best, op = diag, "M"
            else:
                # Transpositions: walk the diagonal back while it holds no match (ERRANT's loop).
                trans_cost = _INF
                k = 1
                c_end = c_sum[j + 1]
                while i - k >= 0 and j - k >= 0 and cost[i - k + 1][j - k + 1] != cost[i - k][j - k]:
                    if o_end - o_sum[i - k] == c_end - c_sum[j - k] and sorted(
                        o_low[i - k : i + 1]
                    ) == sorted(c_low[j - k : j + 1]):
                        trans_cost = cost[i - k][j - k] + k
                        break
                    k += 1
                # The first cheapest of [transposition, substitution, insertion, deletion] (list.index(min)).
                sub_cost = diag + sub_row[j]
                if sub_cost < trans_cost:
                    best, op = sub_cost, "S"
                else:
                    best, op = trans_cost, f"T{k + 1}"
                if left + 1 < best:
                    best, op = left + 1, "I"
                if up + 1 < best:
                    best, op = up + 1, "D"
            row[j + 1] = best
            op_row[j + 1] = op
            left, diag = best, up
    return cost, ops


def alignment(orig: Any, cor: Any) -> Any:
    """An `errant.alignment.Alignment` of the two Docs, equal to `Alignment(orig, cor)`."""
    from errant.alignment import Alignment

    a = Alignment.__new__(Alignment)
    a.orig, a.cor = orig, cor
    a.cost_matrix, a.op_matrix = align_matrices(orig, cor)
    a.align_seq = a.get_cheapest_align_seq()
    return a


def annotate(annotator: Any, orig: Any, cor: Any) -> list[Any]:
    """`annotator.annotate(orig, cor)` (rule-based merging, classified edits) on the fast alignment."""
    edits = annotator.merge(alignment(orig, cor))
    for edit in edits:
        annotator.classify(edit)
    return edits  # type: ignore[no-any-return]
