"""Train/test overlap: inputs of the instruction data that also occur in the benchmark, found at build time.

The study trains on W&I+LOCNESS, IteraTeR, TurkCorpus, WNC and Alpaca and tests on sets drawn from some of
the same corpora, so a sentence can be in both. `build-data` compares every instruction row's `input` with
every benchmark set's inputs, exactly and after `normalize` (lower-cased, punctuation and spaces removed:
the same sentence tokenized or cased differently), and records the counts per task and set in the manifest
(`schema.TrainTestOverlap`); the card reports them and the build warns when they are not zero. Hand-written:
a set lookup, no library needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from wa_hub import schema

_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Lower-cased, without punctuation or whitespace: `She goes , home .` and `she goes, home.` agree."""
    return _NOT_WORD.sub("", text.casefold())


def find(
    rows: Iterable[schema.InstructionRow], bench: Mapping[str, list[schema.BenchRow]], compared_with: str
) -> schema.TrainTestOverlap:
    """How many instruction rows (by task) have an input that a benchmark set (by config) also has."""
    exact = {config: {r.input for r in set_rows} for config, set_rows in bench.items()}
    loose = {config: {normalize(r.input) for r in set_rows} - {""} for config, set_rows in bench.items()}
    unique = {r.id: r for r in rows if r.input.strip()}
    pairs: dict[tuple[str, str], list[int]] = {}
    hit_exact: set[str] = set()
    hit_loose: set[str] = set()
    for row in unique.values():
        key = normalize(row.input)
        for config in bench:
            is_exact, is_loose = row.input in exact[config], key in loose[config]
            if is_exact or is_loose:
                counts = pairs.setdefault((row.task, config), [0, 0])
                counts[0] += is_exact
                counts[1] += is_loose
                hit_exact |= {row.id} if is_exact else set()
                hit_loose |= {row.id} if is_loose else set()
    return schema.TrainTestOverlap(
        compared_with=compared_with,
        rows=len(unique),
        exact=len(hit_exact),
        normalized=len(hit_loose),
        pairs=[
            schema.OverlapPair(task=task, set=config, exact=e, normalized=n)
            for (task, config), (e, n) in sorted(pairs.items())
        ],
    )


def warning(found: schema.TrainTestOverlap) -> str | None:
    """The build's warning when some training input is also a test input, else None."""
    if not found.normalized:
        return None
    sets = sorted({p.set for p in found.pairs})
    return (
        f"train/test overlap: {found.exact} training inputs occur in the benchmark as they are, "
        f"{found.normalized} after lower-casing and removing punctuation and spaces (sets: "
        f"{', '.join(sets)}; per task and set in the card); scores on those sets may be inflated"
    )
