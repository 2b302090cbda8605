"""From registry entries to Examples: the one place that knows which reader each source format uses.

Training sources give one `output` per row (M2: annotator 0's correction; TurkCorpus: one of the eight
references, picked with the seed); benchmark sets keep every reference (M2: one per annotator of the
file, with the gold block as `wa_hub.m2` writes it, which is the file's own text for a well-formed file).
"""

from __future__ import annotations

import random
from pathlib import Path

from wa_hub.errors import UsageError
from wa_hub.m2 import apply_edits, file_annotators, format_block, read_m2
from wa_hub.sources.alpaca import read_alpaca
from wa_hub.sources.example import Example
from wa_hub.sources.iterater import filter_intent, read_iterater
from wa_hub.sources.parallel import read_parallel
from wa_hub.sources.registry import Source
from wa_hub.sources.stsb import read_stsb
from wa_hub.sources.wnc import read_wnc


def train_examples(source: Source, raw_dir: str | Path, task: str, seed: int = 0) -> list[Example]:
    """Every usable training example of `source` for `task`, in file order, with stable ids."""
    paths = source.paths(raw_dir)
    sid = source.id
    if source.format == "m2":
        out: list[Example] = []
        for path in paths:
            for b in read_m2(path):
                out.append(Example(f"{sid}-{len(out)}", task, b.source, apply_edits(b, 0), sid))
        return out
    if source.format == "iterater-jsonl":
        revs = filter_intent(read_iterater(paths[0]), task)
        return [Example(f"{sid}-{r.index}", task, r.before, r.after, sid) for r in revs]
    if source.format == "parallel":
        pairs = read_parallel(paths[0], list(paths[1:]))
        rng = random.Random(f"{seed}:{sid}:reference")
        out = []
        for i, (src, refs) in enumerate(pairs):
            ref = refs[rng.randrange(len(refs))] if len(refs) > 1 else refs[0]
            out.append(Example(f"{sid}-{i}", task, src, ref, sid))
        return out
    if source.format == "wnc-tsv":
        return [Example(f"{sid}-{p.index}", task, p.biased, p.neutral, sid) for p in read_wnc(paths[0])]
    if source.format == "alpaca-json":
        return [
            Example(f"{sid}-{r.index}", task, r.input, r.output, sid, instruction=r.instruction)
            for r in read_alpaca(paths[0])
        ]
    raise UsageError(f"source {sid} has format {source.format!r}, which is not a training format")


def train_examples_by_task(
    source: Source, raw_dir: str | Path, tasks: list[str], seed: int = 0
) -> dict[str, list[Example]]:
    """`train_examples` for several tasks of one source, reading its files once (IteraTeR feeds three)."""
    if source.format == "iterater-jsonl" and len(tasks) > 1:
        revs = read_iterater(source.paths(raw_dir)[0])
        return {
            t: [
                Example(f"{source.id}-{r.index}", t, r.before, r.after, source.id)
                for r in filter_intent(revs, t)
            ]
            for t in tasks
        }
    return {t: train_examples(source, raw_dir, t, seed) for t in tasks}


def bench_examples(
    source: Source,
    raw_dir: str | Path,
    set_name: str,
    task: str,
    intent: str | None = None,
    min_score: float | None = None,
) -> list[Example]:
    """Every row of one benchmark set, text exactly as the source has it, all references kept."""
    paths = source.paths(raw_dir)
    if source.format == "m2":
        blocks = read_m2(paths[0])
        annotators = file_annotators(blocks)
        return [
            Example(
                f"{set_name}-{i}",
                task,
                b.source,
                "",
                source.id,
                references=tuple(apply_edits(b, a) for a in annotators),
                m2=format_block(b),
            )
            for i, b in enumerate(blocks)
        ]
    if source.format == "parallel":
        pairs = read_parallel(paths[0], list(paths[1:]))
        return [
            Example(f"{set_name}-{i}", task, src, "", source.id, references=tuple(refs))
            for i, (src, refs) in enumerate(pairs)
        ]
    if source.format == "iterater-jsonl":
        if intent is None:
            raise UsageError(f"benchmark set {set_name}: an IteraTeR set needs `intent`")
        revs = filter_intent(read_iterater(paths[0]), intent)
        return [
            Example(f"{set_name}-{r.index}", task, r.before, "", source.id, references=(r.after,))
            for r in revs
        ]
    if source.format == "wnc-tsv":
        return [
            Example(f"{set_name}-{p.index}", task, p.biased, "", source.id, references=(p.neutral,))
            for p in read_wnc(paths[0])
        ]
    if source.format == "stsb-csv":
        keep = 5.0 if min_score is None else min_score
        return [
            Example(f"{set_name}-{p.index}", task, p.sentence1, "", source.id, references=(p.sentence2,))
            for p in read_stsb(paths[0])
            if p.score >= keep
        ]
    raise UsageError(f"source {source.id} has format {source.format!r}, which no benchmark set reads")
