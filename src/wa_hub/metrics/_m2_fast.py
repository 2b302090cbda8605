"""The M2 scorer's per-sentence steps for many sentences at once, vectorised with NumPy.

Same results as `_m2_edits` (which follows the official code step by step and stays as the reference and
the fallback), but the work is done on arrays over all sentences of a batch together, one anti-diagonal
("level": source position + hypothesis position) at a time. Every edge of the edit lattice, base edge or
transitive arc, goes from a lower level to a strictly higher one, which is what makes this possible:

- Transitive arcs. The official triple loop visits intermediate vertices k in sorted order; when k is
  visited its out-edges are still base edges (an arc out of k needs an intermediate after k), and its
  in-edges are final. So the in-edges of a vertex j are its base in-edges plus, for each base predecessor
  k of j in sorted order (diagonal, deletion, insertion), the in-edges (i, k) of k extended by (k, j),
  kept when shorter than what (i, j) had (strict `<`) and within `max_unchanged_words`. Each kept
  candidate is one more copy of (i, j) in the official edge list, listed at step k in (i, j) order. All
  vertices of a level depend only on the two levels below, so a level is one batch of array operations.
- Removal of merged noop arcs. A noop arc is the shortest path between its ends, so it is created once
  and never replaced; the official loop that removes them while iterating skips the element after each
  removal, so in a run of consecutive removable arcs every second one stays (checked, not assumed).
- Bellman-Ford. The official pass relaxes the sorted base edges, then the arcs in creation order. Both
  parts are in topological order (base edges sort by source; an arc into i is created at an intermediate
  before i, an arc out of i at one after i), so within one part every source vertex is final before its
  out-edges are relaxed, and a part is exactly a level-by-level sweep: a vertex takes the minimum of
  `best[source] + weight` over its in-edges of the part when it is below its current value, and its
  predecessor is the first edge in list order that gives that minimum (strict `<`, same float sums as
  the official code). Passes alternate the two sweeps until nothing changes, as Bellman-Ford would.

Gold-edit weights are set per sentence in Python (few edges match a gold span), as in `_m2_edits`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wa_hub.metrics._m2_edits import (
    Edit,
    GoldEdit,
    _matches,
    _optimal_cells,
    best_edits,
    build_lattice,
    edge_weights,
)

_NOOP, _SUB, _DEL, _INS = 0, 1, 2, 3
_EPSILON = 0.001
_MAX_CELLS = 1_500_000  # dense cells (sum of (n + 1) * (m + 1)) per batch: bounds memory and index sizes

Item = tuple[
    list[str], list[str], Sequence[Sequence[GoldEdit]]
]  # source, hypothesis, gold edits per annotator


def best_edit_seqs(items: Sequence[Item], max_unchanged_words: int) -> list[list[list[Edit]]]:
    """For every (source, hypothesis, annotators) item, the official best edit sequence per annotator.

    Each sequence is end-to-start, as the official `best_edit_seq_bf` returns it.
    """
    out: list[list[list[Edit]]] = []
    batch: list[Item] = []
    cells = 0
    for item in items:
        size = (len(item[0]) + 1) * (len(item[1]) + 1)
        if batch and cells + size > _MAX_CELLS:
            out.extend(_run(batch, max_unchanged_words))
            batch, cells = [], 0
        batch.append(item)
        cells += size
    if batch:
        out.extend(_run(batch, max_unchanged_words))
    return out


def _run(batch: Sequence[Item], max_unchanged_words: int) -> list[list[list[Edit]]]:
    try:
        return _Batch(batch, max_unchanged_words).run()
    except _Unsupported:
        return [reference_edit_seqs(item, max_unchanged_words) for item in batch]


def reference_edit_seqs(item: Item, max_unchanged_words: int) -> list[list[Edit]]:
    """The same result from `_m2_edits`, one sentence at a time (the reference implementation)."""
    src, hyp, golds = item
    lat = build_lattice(src, hyp, max_unchanged_words)
    return [best_edits(lat, edge_weights(lat, gold)) for gold in golds]


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
        for s, (src, hyp, _) in enumerate(items):
            src_ids.append([vocab.setdefault(t, len(vocab)) for t in src])
            hyp_ids.append([vocab.setdefault(t, len(vocab)) for t in hyp])
            for sub_cost in (1, 2):
                cells = _optimal_cells(src, hyp, sub_cost)
                heads.append(np.fromiter(cells.keys(), np.int64, len(cells)) + voff[s])
                moves.append(np.fromiter(cells.values(), np.int64, len(cells)))
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
        empty = np.zeros(0, dtype=np.int64)
        for lev in range(max_level + 1):
            lo, hi = bounds[lev], bounds[lev + 1]
            k_b, j_b, kind_b, r_b = bu[lo:hi], bv[lo:hi], bk[lo:hi], rank[lo:hi]
            un_b = (kind_b == _NOOP).astype(np.int64)
            cands = []
            for r, src_level in ((0, lev - 2), (1, lev - 1), (2, lev - 1)):
                if src_level not in levels:
                    continue
                sel = r_b == r
                if not sel.any():
                    continue
                k, j, kj, uj = k_b[sel], j_b[sel], kind_b[sel], un_b[sel]
                cnt = incnt[k]
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
                arc_parts.append((ckk[acc], ci[acc], cj[acc], cd[acc], ck[acc], 2 - cr[acc]))
                # the last accepted candidate of each (i, j) is the arc's final state
                later = np.zeros(n, dtype=bool)
                later[:-1] = same1[1:] & acc[1:]
                later[:-2] |= same2[2:] & acc[2:]
                fin = acc & ~later
                a_src, a_d, a_un, a_kind, a_tgt = ci[fin], cd[fin], cu[fin], ck[fin], cj[fin]
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
        if arc_parts:
            k, i, j, d, kind, jr = (np.concatenate([p[x] for p in arc_parts]) for x in range(6))
        else:
            k = i = j = d = kind = jr = empty
        order = np.argsort((k * nv + i) * 4 + jr, kind="stable")
        self.arc_u, self.arc_v, self.arc_d, self.arc_kind = i[order], j[order], d[order], kind[order]

    # --- step 3: the official edge list E ---

    def _edge_list(self) -> None:
        nb = len(self.base_u)
        u = np.concatenate([self.base_u, self.arc_u])
        v = np.concatenate([self.base_v, self.arc_v])
        d = np.concatenate([np.ones(nb, dtype=np.int64), self.arc_d])
        kind = np.concatenate([self.base_kind, self.arc_kind])
        part = np.concatenate([np.zeros(nb, dtype=np.int64), np.ones(len(self.arc_u), dtype=np.int64)])
        sent = self.vsent[u] if len(u) else np.zeros(0, dtype=np.int64)
        order = np.argsort(sent * 2 + part, kind="stable")
        u, v, d, kind, part, sent = (x[order] for x in (u, v, d, kind, part, sent))
        removable = (kind == _NOOP) & (d > 1)
        if removable.any():
            rk = u[removable] * self.nv + v[removable]
            if len(np.unique(rk)) != len(rk):
                raise _Unsupported("a merged noop arc listed twice")
            idx = np.arange(len(u))
            start = removable.copy()
            start[1:] &= ~removable[:-1]
            run_start = np.maximum.accumulate(np.where(start, idx, 0))
            keep = ~removable | ((idx - run_start) % 2 == 1)
            u, v, d, kind, part, sent = (x[keep] for x in (u, v, d, kind, part, sent))
        self.e_u, self.e_v, self.e_d, self.e_kind, self.e_part, self.e_sent = u, v, d, kind, part, sent
        self.n_edges = np.bincount(sent, minlength=len(self.items))
        self.e_start = np.cumsum(self.n_edges) - self.n_edges
        key = u * self.nv + v
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        copies = counts[inverse]
        weight = d.astype(np.float64)
        changed = kind != _NOOP
        for c in range(1, int(copies.max(initial=0)) + 1):
            sel = changed & (copies >= c)
            weight[sel] = weight[sel] + _EPSILON
        self.default_weight = weight
        self.e_key = key
        # edges by source span (sentence, source start, source end), for gold lookups
        rows = int(self.ns.max(initial=0)) + 2
        span = (sent * rows + self.vrow[u]) * rows + self.vrow[v]
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
            positions = np.sort(self.span_order[lo:hi])
            where: dict[int, list[int]] = {}
            for pos in positions.tolist():
                where.setdefault(int(self.e_key[pos]), []).append(pos)
            if a != c:
                for plist in where.values():
                    edit = self._edit(s, plist[0])
                    if any(_matches(edit, g) for g in golds):
                        for pos in plist:
                            out[pos] = -n_edges
                continue
            # Insertions at one source position: the official two-pointer walk, duplicates included.
            group = sorted((int(self.e_u[p]), int(self.e_v[p]), p) for p in positions.tolist())
            keys = [int(self.e_key[p]) for _, _, p in group]
            local: dict[int, float] = {k: int(self.e_d[where[k][0]]) for k in where}
            lo_, hi_, cur = 0, len(group) - 1, 0
            g_lo, g_hi = 0, len(golds) - 1
            while lo_ <= hi_:
                k = keys[cur]
                edit = self._edit(s, group[cur][2])
                order = range(g_lo, g_hi + 1) if cur == lo_ else reversed(range(g_lo, g_hi + 1))
                hit = False
                for gi in order:
                    if _matches(edit, golds[gi]):
                        hit = True
                        local[k] = -n_edges
                        if cur == lo_:
                            g_lo = gi + 1
                        else:
                            g_hi = gi - 1
                        break
                if not hit:
                    local[k] += _EPSILON
                    if cur == lo_:
                        lo_ += 1
                        cur = hi_
                    else:
                        hi_ -= 1
                        cur = lo_
                elif cur == lo_:
                    lo_ += 1
                    while lo_ < len(group) and group[lo_][0] != group[cur][1]:
                        local[keys[lo_]] += _EPSILON
                        lo_ += 1
                    cur = lo_
                else:
                    hi_ -= 1
                    while hi_ >= 0 and group[hi_][1] != group[cur][0]:
                        local[keys[hi_]] += _EPSILON
                        hi_ -= 1
                    cur = hi_
            for k, weight in local.items():
                for pos in where[k]:
                    if weight != self.default_weight[pos]:
                        out[pos] = weight
        return out

    # --- step 5: Bellman-Ford as alternating topological sweeps, all instances at once ---

    def _shortest_paths(self, instances: list[tuple[int, dict[int, float]]]) -> list[list[int]]:
        """For each (sentence, weight overrides): the edge positions on the official best path."""
        sizes = (self.ns + 1) * self.ws
        inst_sent = np.array([s for s, _ in instances], dtype=np.int64)
        n_edges = self.n_edges[inst_sent]
        seg, within = _segments(n_edges)
        pos = self.e_start[inst_sent][seg] + within  # edge position of each instance edge
        isizes = sizes[inst_sent]
        ivoff = np.cumsum(isizes) - isizes
        shift = (ivoff - self.voff[inst_sent])[seg]
        src = self.e_u[pos] + shift
        dst = self.e_v[pos] + shift
        weight = self.default_weight[pos]
        ebase = np.cumsum(n_edges) - n_edges
        for t, (s, over) in enumerate(instances):
            if over:
                idx = np.fromiter(over.keys(), np.int64, len(over)) - self.e_start[s] + ebase[t]
                weight[idx] = np.fromiter(over.values(), np.float64, len(over))
        level = self.vlevel[self.e_v[pos]]
        nvi = int(isizes.sum())
        best = np.full(nvi, np.inf)
        best[ivoff] = 0.0
        pred = np.full(nvi, -1, dtype=np.int64)
        sweeps = []
        for part in (0, 1):
            sel = np.flatnonzero(self.e_part[pos] == part)
            order = sel[np.argsort(level[sel] * nvi + dst[sel], kind="stable")]
            lv = level[order]
            bounds = np.searchsorted(lv, np.arange(int(lv.max(initial=0)) + 2))
            steps = []
            for lev in range(len(bounds) - 1):
                lo, hi = bounds[lev], bounds[lev + 1]
                if lo == hi:
                    continue
                eids = order[lo:hi]
                tg = dst[eids]
                starts = np.flatnonzero(np.r_[True, tg[1:] != tg[:-1]])
                steps.append((src[eids], weight[eids], eids, tg[starts], starts))
            sweeps.append(steps)
        changed = True
        while changed:
            changed = False
            for steps in sweeps:
                for e_src, e_w, eids, targets, starts in steps:
                    cand = best[e_src] + e_w
                    low = np.minimum.reduceat(cand, starts)
                    better = low < best[targets]
                    if not better.any():
                        continue
                    changed = True
                    lens = np.diff(np.r_[starts, len(cand)])
                    hits = np.flatnonzero(cand == np.repeat(low, lens))
                    firsts = hits[np.searchsorted(hits, starts)]
                    tb = targets[better]
                    best[tb] = low[better]
                    pred[tb] = eids[firsts[better]]
        paths = []
        for t, s in enumerate(inst_sent.tolist()):
            v = int(ivoff[t] + sizes[s] - 1)
            path = []
            while pred[v] >= 0:
                e = int(pred[v])
                path.append(int(pos[e]))
                v = int(src[e])
            paths.append(path)
        return paths

    def run(self) -> list[list[list[Edit]]]:
        self._base()
        self._arcs()
        self._edge_list()
        instances: list[tuple[int, dict[int, float]]] = []
        which: list[list[int]] = []
        for s, (_, _, golds) in enumerate(self.items):
            default = -1
            mine = []
            for gold in golds:
                over = self._overrides(s, gold)
                if over:
                    mine.append(len(instances))
                    instances.append((s, over))
                else:
                    if default < 0:
                        default = len(instances)
                        instances.append((s, {}))
                    mine.append(default)
            which.append(mine)
        paths = self._shortest_paths(instances)
        out = []
        for s, mine in enumerate(which):
            seqs = []
            for t in mine:
                seqs.append([self._edit(s, p) for p in paths[t] if self.e_kind[p] != _NOOP])
            out.append(seqs)
        return out


class _Unsupported(Exception):
    """An input outside what the vectorised path reproduces exactly; the caller falls back."""
