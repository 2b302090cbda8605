"""ERRANT's scores per error type for the GEC sets: which kinds of edits a model gets right.

As `errant_compare -hyp HYP.m2 -ref GOLD.m2 -cat 1|2|3` gives them (span-based correction): per operation
(M missing, R replacement, U unnecessary), per main type (DET, VERB:SVA, ...) and per full type
(R:VERB:SVA, ...), each with TP/FP/FN and P/R/F0.5. The per-sentence counts come from
`wa_hub.metrics.errant` (the annotator errant_compare chooses for each sentence), the grouping is
errant_compare's own `processCategories`.

- BEA-2019 is scored by ERRANT against a gold typed by ERRANT: its statistics give the types directly.
- CoNLL-2014's gold carries NUCLE's 28 types (ArtOrDet, Vt, ...), not ERRANT's. As the field does (Bryant et
  al. 2017; the BEA-2019 shared task re-released the CoNLL-2014 gold this way), its edits are re-typed by
  ERRANT, `errant_m2 -gold` (edit spans kept and minimised, types from ERRANT's classifier), and the
  hypotheses are compared with that gold. The set's headline stays the official M2 score; these per-type
  figures (and their `overall`) are ERRANT's on the re-typed gold, so they differ a little from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from wa_hub.metrics.errant import _fscore, load_annotator, sentence_stats
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import ErrorTypes, Results, TypeScore

LEVELS = {"operation": 1, "main": 2, "full": 3}  # errant_compare -cat N


def reclassify_gold(blocks: Sequence[str]) -> list[str]:
    """`errant_m2 -gold` on M2 blocks (one per sentence): every annotator's edits typed by ERRANT.

    errant's own functions (`m2_to_m2.simplify_edits`, `get_cor_and_edits`, `noop_edit`,
    `Annotator.import_edit`) on batched parses; detection edits (Um, UNK) are kept unminimised with their
    pseudo-correction, as the command keeps them.
    """
    from errant.commands import m2_to_m2 as cmd
    from spacy.tokens import Doc

    ann = load_annotator()
    nlp = ann.nlp
    parsed = []
    for block in blocks:
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        source = lines[0][2:]
        coders: list[tuple[str, str | None, list[Any]]] = []
        for coder, raw in sorted(cmd.simplify_edits(lines[1:]).items()):
            if raw[0][2] == "noop":
                coders.append((coder, None, []))
            else:
                cor, edits = cmd.get_cor_and_edits(source, raw)
                coders.append((coder, cor, edits))
        parsed.append((source, coders))
    texts = [source for source, _ in parsed]
    texts += [cor for _, coders in parsed for _, cor, _ in coders if cor is not None]
    docs = iter(nlp.pipe(Doc(nlp.vocab, t.split()) for t in texts))
    origs = [next(docs) for _ in parsed]
    out = []
    for orig, (source, coders) in zip(origs, parsed, strict=True):
        lines = ["S " + source]
        for coder, cor_text, edits in coders:
            if cor_text is None:
                lines.append(cmd.noop_edit(coder))
                continue
            cor = next(docs)
            for gold in edits:
                detection = gold[-2] in {"Um", "UNK"}
                edit = ann.import_edit(orig, cor, gold[:-1], min=not detection)
                if detection:
                    edit.c_toks = nlp(Doc(nlp.vocab, gold[-1].split()))
                lines.append(edit.to_m2(coder))
        out.append("\n".join(lines))
    return out


def _score(counts: Sequence[int], beta: float) -> TypeScore:
    tp, fp, fn = (int(x) for x in counts)
    p, r, f = _fscore(tp, fp, fn, beta)
    return TypeScore(tp=tp, fp=fp, fn=fn, precision=100 * p, recall=100 * r, f_beta=100 * f)


def from_stats(stats: SentenceStats, gold: str) -> ErrorTypes:
    """The per-type scores of ERRANT statistics (`wa_hub.metrics.errant.sentence_stats`)."""
    from errant.commands.compare_m2 import processCategories

    stats.check("errant")
    assert stats.beta is not None
    beta = stats.beta
    totals = stats.arrays["categories"].sum(axis=0).tolist() if stats.n else []
    full = {c: list(v) for c, v in zip(stats.labels, totals, strict=True)}
    levels = {
        name: {c: _score(v, beta) for c, v in sorted(processCategories(dict(full), level).items())}
        for name, level in LEVELS.items()
    }
    overall = [int(np.sum(stats.arrays[k])) for k in ("tp", "fp", "fn")]
    return ErrorTypes(
        beta=beta,
        gold=gold,  # type: ignore[arg-type]
        overall=_score(overall, beta),
        operation=levels["operation"],
        main=levels["main"],
        full=levels["full"],
    )


def error_types(
    metric: str, hypotheses: Sequence[str], gold_m2: Sequence[str], stats: SentenceStats | None = None
) -> ErrorTypes | None:
    """ERRANT's per-type scores of a GEC set's scored hypotheses (None for the other sets).

    `stats`: the set's own statistics; ERRANT's are reused, not recomputed.
    """
    if stats is not None and stats.metric != "errant":
        stats = None
    if metric == "errant":
        if stats is None:
            stats = sentence_stats(hypotheses, gold_m2)
        return from_stats(stats, "errant")
    if metric == "m2":
        return from_stats(sentence_stats(hypotheses, reclassify_gold(gold_m2)), "reclassified")
    return None


def largest(types: ErrorTypes, k: int = 5, level: str = "main") -> list[tuple[str, TypeScore]]:
    """The `k` types with the most gold edits (TP + FN) at `level`, largest first (ties: by name)."""
    table: dict[str, TypeScore] = getattr(types, level)
    return sorted(table.items(), key=lambda kv: (-(kv[1].tp + kv[1].fn), kv[0]))[:k]


def render_error_types(
    names: Sequence[str], types: Sequence[dict[str, ErrorTypes]], fmt: str = "table"
) -> str:
    """`report --errors`: per GEC set, one row per operation, main type and full type, each run's P/R/F."""
    from wa_hub.report import render_grid
    from wa_hub.study import BENCH_SETS

    parts = []
    for s in BENCH_SETS:
        per_run = [t.get(s.config) for t in types]
        first = next((t for t in per_run if t is not None), None)
        if first is None:
            continue
        f = f"F{first.beta:g}"
        header = ["Level", "Type", "Gold"] + [f"{n} {x}" for n in names for x in ("P", "R", f)]
        rows = []
        for level in LEVELS:
            table: dict[str, TypeScore] = getattr(first, level)
            for cat, score in sorted(table.items(), key=lambda kv: (-(kv[1].tp + kv[1].fn), kv[0])):
                cells = [level, cat, str(score.tp + score.fn)]
                for t in per_run:
                    got = getattr(t, level).get(cat) if t is not None else None
                    cells += (
                        [f"{x:.2f}" for x in (got.precision, got.recall, got.f_beta)] if got else ["-"] * 3
                    )
                rows.append(cells)
        gold = "gold re-typed by ERRANT (errant_m2 -gold)" if first.gold == "reclassified" else "ERRANT gold"
        title = f"{s.name}: ERRANT span-based correction by error type ({gold}); Gold = TP + FN"
        grid = render_grid(header, rows, fmt, left=(0, 1))
        parts.append(grid if fmt == "csv" else f"{title}\n\n{grid}")
    return "\n".join(parts) if parts else "no GEC set (CoNLL-2014, BEA-2019) was scored\n"


def card_summary(names: Sequence[str], results: Sequence[Results], k: int = 5) -> str | None:
    """Markdown for a model card: each GEC set's `k` largest main error types (by gold edits), P/R/F."""
    from wa_hub.study import BENCH_SETS

    lines = []
    for name, result in zip(names, results, strict=True):
        for s in BENCH_SETS:
            entry = result.sets.get(s.config)
            if entry is None or entry.error_types is None:
                continue
            t = entry.error_types
            f = f"F{t.beta:g}"
            retyped = " (gold re-typed by ERRANT)" if t.gold == "reclassified" else ""
            lines += [f"**{s.name}**{retyped}, {name}:", "", f"| Type | Gold edits | P | R | {f} |"]
            lines.append("|---|---:|---:|---:|---:|")
            for cat, score in largest(t, k):
                gold = score.tp + score.fn
                lines.append(
                    f"| {cat} | {gold} | {score.precision:.2f} | {score.recall:.2f} | {score.f_beta:.2f} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n" if lines else None
