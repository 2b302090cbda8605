"""The M2 scorer's per-sentence steps for many sentences at once, vectorised with NumPy.

Same results as `_m2_edits` (which follows the official code step by step and stays as the reference and
the fallback; tests/metrics/test_m2_fast.py compares the two sentence by sentence), but the work is done
on arrays over all sentences of a batch together, one anti-diagonal ("level": source position +
hypothesis position) at a time. Every edge of the edit lattice, base edge or transitive arc, goes from a
lower level to a strictly higher one, which is what makes this possible:

- Alignments. Both Levenshtein matrices are filled row by row for a padded group of sentences (the
  insertions along a row are a running minimum); a cell is on an optimal alignment exactly when its
  distance from the start plus its distance to the end (the matrix of the reversed strings) is the total,
  which is the set the official walk back from the end reaches.
- Transitive arcs. The official triple loop visits intermediate vertices k in sorted order; when k is
  visited its out-edges are still base edges (an arc out of k needs an intermediate after k), and its
  in-edges are final. So the in-edges of a vertex j are its base in-edges plus, for each base predecessor
  k of j in sorted order (diagonal, deletion, insertion), the in-edges (i, k) of k extended by (k, j),
  kept when shorter than what (i, j) had (strict `<`) and within `max_unchanged_words`. Each kept
  candidate is one more copy of (i, j) in the official edge list E, listed at step k in (i, j) order; the
  number of copies and len(E) enter the weights. A level depends only on the two levels below it.
- Removal of merged noop arcs. A noop arc is the shortest path between its ends, so it is created once
  and never replaced (checked: otherwise the batch falls back to `_m2_edits`); the official loop that
  removes them while iterating skips the element after each removal, so in a run of consecutive
  removable arcs of E every second one stays.
- Bellman-Ford. The official pass relaxes the sorted base edges, then the arcs in creation order. Both
  parts are in topological order (base edges sort by source; an arc into i is created at an intermediate
  before i, an arc out of i at one after i), so within one part every source vertex is final before its
  out-edges are relaxed, and a part is exactly a level-by-level sweep: a vertex takes the minimum of
  `best[source] + weight` over its in-edges of the part when it is below its current value, and its
  predecessor is the first edge in list order that gives that minimum (strict `<`; the same float sums
  as the official code, so float ties break the same way). A later copy of an edge never wins over its
  first copy (same sum), so each distinct edge is relaxed once, at its first copy. Passes alternate the
  two sweeps until nothing changes, as Bellman-Ford would; a sweep skips the levels at or below the
  lowest vertex changed since it last ran, where every sum is the one it already saw.

Gold-edit weights are set per sentence in Python (few edges lie on a gold span), as in `_m2_edits`.
Annotators whose edits match no edge share one shortest-path run.

Bounds: the transitive arcs grow with the square of the cells that lie on optimal alignments, which is
nearly the whole grid when source and hypothesis share few tokens (a 200-token sentence rewritten word
for word: about 10^9 arcs). A batch stops as soon as its arcs (counted before each level's candidates are
made) would pass `ARC_BUDGET`; it is then split in halves, and a single sentence past the budget is scored
by `_m2_bounded` (linear in the grid) instead: `best_edit_seqs` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from wa_hub.metrics._m2_bounded import bounded_edit_seqs
from wa_hub.metrics._m2_edits import (
    Edit,
    GoldEdit,
    _matches,
    best_edits,
    build_lattice,
    edge_weights,
)

_NOOP, _SUB, _DEL, _INS = 0, 1, 2, 3
_EPSILON = 0.001
_MAX_CELLS = 1_500_000  # dense cells (sum of (n + 1) * (m + 1)) per batch: bounds memory and index sizes
# Transitive arcs (and candidates of one level) a batch may make: about 230 bytes and 1 us each, so about
# 500 MB and 2 s at most; past it a batch is split, and a single sentence goes to `_m2_bounded`.
ARC_BUDGET = 2_000_000

Item = tuple[
    list[str], list[str], Sequence[Sequence[GoldEdit]]
]  # source, hypothesis, gold edits per annotator


def best_edit_seqs(
    items: Sequence[Item], max_unchanged_words: int
) -> tuple[list[list[list[Edit]]], list[int]]:
    """For every (source, hypothesis, annotators) item, the official best edit sequence per annotator, and
    the items scored by `_m2_bounded` (their lattice was past `ARC_BUDGET`).

    Each sequence is end-to-start, as the official `best_edit_seq_bf` returns it.
    """
    out: list[list[list[Edit]]] = []
    bounded: list[int] = []
    batch: list[Item] = []
    cells = 0

    def flush() -> None:
        seqs, cut = _run(batch, max_unchanged_words)
        bounded.extend(len(out) + k for k in cut)
        out.extend(seqs)

    for item in items:
        size = (len(item[0]) + 1) * (len(item[1]) + 1)
        if batch and cells + size > _MAX_CELLS:
            flush()
            batch, cells = [], 0
        batch.append(item)
        cells += size
    if batch:
        flush()
    return out, bounded


def _run(batch: Sequence[Item], max_unchanged_words: int) -> tuple[list[list[list[Edit]]], list[int]]:
    """A batch's sequences (and which items were bounded): all together while their arcs fit the budget,
    else in halves, and a single item past it by `_m2_bounded`."""
    try:
        return _Batch(batch, max_unchanged_words).run(), []
    except _Unsupported:
        return [reference_edit_seqs(item, max_unchanged_words) for item in batch], []
    except _TooBig:
        if len(batch) == 1:
            src, hyp, golds = batch[0]
            return [bounded_edit_seqs(src, hyp, golds, max_unchanged_words)], [0]
    half = len(batch) // 2
    first, cut_a = _run(batch[:half], max_unchanged_words)
    second, cut_b = _run(batch[half:], max_unchanged_words)
    return first + second, cut_a + [half + k for k in cut_b]


def reference_edit_seqs(item: Item, max_unchanged_words: int) -> list[list[Edit]]:
    """The same result from `_m2_edits`, one sentence at a time (the reference implementation)."""
    src, hyp, golds = item
    lat = build_lattice(src, hyp, max_unchanged_words)
    return [best_edits(lat, edge_weights(lat, gold)) for gold in golds]


def _edit_distances(src: np.ndarray, hyp: np.ndarray, sub_cost: int) -> np.ndarray:
    """Levenshtein matrices of padded token-id rows: out[g, i, j] for src[g, :i] and hyp[g, :j].

    Cells past a sentence's own lengths hold garbage, but no cell inside depends on them.
    """
    g, n = src.shape
    m = hyp.shape[1]
    dist = np.empty((g, n + 1, m + 1), dtype=np.int32)
    cols = np.arange(m + 1, dtype=np.int32)
    dist[:, 0, :] = cols
    for i in range(1, n + 1):
        prev = dist[:, i - 1, :]
        sub = prev[:, :-1] + np.where(src[:, i - 1 : i] == hyp, 0, sub_cost).astype(np.int32)
        t = np.empty((g, m + 1), dtype=np.int32)
        t[:, 0] = i
        np.minimum(sub, prev[:, 1:] + 1, out=t[:, 1:])
        # cur[j] = min over j' <= j of t[j'] + (j - j'): insertions run left to right
        dist[:, i, :] = np.minimum.accumulate(t - cols, axis=1) + cols
    return dist


def _optimal_moves(
    src_ids: list[list[int]], hyp_ids: list[list[int]], sub_cost: int, ws: np.ndarray, voff: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cells on an optimal alignment (global vertex ids), their optimal backpointers (1 diag, 2 del, 4 ins).

    The same cells and moves as `_m2_edits._optimal_cells` walks back from the end: a cell is on an
    optimal alignment exactly when its distance from the start plus its distance to the end is the total.
    Sentences are grouped by length and padded, and each group's matrices are filled row by row.
    """
    order = sorted(range(len(src_ids)), key=lambda s: (len(src_ids[s]), len(hyp_ids[s])))
    out = []
    start = 0
    while start < len(order):
        n_max = len(src_ids[order[start]])
        stop = start
        m_max = 0
        while stop < len(order):
            s = order[stop]
            n_new, m_new = max(n_max, len(src_ids[s])), max(m_max, len(hyp_ids[s]))
            if stop > start and (stop - start + 1) * (n_new + 1) * (m_new + 1) > 400_000:
                break
            n_max, m_max = n_new, m_new
            stop += 1
        group = order[start:stop]
        start = stop
        g = len(group)
        ns = np.array([len(src_ids[s]) for s in group])
        ms = np.array([len(hyp_ids[s]) for s in group])
        src = np.full((g, n_max), -1, dtype=np.int64)
        hyp = np.full((g, m_max), -2, dtype=np.int64)
        rsrc = np.full((g, n_max), -1, dtype=np.int64)
        rhyp = np.full((g, m_max), -2, dtype=np.int64)
        for r, s in enumerate(group):
            src[r, : ns[r]] = src_ids[s]
            hyp[r, : ms[r]] = hyp_ids[s]
            rsrc[r, : ns[r]] = src_ids[s][::-1]
            rhyp[r, : ms[r]] = hyp_ids[s][::-1]
        fwd = _edit_distances(src, hyp, sub_cost)
        rev = _edit_distances(rsrc, rhyp, sub_cost)
        ii = np.arange(n_max + 1)[None, :, None]
        jj = np.arange(m_max + 1)[None, None, :]
        inside = (ii <= ns[:, None, None]) & (jj <= ms[:, None, None])
        gg = np.arange(g)[:, None, None]
        back = rev[gg, np.clip(ns[:, None, None] - ii, 0, n_max), np.clip(ms[:, None, None] - jj, 0, m_max)]
        total = fwd[np.arange(g), ns, ms][:, None, None]
        keep = inside & (fwd + back == total)
        mv = np.zeros(fwd.shape, dtype=np.int64)
        sub = np.where(src[:, :, None] == hyp[:, None, :], 0, sub_cost)
        mv[:, 1:, 1:] |= np.where(fwd[:, :-1, :-1] + sub == fwd[:, 1:, 1:], 1, 0)
        mv[:, 1:, :] |= np.where(fwd[:, :-1, :] + 1 == fwd[:, 1:, :], 2, 0)
        mv[:, :, 1:] |= np.where(fwd[:, :, :-1] + 1 == fwd[:, :, 1:], 4, 0)
        rr, i, j = np.nonzero(keep)
        sents = np.array(group)[rr]
        out.append((voff[sents] + i * ws[sents] + j, mv[rr, i, j]))
    return out


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segment lengths `counts`: the segment of every element and its index within the segment."""
    total = int(counts.sum())
    seg = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return seg, np.arange(total) - starts[seg]


class _Batch:
    def __init__(self, items: Sequence[Item], max_unchanged_words: int) -> None:
        self.items = items
        self.maxu = max_unchanged_words

    # --- step 1: base lattice ---

    def _base(self) -> None:
        items = self.items
        ns = np.array([len(s) for s, _, _ in items], dtype=np.int64)
        ms = np.array([len(h) for _, h, _ in items], dtype=np.int64)
        ws = ms + 1
        sizes = (ns + 1) * ws
        voff = np.cumsum(sizes) - sizes
        nv = int(sizes.sum())
        self.ns, self.ms, self.ws, self.voff, self.nv = ns, ms, ws, voff, nv
        vsent = np.repeat(np.arange(len(items)), sizes)
        local = np.arange(nv) - voff[vsent]
        self.vsent = vsent
        self.vw = ws[vsent]
        self.vrow = local // self.vw
        self.vlevel = self.vrow + local % self.vw
        vocab: dict[str, int] = {}
        heads: list[np.ndarray] = []
        moves: list[np.ndarray] = []
        src_ids: list[list[int]] = []
        hyp_ids: list[list[int]] = []
        for src, hyp, _ in items:
            src_ids.append([vocab.setdefault(t, len(vocab)) for t in src])
            hyp_ids.append([vocab.setdefault(t, len(vocab)) for t in hyp])
        for sub_cost in (1, 2):
            for cells, mv in _optimal_moves(src_ids, hyp_ids, sub_cost, ws, voff):
                heads.append(cells)
                moves.append(mv)
        v = np.concatenate(heads)
        mv = np.concatenate(moves)
        w = self.vw[v]
        us, vs, kinds = [], [], []
        for bit, back, move_kind in ((1, w + 1, -1), (2, w, _DEL), (4, np.ones_like(w), _INS)):
            sel = (mv & bit) != 0
            us.append(v[sel] - back[sel])
            vs.append(v[sel])
            kinds.append(np.full(int(sel.sum()), move_kind, dtype=np.int64))
        u = np.concatenate(us)
        vv = np.concatenate(vs)
        kind = np.concatenate(kinds)
        diag = kind < 0
        if diag.any():
            lens = np.array([len(x) for x in src_ids], dtype=np.int64)
            soff = np.cumsum(lens) - lens
            hlens = np.array([len(x) for x in hyp_ids], dtype=np.int64)
            hoff = np.cumsum(hlens) - hlens
            sid = np.array([t for x in src_ids for t in x], dtype=np.int64)
            hid = np.array([t for x in hyp_ids for t in x], dtype=np.int64)
            du = u[diag]
            ds = self.vsent[du]
            a = self.vrow[du]
            b = du - voff[ds] - a * self.vw[du]
            same = sid[soff[ds] + a] == hid[hoff[ds] + b]
            kind[diag] = np.where(same, _NOOP, _SUB)
        # The official list: both lattices' edges, sorted, duplicates kept.
        key = u * nv + vv
        order = np.argsort(key, kind="stable")
        self.base_u, self.base_v, self.base_kind = u[order], vv[order], kind[order]
        self.base_key = key[order]

    # --- step 2: transitive arcs, level by level ---

    def _arcs(self) -> None:
        nv = self.nv
        first = np.ones(len(self.base_key), dtype=bool)
        first[1:] = self.base_key[1:] != self.base_key[:-1]
        bu, bv, bk = self.base_u[first], self.base_v[first], self.base_kind[first]
        # rank of the predecessor k among j's base predecessors in sorted order: diag 0, del 1, ins 2
        rank = np.where(bk == _INS, 2, np.where(bk == _DEL, 1, 0))
        has_diag_in = np.zeros(nv, dtype=bool)
        has_diag_in[bv[rank == 0]] = True
        blevel = self.vlevel[bv]
        border = np.argsort(blevel, kind="stable")
        bu, bv, bk, rank, blevel = bu[border], bv[border], bk[border], rank[border], blevel[border]
        max_level = int(self.vlevel.max()) if nv else 0
        bounds = np.searchsorted(blevel, np.arange(max_level + 2))
        instart = np.zeros(nv, dtype=np.int64)
        incnt = np.zeros(nv, dtype=np.int64)
        levels: dict[int, tuple[np.ndarray, ...]] = {}  # level -> in-edges (src, d, un, kind), by target
        arc_parts: list[tuple[np.ndarray, ...]] = []
        sweep_parts: list[tuple[np.ndarray, ...]] = []
        sweep_gen: list[np.ndarray] = []
        n_gen = 0
        empty = np.zeros(0, dtype=np.int64)
        for lev in range(max_level + 1):
            lo, hi = bounds[lev], bounds[lev + 1]
            k_b, j_b, kind_b, r_b = bu[lo:hi], bv[lo:hi], bk[lo:hi], rank[lo:hi]
            un_b = (kind_b == _NOOP).astype(np.int64)
            cands = []
            pending = 0
            for r, src_level in ((0, lev - 2), (1, lev - 1), (2, lev - 1)):
                if src_level not in levels:
                    continue
                sel = r_b == r
                if not sel.any():
                    continue
                k, j, kj, uj = k_b[sel], j_b[sel], kind_b[sel], un_b[sel]
                cnt = incnt[k]
                pending += int(cnt.sum())
                if n_gen + pending > ARC_BUDGET:  # before the candidates are made: memory stays bounded
                    raise _TooBig
                seg, within = _segments(cnt)
                entry = instart[k][seg] + within
                l_src, l_d, l_un, l_kind = levels[src_level]
                ki = l_kind[entry]
                kk = kj[seg]
                merged = np.where((ki == kk) & (ki != _SUB), ki, _SUB)
                cands.append((l_src[entry], j[seg], l_d[entry] + 1, l_un[entry] + uj[seg], merged, k[seg], r))
            a_src, a_d, a_un, a_kind, a_tgt = empty, empty, empty, empty, empty
            if cands:
                ci = np.concatenate([c[0] for c in cands])
                cj = np.concatenate([c[1] for c in cands])
                cd = np.concatenate([c[2] for c in cands])
                cu = np.concatenate([c[3] for c in cands])
                ck = np.concatenate([c[4] for c in cands])
                ckk = np.concatenate([c[5] for c in cands])
                cr = np.concatenate([np.full(len(c[0]), c[6], dtype=np.int64) for c in cands])
                order = np.argsort((cj * nv + ci) * 4 + cr, kind="stable")
                ci, cj, cd, cu, ck, ckk, cr = (x[order] for x in (ci, cj, cd, cu, ck, ckk, cr))
                valid = (cu <= self.maxu) & ~((ci == cj - self.vw[cj] - 1) & has_diag_in[cj])
                n = len(ci)
                same1 = np.zeros(n, dtype=bool)
                same1[1:] = (ci[1:] == ci[:-1]) & (cj[1:] == cj[:-1])
                same2 = np.zeros(n, dtype=bool)
                same2[2:] = same1[2:] & same1[1:-1]
                big = np.iinfo(np.int64).max
                dv = np.where(valid, cd, big)
                prev = np.full(n, big, dtype=np.int64)
                prev[1:] = np.where(same1[1:], dv[:-1], big)
                prev[2:] = np.minimum(prev[2:], np.where(same2[2:], dv[:-2], big))
                acc = valid & (cd < prev)
                n_acc = int(acc.sum())
                gen = np.cumsum(acc) - 1 + n_gen
                n_gen += n_acc
                removable = acc & (ck == _NOOP) & (cd > 1)
                arc_parts.append((ckk[acc], ci[acc], removable[acc], 2 - cr[acc]))
                # the last accepted candidate of each (i, j) is the arc's final state
                later = np.zeros(n, dtype=bool)
                later[:-1] = same1[1:] & acc[1:]
                later[:-2] |= same2[2:] & acc[2:]
                fin = acc & ~later
                acc1 = np.zeros(n, dtype=bool)
                acc1[1:] = same1[1:] & acc[:-1]
                acc2 = np.zeros(n, dtype=bool)
                acc2[2:] = same2[2:] & acc[:-2]
                copies = 1 + acc1.astype(np.int64) + acc2
                if (removable & (copies > 1)).any():
                    raise _Unsupported("a merged noop arc listed twice")
                # Bellman-Ford relaxes an arc first at its first copy: list order (k, i) is (rank, i) here
                r_first = cr.copy()
                r_first[1:] = np.where(acc1[1:], cr[:-1], r_first[1:])
                r_first[2:] = np.where(acc2[2:], cr[:-2], r_first[2:])
                a_src, a_d, a_un, a_kind, a_tgt = ci[fin], cd[fin], cu[fin], ck[fin], cj[fin]
                f_order = np.argsort((a_tgt * 4 + r_first[fin]) * nv + a_src, kind="stable")
                sweep_parts.append(
                    (a_src[f_order], a_tgt[f_order], a_d[f_order], a_kind[f_order], copies[fin][f_order])
                )
                sweep_gen.append(np.where(removable[fin], gen[fin], -1)[f_order])
            # in-edges of this level's vertices: base in-edges, then final arcs
            t = np.concatenate([j_b, a_tgt])
            order = np.argsort(t, kind="stable")
            t = t[order]
            l_src = np.concatenate([k_b, a_src])[order]
            l_d = np.concatenate([np.ones(len(k_b), dtype=np.int64), a_d])[order]
            l_un = np.concatenate([un_b, a_un])[order]
            l_kind = np.concatenate([kind_b, a_kind])[order]
            if len(t):
                starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
                tv = t[starts]
                instart[tv] = starts
                incnt[tv] = np.diff(np.r_[starts, len(t)])
            levels[lev] = (l_src, l_d, l_un, l_kind)
            levels.pop(lev - 2, None)
        cat = np.concatenate
        if arc_parts:
            k, i, removable, jr = (cat([p[x] for p in arc_parts]) for x in range(4))
            a_u, a_v, a_d, a_kind, a_copies = (cat([p[x] for p in sweep_parts]) for x in range(5))
            a_gen = cat(sweep_gen)
        else:
            k = i = jr = a_u = a_v = a_d = a_kind = a_copies = a_gen = empty
            removable = np.zeros(0, dtype=bool)
        # Step 3, the official list E: sorted base edges (copies included), then arcs in creation order,
        # less the merged noop arcs its removal loop drops (every second one of a run stays).
        order = np.argsort((k * nv + i) * 4 + jr, kind="stable")
        sent = self.vsent[i[order]]
        rem = removable[order]
        keep_gen = np.ones(len(order), dtype=bool)
        if rem.any():
            idx = np.arange(len(order))
            start = rem.copy()
            start[1:] &= ~rem[:-1] | (sent[1:] != sent[:-1])
            run_start = np.maximum.accumulate(np.where(start, idx, 0))
            keep = ~rem | ((idx - run_start) % 2 == 1)
            keep_gen[order] = keep
            sent = sent[keep]
        self.n_edges = np.bincount(self.vsent[self.base_u], minlength=len(self.items)) + np.bincount(
            sent, minlength=len(self.items)
        )
        kept = (a_gen < 0) | keep_gen[np.maximum(a_gen, 0)]
        # Distinct edges for the sweeps: base edges by (level, target, source), then arcs by (level,
        # target, first copy); each with its steps, type and number of copies in E.
        b_first = np.ones(len(self.base_key), dtype=bool)
        b_first[1:] = self.base_key[1:] != self.base_key[:-1]
        b_idx = np.flatnonzero(b_first)
        b_copies = np.diff(np.r_[b_idx, len(self.base_key)])
        b_u, b_v, b_kind = self.base_u[b_idx], self.base_v[b_idx], self.base_kind[b_idx]
        b_order = np.argsort((self.vlevel[b_v] * nv + b_v) * nv + b_u, kind="stable")
        self.e_u = cat([b_u[b_order], a_u[kept]])
        self.e_v = cat([b_v[b_order], a_v[kept]])
        self.e_d = cat([np.ones(len(b_idx), dtype=np.int64), a_d[kept]])
        self.e_kind = cat([b_kind[b_order], a_kind[kept]])
        self.e_copies = cat([b_copies[b_order], a_copies[kept]])
        self.n_base = len(b_idx)

    # --- default weights and the gold lookup ---

    def _weights(self) -> None:
        weight = self.e_d.astype(np.float64)
        changed = self.e_kind != _NOOP
        for c in range(1, int(self.e_copies.max(initial=0)) + 1):
            sel = changed & (self.e_copies >= c)
            weight[sel] = weight[sel] + _EPSILON
        self.default_weight = weight
        self.e_sent = self.vsent[self.e_u]
        self.e_key = self.e_u * self.nv + self.e_v
        rows = int(self.ns.max(initial=0)) + 2
        span = (self.e_sent * rows + self.vrow[self.e_u]) * rows + self.vrow[self.e_v]
        self.span_order = np.argsort(span, kind="stable")
        self.span_sorted = span[self.span_order]
        self.rows = rows

    # --- step 4: gold weights (official set_weights), per sentence and annotator ---

    def _edit(self, s: int, pos: int) -> Edit:
        src, hyp, _ = self.items[s]
        w = int(self.ws[s])
        u = int(self.e_u[pos] - self.voff[s])
        v = int(self.e_v[pos] - self.voff[s])
        a, b, c, dd = u // w, u % w, v // w, v % w
        return (a, c, " ".join(src[a:c]), " ".join(hyp[b:dd]))

    def _overrides(self, s: int, gold: Sequence[GoldEdit]) -> dict[int, float]:
        """Positions whose weight differs from the default for this annotator, and their weights."""
        by_span: dict[tuple[int, int], list[GoldEdit]] = {}
        for g in gold:
            by_span.setdefault((g[0], g[1]), []).append(g)
        n_edges = int(self.n_edges[s])
        out: dict[int, float] = {}
        for (a, c), golds in by_span.items():
            if a < 0 or c < 0:
                continue
            key = (s * self.rows + a) * self.rows + c
            lo, hi = np.searchsorted(self.span_sorted, [key, key + 1])
            if lo == hi:
                continue
            edges = np.sort(self.span_order[lo:hi]).tolist()
            if a != c:
                for e in edges:
                    if any(_matches(self._edit(s, e), g) for g in golds):
                        out[e] = -n_edges
                continue
            # Insertions at one source position: the official two-pointer walk over the sorted edge
            # list, copies included.
            group = sorted(
                (int(self.e_u[e]), int(self.e_v[e]), e) for e in edges for _ in range(int(self.e_copies[e]))
            )
            local: dict[int, float] = {e: int(self.e_d[e]) for e in edges}
            lo_, hi_, cur = 0, len(group) - 1, 0
            g_lo, g_hi = 0, len(golds) - 1
            while lo_ <= hi_:
                e = group[cur][2]
                edit = self._edit(s, e)
                order = range(g_lo, g_hi + 1) if cur == lo_ else reversed(range(g_lo, g_hi + 1))
                hit = False
                for gi in order:
                    if _matches(edit, golds[gi]):
                        hit = True
                        local[e] = -n_edges
                        if cur == lo_:
                            g_lo = gi + 1
                        else:
                            g_hi = gi - 1
                        break
                if not hit:
                    local[e] += _EPSILON
                    if cur == lo_:
                        lo_ += 1
                        cur = hi_
                    else:
                        hi_ -= 1
                        cur = lo_
                elif cur == lo_:
                    lo_ += 1
                    while lo_ < len(group) and group[lo_][0] != group[cur][1]:
                        local[group[lo_][2]] += _EPSILON
                        lo_ += 1
                    cur = lo_
                else:
                    hi_ -= 1
                    while hi_ >= 0 and group[hi_][1] != group[cur][0]:
                        local[group[hi_][2]] += _EPSILON
                        hi_ -= 1
                    cur = hi_
            for e, weight in local.items():
                if weight != self.default_weight[e]:
                    out[e] = weight
        return out

    # --- step 5: Bellman-Ford as alternating topological sweeps ---

    def _sweeps(self) -> None:
        """Per part (base edges, arcs) and level: edges into the level's vertices, grouped by target."""
        self.sweeps: list[list[tuple[Any, ...]]] = []
        for lo, hi in ((0, self.n_base), (self.n_base, len(self.e_u))):
            ids = np.arange(lo, hi)
            lv = self.vlevel[self.e_v[lo:hi]]
            # base edges are sorted by level already; arcs were made level by level
            bounds = np.searchsorted(lv, np.arange(int(lv.max(initial=0)) + 2))
            steps = []
            for lev in range(len(bounds) - 1):
                a, b = bounds[lev], bounds[lev + 1]
                if a == b:
                    continue
                eids = ids[a:b]
                tg = self.e_v[eids]
                starts = np.flatnonzero(np.r_[True, tg[1:] != tg[:-1]])
                steps.append((lev, eids, tg[starts], starts))
            self.sweeps.append(steps)

    def _shortest_paths(self, instances: list[tuple[int, dict[int, float]]]) -> list[list[int]]:
        """For (sentence, weight overrides) pairs of distinct sentences: the edges of the best path."""
        weight = self.default_weight.copy()
        active = np.zeros(len(self.items), dtype=bool)
        for s, over in instances:
            active[s] = True
            if over:
                weight[np.fromiter(over.keys(), np.int64, len(over))] = np.fromiter(
                    over.values(), np.float64, len(over)
                )
        best = np.full(self.nv, np.inf)
        best[self.voff[active]] = 0.0
        pred = np.full(self.nv, -1, dtype=np.int64)
        every = bool(active.all())
        sweeps: list[list[tuple[Any, ...]]] = []
        for steps in self.sweeps:
            mine = []
            for lev, eids, targets, starts in steps:
                if not every:
                    sel = active[self.e_sent[eids]]
                    if not sel.any():
                        continue
                    if not sel.all():
                        eids = eids[sel]
                        tg = self.e_v[eids]
                        starts = np.flatnonzero(np.r_[True, tg[1:] != tg[:-1]])
                        targets = tg[starts]
                lens = np.diff(np.r_[starts, len(eids)])
                mine.append((lev, self.e_u[eids], weight[eids], eids, targets, starts, lens))
            sweeps.append(mine)
        # Alternate the two sweeps until a pass changes nothing. A sweep can only change levels above
        # the lowest vertex changed since its last run (other sources give the same sums as then).
        inf_level = 1 << 62
        dirty = [-1, -1]  # lowest changed level, per sweep, since that sweep last ran
        while min(dirty) < inf_level:
            for which, steps in enumerate(sweeps):
                low_changed = inf_level
                floor = dirty[which]
                dirty[which] = inf_level
                for lev, e_src, e_w, eids, targets, starts, lens in steps:
                    if lev <= floor:
                        continue
                    cand = best[e_src] + e_w
                    low = np.minimum.reduceat(cand, starts)
                    better = low < best[targets]
                    if not better.any():
                        continue
                    low_changed = min(low_changed, lev)
                    hits = np.flatnonzero(cand == np.repeat(low, lens))
                    firsts = hits[np.searchsorted(hits, starts)]
                    tb = targets[better]
                    best[tb] = low[better]
                    pred[tb] = eids[firsts[better]]
                other = 1 - which
                dirty[other] = min(dirty[other], low_changed)
        paths = []
        sizes = (self.ns + 1) * self.ws
        for s, _ in instances:
            v = int(self.voff[s] + sizes[s] - 1)
            path = []
            while pred[v] >= 0:
                e = int(pred[v])
                path.append(e)
                v = int(self.e_u[e])
            paths.append(path)
        return paths

    def run(self) -> list[list[list[Edit]]]:
        self._base()
        self._arcs()
        self._weights()
        self._sweeps()
        rounds: list[list[tuple[int, dict[int, float]]]] = []
        which: list[list[tuple[int, int]]] = []  # per sentence and annotator: (round, index in round)
        for s, (_, _, golds) in enumerate(self.items):
            mine: list[tuple[int, int]] = []
            default: tuple[int, int] | None = None
            n_inst = 0
            for gold in golds:
                over = self._overrides(s, gold)
                if not over and default is not None:
                    mine.append(default)
                    continue
                if len(rounds) <= n_inst:
                    rounds.append([])
                where = (n_inst, len(rounds[n_inst]))
                rounds[n_inst].append((s, over))
                n_inst += 1
                if not over:
                    default = where
                mine.append(where)
            which.append(mine)
        paths = [self._shortest_paths(r) for r in rounds]
        out = []
        for s, mine in enumerate(which):
            seqs = []
            for r, t in mine:
                seqs.append([self._edit(s, e) for e in paths[r][t] if self.e_kind[e] != _NOOP])
            out.append(seqs)
        return out


class _Unsupported(Exception):
    """An input outside what the vectorised path reproduces exactly; the caller falls back."""


class _TooBig(Exception):
    """The batch's lattice has more transitive arcs than `ARC_BUDGET`; the caller splits it."""
