"""The M2 scorer's per-sentence step: which edits a hypothesis makes, and how many match an annotator.

This reimplements, in our own code, the algorithm of the official M2 scorer (nusnlp/m2scorer,
`scripts/levenshtein.py`, Python 2 only), reproducing its results exactly, quirks included:

1. Tokens are whitespace-split. Two Levenshtein matrices are filled (substitution cost 1 and 2; insertion
   and deletion cost 1), and every cell on some optimal alignment of either becomes a vertex of the edit
   lattice; each backpointer step is an edge (noop, substitution, deletion or insertion of one token).
   The official code concatenates the two edge lists, so an edge of both lattices is listed twice; that
   multiplicity changes its weight later (see 4) and we keep it.
2. Transitive arcs: for every vertex k in sorted order, every in-edge (i, k) and out-edge (k, j) in sorted
   order, the merged edit i -> j is added (or replaces a longer one) when its step count is smaller than
   the current one and it keeps at most `max_unchanged_words` unchanged tokens. The official code runs a
   triple loop over all vertices (O(V^3)); we visit only the existing in- and out-edges of k, in the same
   order, which gives the same arcs.
3. Merged noop arcs (longer than one step) are removed by a loop that deletes from the list it iterates
   over, so the element after each removed one is skipped and stays; we replay that exactly.
4. Weights: an edge matching a gold edit (same span, same original, correction among the alternatives)
   gets `-len(E)`; every other non-noop edge gets `+0.001` per listed copy, with the original's
   two-pointer walk over insertions at one position.
5. The best path is the official Bellman-Ford over the edge list in its order (strict `<`, so the first
   relaxation wins ties); we stop once a pass changes nothing, which cannot change the result.
6. Matching counts an edit once for every gold edit after the last match it equals (no `break`).

No pip-installable Python 3 port of the M2 scorer exists, so this one is ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Gold edit: (start, end, original tokens joined by " ", list of alternative corrections)
GoldEdit = tuple[int, int, str, list[str]]
# System edit: (start, end, original, correction)
Edit = tuple[int, int, str, str]

_NOOP, _SUB, _DEL, _INS = 0, 1, 2, 3
_EPSILON = 0.001
_INF = float("inf")


def _merge_kind(a: int, b: int) -> int:
    """The type of two adjacent edits merged into one (the official merge_edits, types only)."""
    if a == b and a != _SUB:
        return a  # noop+noop, del+del, ins+ins keep their type
    return _SUB


def _optimal_cells(src: Sequence[str], hyp: Sequence[str], sub_cost: int) -> dict[int, int]:
    """Cells on an optimal alignment -> bitmask of their optimal backpointers (1 diag, 2 del, 4 ins).

    Cells are numbered i * (len(hyp) + 1) + j, so numeric order is the official sorted vertex order.
    """
    n, m = len(src), len(hyp)
    w = m + 1
    prev = list(range(w))
    moves = [0] * ((n + 1) * w)
    for j in range(1, w):
        moves[j] = 4
    for i in range(1, n + 1):
        cur = [i] + [0] * m
        moves[i * w] = 2
        s = src[i - 1]
        base = i * w
        for j in range(1, w):
            sub = prev[j - 1] + (0 if s == hyp[j - 1] else sub_cost)
            dele = prev[j] + 1
            ins = cur[j - 1] + 1
            best = sub if sub < dele else dele
            if ins < best:
                best = ins
            cur[j] = best
            moves[base + j] = (
                (1 if sub == best else 0) | (2 if dele == best else 0) | (4 if ins == best else 0)
            )
        prev = cur
    # Walk back from the end over optimal backpointers.
    keep: dict[int, int] = {}
    stack = [n * w + m]
    while stack:
        v = stack.pop()
        if v in keep:
            continue
        mv = moves[v]
        keep[v] = mv
        if mv & 1:
            stack.append(v - w - 1)
        if mv & 2:
            stack.append(v - w)
        if mv & 4:
            stack.append(v - 1)
    return keep


@dataclass
class Lattice:
    """The merged edit lattice with transitive arcs, ready to be weighted for any annotator."""

    src: list[str]
    hyp: list[str]
    width: int  # len(hyp) + 1
    vertices: list[int]  # sorted
    edges: list[tuple[int, int]]  # the final edge list of the official code, duplicates included
    dist: dict[tuple[int, int], int]  # steps covered by the edge
    kind: dict[tuple[int, int], int]
    positions: dict[tuple[int, int], list[int]]  # where each edge is listed in `edges`
    by_span: dict[tuple[int, int], list[tuple[int, int]]]  # source span -> edges (one entry per copy)
    default_weights: list[float]  # per position: the weight when no gold edit matches
    heads: list[int]  # per position: vertex index of the edge's start
    tails: list[int]  # per position: vertex index of the edge's end

    def span(self, edge: tuple[int, int]) -> tuple[int, int]:
        return edge[0] // self.width, edge[1] // self.width

    def edit(self, edge: tuple[int, int]) -> Edit:
        u, v = edge
        w = self.width
        a, b, c, d = u // w, u % w, v // w, v % w
        return (a, c, " ".join(self.src[a:c]), " ".join(self.hyp[b:d]))


def build_lattice(src: list[str], hyp: list[str], max_unchanged_words: int) -> Lattice:
    """Steps 1-3 above: the annotator-independent part of the official algorithm."""
    w = len(hyp) + 1
    cells1 = _optimal_cells(src, hyp, 1)
    cells2 = _optimal_cells(src, hyp, 2)
    dist: dict[tuple[int, int], int] = {}
    kind: dict[tuple[int, int], int] = {}
    unchanged: dict[tuple[int, int], int] = {}
    base: list[tuple[int, int]] = []
    for cells in (cells1, cells2):
        for v, mv in cells.items():
            if mv & 1:
                u = v - w - 1
                e = (u, v)
                base.append(e)
                if e not in kind:
                    same = src[u // w] == hyp[u % w]
                    kind[e] = _NOOP if same else _SUB
                    unchanged[e] = 1 if same else 0
            if mv & 2:
                e = (v - w, v)
                base.append(e)
                kind[e] = _DEL
                unchanged[e] = 0
            if mv & 4:
                e = (v - 1, v)
                base.append(e)
                kind[e] = _INS
                unchanged[e] = 0
    base.sort()
    for e in kind:
        dist[e] = 1
    vertices = sorted(set(cells1) | set(cells2))

    # Step 2: transitive arcs, visiting only existing in-/out-edges of each intermediate vertex.
    ins_of: dict[int, list[int]] = {v: [] for v in vertices}
    outs_of: dict[int, list[int]] = {v: [] for v in vertices}
    for u, v in kind:
        outs_of[u].append(v)
        ins_of[v].append(u)
    appended: list[tuple[int, int]] = []
    for k in vertices:
        ins = sorted(ins_of[k])
        outs = sorted(outs_of[k])
        if not ins or not outs:
            continue
        for i in ins:
            e_ik = (i, k)
            d_ik = dist[e_ik]
            u_ik = unchanged[e_ik]
            t_ik = kind[e_ik]
            for j in outs:
                e_kj = (k, j)
                d = d_ik + dist[e_kj]
                e_ij = (i, j)
                old = dist.get(e_ij)
                if old is not None and d >= old:
                    continue
                un = u_ik + unchanged[e_kj]
                if un > max_unchanged_words:
                    continue
                appended.append(e_ij)
                if old is None:
                    outs_of[i].append(j)
                    ins_of[j].append(i)
                dist[e_ij] = d
                unchanged[e_ij] = un
                kind[e_ij] = _merge_kind(t_ik, kind[e_kj])

    # Step 3: the official removal of merged noop arcs skips the element after each removal.
    listed = base + appended
    edges: list[tuple[int, int]] = []
    removed: set[tuple[int, int]] = set()
    skip = False
    for e in listed:
        if skip:
            skip = False
            edges.append(e)
            continue
        if e in removed:
            # The official code would fail here (KeyError); drop the stale copy.
            continue
        if kind[e] == _NOOP and dist[e] > 1:
            removed.add(e)
            skip = True
            continue
        edges.append(e)
    if removed:
        edges = [e for e in edges if e not in removed]
    positions: dict[tuple[int, int], list[int]] = {}
    by_span: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for pos, e in enumerate(edges):
        if e in positions:
            positions[e].append(pos)
        else:
            positions[e] = [pos]
        sp = (e[0] // w, e[1] // w)
        if sp in by_span:
            by_span[sp].append(e)
        else:
            by_span[sp] = [e]
    # Without a matching gold edit, a non-noop edge gains EPSILON once per listed copy.
    unmatched: dict[tuple[int, int], float] = {}
    for e, where in positions.items():
        weight: float = dist[e]
        if kind[e] != _NOOP:
            for _ in where:
                weight += _EPSILON
        unmatched[e] = weight
    index = {v: i for i, v in enumerate(vertices)}
    return Lattice(
        src,
        hyp,
        w,
        vertices,
        edges,
        dist,
        kind,
        positions,
        by_span,
        [unmatched[e] for e in edges],
        [index[e[0]] for e in edges],
        [index[e[1]] for e in edges],
    )


def _matches(edit: Edit, gold: GoldEdit) -> bool:
    return edit[0] == gold[0] and edit[1] == gold[1] and edit[2] == gold[2] and edit[3] in gold[3]


def edge_weights(lat: Lattice, gold: Sequence[GoldEdit]) -> list[float]:
    """Step 4: the official set_weights for one annotator's gold edits, one weight per listed edge."""
    gold_by_span: dict[tuple[int, int], list[GoldEdit]] = {}
    for g in gold:
        if (g[0], g[1]) in lat.by_span:
            gold_by_span.setdefault((g[0], g[1]), []).append(g)
    if not gold_by_span:
        return lat.default_weights
    n_edges = len(lat.edges)
    weights: dict[tuple[int, int], float] = {}
    for sp, golds in gold_by_span.items():
        group = lat.by_span[sp]
        if sp[0] != sp[1]:
            for e in set(group):
                if any(_matches(lat.edit(e), g) for g in golds):
                    weights[e] = -n_edges
            continue
        # Insertions at one source position: the official two-pointer walk, duplicates included.
        group = sorted(group)
        local: dict[tuple[int, int], float] = {e: lat.dist[e] for e in group}
        lo, hi, cur = 0, len(group) - 1, 0
        g_lo, g_hi = 0, len(golds) - 1
        while lo <= hi:
            e = group[cur]
            edit = lat.edit(e)
            order = range(g_lo, g_hi + 1) if cur == lo else reversed(range(g_lo, g_hi + 1))
            hit = False
            for gi in order:
                if _matches(edit, golds[gi]):
                    hit = True
                    local[e] = -n_edges
                    if cur == lo:
                        g_lo = gi + 1
                    else:
                        g_hi = gi - 1
                    break
            if not hit:
                local[e] += _EPSILON  # insertions are never noops
                if cur == lo:
                    lo += 1
                    cur = hi
                else:
                    hi -= 1
                    cur = lo
            elif cur == lo:
                lo += 1
                while lo < len(group) and group[lo][0] != group[cur][1]:
                    local[group[lo]] += _EPSILON
                    lo += 1
                cur = lo
            else:
                hi -= 1
                while hi >= 0 and group[hi][1] != group[cur][0]:
                    local[group[hi]] += _EPSILON
                    hi -= 1
                cur = hi
        weights.update(local)
    out = list(lat.default_weights)
    for e, weight in weights.items():
        for pos in lat.positions[e]:
            out[pos] = weight
    return out


def best_edits(lat: Lattice, weights: list[float]) -> list[Edit]:
    """Step 5: the official Bellman-Ford path, returned end-to-start like the original."""
    n_v = len(lat.vertices)
    best: list[float] = [_INF] * n_v
    best[0] = 0  # vertex (0, 0)
    pred = [-1] * n_v
    triples = list(zip(lat.heads, lat.tails, weights, strict=True))
    for _ in range(n_v - 1):
        changed = False
        for u, v, wt in triples:
            d = best[u] + wt
            if d < best[v]:
                best[v] = d
                pred[v] = u
                changed = True
        if not changed:
            break
    seq: list[Edit] = []
    v = n_v - 1
    while pred[v] >= 0:
        u = pred[v]
        e = (lat.vertices[u], lat.vertices[v])
        if lat.kind[e] != _NOOP:
            seq.append(lat.edit(e))
        v = u
    return seq


def count_matches(seq: Sequence[Edit], gold: Sequence[GoldEdit]) -> int:
    """Step 6: the official matchSeq count (left to right, every later equal gold edit counts)."""
    n = 0
    last = 0
    for e in reversed(seq):
        start = last
        for i in range(start, len(gold)):
            if _matches(e, gold[i]):
                n += 1
                last = i + 1
    return n


def same_ignoring_whitespace_casing(a: str, b: str) -> bool:
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()
