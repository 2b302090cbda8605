"""Editing diagnostics of a set's outputs against their inputs: does the model copy, cut, or write an essay?

EASSE's quality estimation (`easse.quality_estimation.corpus_quality_estimation`, whose sentence features
are tseval's), with its defaults: both sides normalised with sacrebleu's 13a tokenizer, case kept, words
split on whitespace, each feature averaged over the sentences:

- `exact_copies`: share of outputs identical to their input;
- `compression_ratio`: characters of the output / characters of the input;
- `levenshtein_similarity`: character-level similarity (python-Levenshtein's `ratio`, rapidfuzz's Indel
  normalized similarity);
- `additions` / `deletions`: words added / deleted (multiset difference) over the longer side's word count.

Plus `word_edit_distance`, the mean word-level Levenshtein distance between input and output (rapidfuzz on
the token lists): how many words a model changes per sentence. EASSE is not on PyPI; these few lines follow
its definitions, with rapidfuzz for the edit distances. An empty pair counts as unchanged (EASSE divides by
zero there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Indel, Levenshtein

from wa_hub.metrics.sari import normalize
from wa_hub.schema import EditDiagnostics


def _pair(source: str, output: str) -> tuple[float, float, float, float, float, float]:
    src, out = normalize(source, lowercase=False), normalize(output, lowercase=False)
    src_words, out_words = src.split(), out.split()
    longer = max(len(src_words), len(out_words))
    added = sum((Counter(out_words) - Counter(src_words)).values())
    deleted = sum((Counter(src_words) - Counter(out_words)).values())
    return (
        float(src == out),
        len(out) / len(src) if src else 0.0,  # tseval's safe_division: 0 for an empty input
        Indel.normalized_similarity(src, out),
        added / longer if longer else 0.0,
        deleted / longer if longer else 0.0,
        float(Levenshtein.distance(src_words, out_words)),
    )


def edit_diagnostics(sources: Sequence[str], outputs: Sequence[str]) -> EditDiagnostics:
    """The set's diagnostics (means over its sentences) of `outputs` against `sources`."""
    if len(sources) != len(outputs):
        raise ValueError(f"{len(sources)} sources but {len(outputs)} outputs")
    rows = [_pair(s, o) for s, o in zip(sources, outputs, strict=True)]
    n = len(rows)
    means = [sum(col) / n if n else 0.0 for col in zip(*rows, strict=True)] if rows else [0.0] * 6
    return EditDiagnostics(
        n=n,
        exact_copies=means[0],
        compression_ratio=means[1],
        levenshtein_similarity=means[2],
        additions=means[3],
        deletions=means[4],
        word_edit_distance=means[5],
    )


HEADER = ["Set", "n", "copies %", "compression", "char sim.", "added %", "deleted %", "word edits"]


def render_diagnostics(names: Sequence[str], per_run: Sequence[dict[str, EditDiagnostics]], fmt: str) -> str:
    """`report --diagnostics`: one table per run, one row per set."""
    from wa_hub.report import render_grid
    from wa_hub.study import BENCH_BY_CONFIG

    parts = []
    for name, sets in zip(names, per_run, strict=True):
        rows = [
            [
                BENCH_BY_CONFIG[config].abbrev,
                str(d.n),
                f"{100 * d.exact_copies:.1f}",
                f"{d.compression_ratio:.2f}",
                f"{d.levenshtein_similarity:.2f}",
                f"{100 * d.additions:.1f}",
                f"{100 * d.deletions:.1f}",
                f"{d.word_edit_distance:.2f}",
            ]
            for config, d in sets.items()
        ]
        grid = render_grid(HEADER, rows, fmt)
        parts.append(
            grid if fmt == "csv" else f"{name}: editing diagnostics (EASSE quality estimation)\n\n{grid}"
        )
    return "\n".join(parts)
