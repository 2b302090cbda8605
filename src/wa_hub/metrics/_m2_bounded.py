"""The M2 scorer's best edit sequence in time and memory linear in the alignment grid, for long sentences.

The official algorithm (`_m2_edits`, vectorised in `_m2_fast`) adds a transitive arc for every pair of
lattice vertices joined by a path with at most `max_unchanged_words` unchanged tokens. Where source and
hypothesis share few tokens (a sentence rewritten word for word, an unrelated rewrite) nearly every cell of
the grid is on an optimal alignment and no path has unchanged tokens, so the arcs number O(V^2) in the V
cells: 3.6M for two 60-token sentences, about 10^10 for 512 tokens. `_m2_fast` gives up on a sentence
whose arcs pass its budget and this module scores it instead.

It finds the path of the same objective without listing the arcs: the official edge weights make the best
path the one that matches the most gold edits (each matched arc weighs -len(E)), then covers the fewest
steps, then makes the fewest edits (each unmatched edit adds 0.001 per listed copy). That is a shortest
path over states of the base lattice (both Levenshtein matrices, edges with their copies), swept one
anti-diagonal at a time:

- `C[v]`: a segment ends at v. A base edge from `C` is a one-edge segment (1, +0.001 per copy unless it
  is a noop); a gold-matching arc from `C[u]` to `C[v]` weighs -L.
- `A[v]`, `B[v, u, h]`: an open segment of one / of several edges ending at v, with u unchanged tokens
  (at most `max_unchanged_words`) and h = whether it changes anything; each edge adds 1; a segment of
  several edges that changes something closes into `C[v]` for 0.001 (merged noop arcs are removed by
  the official scorer, so a noop-only segment never closes).
- Gold edits: a substitution or deletion matches every arc over its span with its correction (each one
  reachable within the span with at most `max_unchanged_words` unchanged tokens); an insertion matches
  the arcs the official two-pointer walk over the position's insertion arcs marks (`_insertion_matches`).

What it does not reproduce: the official weight counts a merged arc once per time the transitive loop
accepted it (1 to 3), and the loop's arc lengths are greedy rather than shortest where unchanged tokens
bind; both can make the official scorer split an edit that this one keeps whole (or the reverse).
Against the reference implementation on random sentence pairs (`tests/metrics/test_m2_bounded.py`), the
correct and proposed counts agree on more than 99% of them; `m2` records how many sentences were scored
this way (`settings["bounded"]`). No installable library has this scorer, so it is ours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wa_hub.metrics._m2_edits import Edit, GoldEdit, _matches

_NOOP, _SUB, _DEL, _INS = 0, 1, 2, 3
_EPSILON = 0.001
_INF = np.inf


def _lattice(src: Sequence[str], hyp: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per grid cell: a bitmask of the base edges into it (1 diag, 2 del, 4 ins) and their copies (one
    per Levenshtein matrix that has the edge on an optimal alignment), as (n + 1, m + 1) arrays."""
    from wa_hub.metrics._m2_fast import _optimal_moves

    n, m = len(src), len(hyp)
    vocab: dict[str, int] = {}
    src_ids = [[vocab.setdefault(t, len(vocab)) for t in src]]
    hyp_ids = [[vocab.setdefault(t, len(vocab)) for t in hyp]]
    ws, voff = np.array([m + 1]), np.array([0])
    moves = np.zeros((n + 1) * (m + 1), dtype=np.int64)
    copies = np.zeros((3, (n + 1) * (m + 1)), dtype=np.int64)
    for sub_cost in (1, 2):
        for cells, mv in _optimal_moves(src_ids, hyp_ids, sub_cost, ws, voff):
            moves[cells] |= mv
            for k, bit in enumerate((1, 2, 4)):
                copies[k, cells] += (mv & bit) != 0
    return moves.reshape(n + 1, m + 1), copies.reshape(3, n + 1, m + 1)


def _reach(moves: np.ndarray, noop: np.ndarray, a: int, x: int, b: int, y: int, max_u: int) -> bool:
    """A path of base edges from (a, x) to (b, y) with at most `max_u` unchanged tokens."""
    if moves.shape[1] <= y or moves.shape[0] <= b:
        return False
    best = np.full((b - a + 1, y - x + 1), max_u + 1, dtype=np.int64)
    best[0, 0] = 0
    for i in range(a, b + 1):
        for j in range(x, y + 1):
            if i == a and j == x:
                continue
            mv, here = int(moves[i, j]), max_u + 1
            if mv & 1 and i > a and j > x:
                here = min(here, best[i - 1 - a, j - 1 - x] + int(noop[i, j]))
            if mv & 2 and i > a:
                here = min(here, best[i - 1 - a, j - x])
            if mv & 4 and j > x:
                here = min(here, best[i - a, j - 1 - x])
            best[i - a, j - x] = here
    return bool(best[b - a, y - x] <= max_u)


def _insertion_matches(
    hyp: Sequence[str], moves: np.ndarray, copies: np.ndarray, a: int, golds: Sequence[GoldEdit]
) -> list[tuple[int, int]]:
    """The insertion arcs (a, x) -> (a, y) at source position `a` that the official set_weights walk
    gives the gold weight: its two-pointer walk over the position's arcs sorted, copies included."""
    m = len(hyp)
    group: list[tuple[int, int]] = []
    for x in range(m + 1):
        for y in range(x + 1, m + 1):
            if not moves[a, y] & 4:  # the run of insertion edges from x stops before y
                break
            group += [(x, y)] * (int(copies[2, a, y]) if y == x + 1 else 1)
    out = []
    lo, hi, cur = 0, len(group) - 1, 0
    g_lo, g_hi = 0, len(golds) - 1
    while lo <= hi:
        x, y = group[cur]
        edit = (a, a, "", " ".join(hyp[x:y]))
        order = range(g_lo, g_hi + 1) if cur == lo else reversed(range(g_lo, g_hi + 1))
        hit = next((gi for gi in order if _matches(edit, golds[gi])), None)
        if hit is None:
            if cur == lo:
                lo, cur = lo + 1, hi
            else:
                hi, cur = hi - 1, lo
            continue
        out.append((x, y))
        if cur == lo:
            g_lo, lo = hit + 1, lo + 1
            while lo < len(group) and group[lo][0] != group[cur][1]:
                lo += 1
            cur = lo
        else:
            g_hi, hi = hit - 1, hi - 1
            while hi >= 0 and group[hi][1] != group[cur][0]:
                hi -= 1
            cur = hi
    return out


def _gold_arcs(
    src: Sequence[str], hyp: Sequence[str], moves: np.ndarray, copies: np.ndarray, noop: np.ndarray,
    gold: Sequence[GoldEdit], max_u: int,
) -> list[tuple[int, int, int, int]]:  # fmt: skip
    """(a, x, b, y): the arcs from (a, x) to (b, y) that match a gold edit."""
    out = []
    insertions: dict[int, list[GoldEdit]] = {}
    for g in gold:
        a, b, orig, corrections = g
        if a < 0 or b < a or b > len(src) or orig != " ".join(src[a:b]):
            continue
        if a == b:
            insertions.setdefault(a, []).append(g)
            continue
        for correction in corrections:
            tokens = correction.split()
            for x in range(len(hyp) - len(tokens) + 1):
                y = x + len(tokens)
                if list(hyp[x:y]) == tokens and _reach(moves, noop, a, x, b, y, max_u):
                    out.append((a, x, b, y))
    for a, golds in insertions.items():
        out += [(a, x, a, y) for x, y in _insertion_matches(hyp, moves, copies, a, golds)]
    return out


def bounded_edit_seqs(
    src: Sequence[str], hyp: Sequence[str], golds_list: Sequence[Sequence[GoldEdit]], max_u: int
) -> list[list[Edit]]:
    """The best edit sequence (end to start, as the official scorer returns it) for each annotator."""
    moves, copies = _lattice(src, hyp)
    n, m = len(src), len(hyp)
    noop = np.zeros((n + 1, m + 1), dtype=bool)
    if n and m:
        noop[1:, 1:] = np.asarray(src, dtype=object)[:, None] == np.asarray(hyp, dtype=object)[None, :]
    return [_best_path(src, hyp, moves, copies, noop, gold, max_u) for gold in golds_list]


# state indices: C, A (one edge), then B[u, h] for u in 0..max_u, h in 0/1
def _b(u: int, h: int) -> int:
    return 2 + 2 * u + h


def _best_path(
    src: Sequence[str], hyp: Sequence[str], moves: np.ndarray, copies: np.ndarray, noop: np.ndarray,
    gold: Sequence[GoldEdit], max_u: int,
) -> list[Edit]:  # fmt: skip
    n, m = len(src), len(hyp)
    big = 3.0 * (n + m + 2)  # the gold weight: more than any path's positive part (official: len(E))
    n_states = 2 + 2 * (max_u + 1)
    value = np.full((n_states, n + 1, m + 1), _INF)
    a_un = np.zeros((n + 1, m + 1), dtype=np.int8)  # state A's unchanged tokens (its edge a noop)
    back_i = np.full((n_states, n + 1, m + 1), -1, dtype=np.int32)  # predecessor cell and state
    back_j = np.full((n_states, n + 1, m + 1), -1, dtype=np.int32)
    back_s = np.full((n_states, n + 1, m + 1), -1, dtype=np.int8)
    value[0, 0, 0] = 0.0
    arcs_to: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a, x, b, y in _gold_arcs(src, hyp, moves, copies, noop, gold, max_u):
        arcs_to.setdefault((b, y), []).append((a, x))

    def take(state: int, ii: np.ndarray, jj: np.ndarray, cand: np.ndarray, pi, pj, ps) -> None:  # type: ignore[no-untyped-def]
        better = cand < value[state, ii, jj]
        if better.any():
            ii, jj = ii[better], jj[better]
            value[state, ii, jj] = cand[better]
            back_i[state, ii, jj] = pi[better] if isinstance(pi, np.ndarray) else pi
            back_j[state, ii, jj] = pj[better] if isinstance(pj, np.ndarray) else pj
            back_s[state, ii, jj] = ps[better] if isinstance(ps, np.ndarray) else ps

    for level in range(1, n + m + 1):
        i = np.arange(max(0, level - m), min(n, level) + 1)
        j = level - i
        mv = moves[i, j]
        for bit, di, dj, k in ((1, 1, 1, 0), (2, 1, 0, 1), (4, 0, 1, 2)):  # the official rank order
            sel = ((mv & bit) != 0) & (i >= di) & (j >= dj)
            if not sel.any():
                continue
            ii, jj = i[sel], j[sel]
            pi, pj = ii - di, jj - dj
            is_noop = noop[ii, jj] if bit == 1 else np.zeros(len(ii), dtype=bool)
            changed = ~is_noop
            c_prev = value[0, pi, pj]
            # a one-edge segment from C
            one = c_prev + 1.0 + np.where(changed, _EPSILON * copies[k, ii, jj], 0.0)
            take(0, ii, jj, one, pi, pj, 0)
            # open a segment from C (state A); extend A and B into B: a noop adds an unchanged token, a
            # change marks the segment as changing something
            before = value[1, ii, jj].copy()
            take(1, ii, jj, c_prev + 1.0, pi, pj, 0)
            a_un[ii, jj] = np.where(value[1, ii, jj] < before, is_noop, a_un[ii, jj])
            prev_a_un = a_un[pi, pj].astype(np.int64)
            sources = [(1, value[1, pi, pj], prev_a_un, 1 - prev_a_un)]  # A: its edge's un, and h
            sources += [(_b(u, h), value[_b(u, h), pi, pj], u, h) for u in range(max_u + 1) for h in (0, 1)]
            for state, prev, u, h in sources:
                for mask, add_u, new_h in ((is_noop, 1, h), (changed, 0, 1)):
                    nu = u + add_u
                    for target_u in range(max_u + 1):
                        for target_h in (0, 1):
                            ok = mask & (nu == target_u) & (new_h == target_h)
                            if ok.any():
                                take(_b(target_u, target_h), ii[ok], jj[ok], prev[ok] + 1.0, pi[ok], pj[ok],
                                     state)  # fmt: skip
        # close segments of several edges that change something; gold arcs
        for u in range(max_u + 1):
            take(0, i, j, value[_b(u, 1), i, j] + _EPSILON, i, j, _b(u, 1))
        for bi, bj in zip(i.tolist(), j.tolist(), strict=True):
            for a, x in arcs_to.get((bi, bj), []):
                cand = value[0, a, x] - big
                if cand < value[0, bi, bj]:
                    value[0, bi, bj], back_i[0, bi, bj], back_j[0, bi, bj], back_s[0, bi, bj] = cand, a, x, -2
    return _walk_back(src, hyp, back_i, back_j, back_s, n, m)


def _walk_back(
    src: Sequence[str], hyp: Sequence[str], back_i: np.ndarray, back_j: np.ndarray, back_s: np.ndarray,
    n: int, m: int,
) -> list[Edit]:  # fmt: skip
    """The segments of the best path from its end, as edits: merged segments that change something (even
    when their text is the source's: a deletion and an insertion of one token), other segments unless
    their text is unchanged (a noop edge, a gold edit that keeps the text)."""
    seq: list[Edit] = []
    vi, vj, state = n, m, 0
    end, merged = (n, m), False
    while (vi, vj) != (0, 0) or state != 0:
        pi, pj, ps = int(back_i[state, vi, vj]), int(back_j[state, vi, vj]), int(back_s[state, vi, vj])
        if state == 0 and ps not in (0, -2):  # a closed segment of several edges: walk through it
            state, merged = ps, True
            continue
        if ps in (0, -2):  # the segment (or gold arc) starts at the predecessor, a boundary
            orig, corr = " ".join(src[pi : end[0]]), " ".join(hyp[pj : end[1]])
            if merged or orig != corr:
                seq.append((pi, end[0], orig, corr))
            end, merged = (pi, pj), False
        vi, vj, state = pi, pj, max(ps, 0)
    return seq
