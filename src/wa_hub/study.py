"""Facts of the study shared by the benchmark, evaluation, reports and cards: the ten test sets.

Order is the study's Table 3 column order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchSet:
    config: str  # config name in the benchmark dataset
    abbrev: str  # column name in the study's tables
    task: str  # key of wa_hub.prompts.TASK_PROMPTS
    metric: str  # "m2" | "errant" | "gleu" | "sari"
    size: int  # rows in the study's Table 2
    name: str  # human name


BENCH_SETS: tuple[BenchSet, ...] = (
    BenchSet("conll14", "CoNLL", "grammaticality", "m2", 1312, "CoNLL-2014 test"),
    BenchSet("bea19", "BEA", "grammaticality", "errant", 4384, "BEA-2019 dev"),
    BenchSet("jfleg", "JFL", "fluency", "gleu", 747, "JFLEG test"),
    BenchSet("itr-f", "ITR-F", "fluency", "sari", 88, "IteraTeR fluency test"),
    BenchSet("itr-l", "ITR-L", "clarity", "sari", 185, "IteraTeR clarity test"),
    BenchSet("itr-o", "ITR-O", "coherence", "sari", 35, "IteraTeR coherence test"),
    BenchSet("turk", "TRK", "simplification", "sari", 359, "TurkCorpus test"),
    BenchSet("asset", "AST", "simplification", "sari", 359, "ASSET test"),
    BenchSet("wnc", "WNC", "neutralization", "sari", 1000, "WNC test"),
    BenchSet("sts", "STS", "paraphrasing", "sari", 97, "STS-B test (score 5.0 pairs)"),
)

BENCH_BY_CONFIG: dict[str, BenchSet] = {s.config: s for s in BENCH_SETS}
