"""Is run B really better than run A, and where? Paired bootstrap comparisons and confidence intervals,
straight from results.json files and their predictions (nothing is generated again).

Each set is re-scored exactly as `evaluate` scored it: the benchmark rows the run names (`Results.bench`),
its predictions (`Results.predictions`, else `predictions/` beside the results file), tokenized as the set
was (`SetResult.tokenize`), into the metric's per-sentence statistics (`wa_hub.metrics.sentence_stats`).
The re-scored corpus score is checked against `SetResult.score` (`ScoredSet.mismatch`). Resampling is
`wa_hub.significance`'s: per set, B resamples of its sentences, the same ones for every run; the average
over the ten sets resamples each set independently, as the sets are independent samples.

Two runs are compared on the rows both scored (a run made with `--limit` scored the first rows of each set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wa_hub import metrics, significance
from wa_hub.errors import UsageError
from wa_hub.evaluate import bench as bench_mod
from wa_hub.evaluate.predictions import read_done
from wa_hub.evaluate.scoring import scored_hypotheses, set_stats
from wa_hub.metrics.stats import SentenceStats
from wa_hub.schema import BenchRow, Results
from wa_hub.significance import Interval
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS

AVERAGE = "average"


@dataclass(frozen=True)
class ScoredSet:
    """One set of one run, re-scored: its rows' ids and the metric's per-sentence statistics."""

    config: str
    ids: tuple[str, ...]
    sources: tuple[str, ...]
    hypotheses: tuple[str, ...]  # what the metric scored (tokenized as the set was)
    stats: SentenceStats
    score: float  # the re-scored corpus score
    recorded: float  # SetResult.score
    rows: int | None  # the set's size (None: not recorded)

    @property
    def n(self) -> int:
        return self.stats.n

    @property
    def mismatch(self) -> bool:
        return not math.isclose(self.score, self.recorded, abs_tol=1e-6)


def predictions_dir(results: Results, path: Path | None) -> Path:
    """The run's predictions folder: the one results.json names, else `predictions/` beside it."""
    candidates = [Path(results.predictions)] if results.predictions else []
    if path is not None:
        candidates.append(path.parent / "predictions")
    for c in candidates:
        if c.is_dir():
            return c
    where = path or "results"
    raise UsageError(
        f"{where}: cannot re-score it, its predictions folder is not there "
        f"(looked in {', '.join(map(str, candidates)) or 'nothing: it names none'})"
    )


class Rescorer:
    """Re-scores runs' sets, loading each benchmark set once."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str | None, str], list[BenchRow]] = {}
        self._scored: dict[tuple[int, str], tuple[Results, ScoredSet]] = {}

    def rows(self, results: Results, config: str, path: Path | None) -> list[BenchRow]:
        key = (results.bench.path_or_id, results.bench.revision, config)
        if key not in self._rows:
            bench = results.bench.path_or_id
            if not bench_mod.is_local(bench) and bench.startswith("/"):
                raise UsageError(
                    f"{path or 'results'}: cannot re-score it, its benchmark folder {bench} is not there"
                )
            self._rows[key] = bench_mod.load_set(bench, config, results.bench.revision)
        return self._rows[key]

    def scored_set(self, results: Results, config: str, path: Path | None = None) -> ScoredSet:
        """One set of `results` re-scored (once per Rescorer)."""
        key = (id(results), config)
        if key not in self._scored:
            self._scored[key] = (results, self._rescore(results, config, path))
        return self._scored[key][1]

    def _rescore(self, results: Results, config: str, path: Path | None) -> ScoredSet:
        entry = results.sets[config]
        rows = self.rows(results, config, path)[: entry.n]
        done = read_done(predictions_dir(results, path), config)
        missing = [r.id for r in rows if r.id not in done]
        if missing or len(rows) < entry.n:
            raise UsageError(
                f"{path or 'results'}: set {config} scored {entry.n} rows but its predictions or benchmark "
                f"lack {len(missing) or entry.n - len(rows)} of them (e.g. {(missing or ['?'])[0]})"
            )
        sources = [r.input for r in rows]
        dumped = [r.model_dump() for r in rows]
        hypotheses = scored_hypotheses(
            entry.metric, dumped, [done[r.id].prediction for r in rows], entry.tokenize
        )
        options = {"beta": entry.beta} if entry.beta is not None else {}
        stats = set_stats(entry.metric, dumped, hypotheses, "none", **options)  # already tokenized
        score = metrics.get_metric(entry.metric).aggregate(stats).score
        return ScoredSet(
            config,
            tuple(r.id for r in rows),
            tuple(sources),
            tuple(hypotheses),
            stats,
            score,
            entry.score,
            entry.rows,
        )

    def scored_sets(self, results: Results, path: Path | None = None) -> dict[str, ScoredSet]:
        """Every set the run scored, in the study's order."""
        return {
            s.config: self.scored_set(results, s.config, path) for s in BENCH_SETS if s.config in results.sets
        }


def mismatches(name: str, sets: dict[str, ScoredSet]) -> list[str]:
    """One line per set whose re-scored score is not the one in results.json."""
    return [
        f"{name}: {s.config} re-scores to {s.score:.4f}, results.json says {s.recorded:.4f} "
        "(the benchmark or predictions changed since it was written?)"
        for s in sets.values()
        if s.mismatch
    ]


# --- one run: confidence intervals ---------------------------------------------------------------------


def intervals(
    sets: dict[str, ScoredSet], resamples: int = significance.RESAMPLES, seed: int = 0
) -> dict[str, Interval]:
    """The 95% bootstrap interval of each set's score, and of the ten sets' average when all ten are there."""
    out: dict[str, Interval] = {}
    draws: list[np.ndarray] = []
    for config, s in sets.items():
        w = significance.resample_weights(s.n, resamples, significance.set_rng(seed, config))
        samples = significance.scores(s.stats, w)
        out[config] = significance.interval(s.score, samples)
        draws.append(samples)
    if all(b.config in sets for b in BENCH_SETS):
        value = float(np.mean([s.score for s in sets.values()]))
        out[AVERAGE] = significance.interval(value, np.mean(draws, axis=0))
    return out


# --- two runs: paired differences ----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """`other` minus `base` on one set (or the average): the difference's interval, p-value and the minimum
    detectable difference of a set this size at 80% power."""

    name: str  # a config, or "average"
    n: int  # rows compared
    rows: int | None  # the set's size
    base: float
    other: float
    diff: Interval
    p: float
    mdd: float

    @property
    def significant(self) -> bool:
        return self.p < significance.ALPHA


@dataclass(frozen=True)
class Comparison:
    base: str
    other: str
    differences: list[Difference]
    resamples: int
    seed: int

    def better(self) -> list[str]:
        """The sets (and the average) on which `other` is significantly better than `base`."""
        return [d.name for d in self.differences if d.significant and d.diff.value > 0]

    def worse(self) -> list[str]:
        return [d.name for d in self.differences if d.significant and d.diff.value < 0]


def _common(config: str, a: ScoredSet, b: ScoredSet, names: tuple[str, str]) -> int:
    """How many leading rows both runs scored; the rows must be the same ones."""
    k = min(a.n, b.n)
    if a.ids[:k] != b.ids[:k] or a.sources[:k] != b.sources[:k]:
        raise UsageError(
            f"{names[0]} and {names[1]} scored different rows of {config} (not the same benchmark?); "
            "a paired comparison needs the same sentences"
        )
    return k


def _point(s: ScoredSet, k: int) -> float:
    if k == s.n:
        return s.score
    return float(significance.scores(s.stats, significance.padded(np.ones((1, k)), s.n))[0])


def compare(
    base: dict[str, ScoredSet],
    other: dict[str, ScoredSet],
    names: tuple[str, str] = ("A", "B"),
    resamples: int = significance.RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Paired bootstrap of `other` against `base` on every set both scored, and on their average."""
    differences: list[Difference] = []
    draws: list[np.ndarray] = []
    for s in BENCH_SETS:
        if s.config not in base or s.config not in other:
            continue
        a, b = base[s.config], other[s.config]
        k = _common(s.config, a, b, names)
        w = significance.resample_weights(k, resamples, significance.set_rng(seed, s.config))
        sa = significance.scores(a.stats, significance.padded(w, a.n))
        sb = significance.scores(b.stats, significance.padded(w, b.n))
        pa, pb = _point(a, k), _point(b, k)
        differences.append(_difference(s.config, k, a.rows, pa, pb, sb - sa))
        draws.append(sb - sa)
    if len(differences) == len(BENCH_SETS):
        pa = float(np.mean([d.base for d in differences]))
        pb = float(np.mean([d.other for d in differences]))
        n = sum(d.n for d in differences)
        differences.append(_difference(AVERAGE, n, None, pa, pb, np.mean(draws, axis=0)))
    return Comparison(names[0], names[1], differences, resamples, seed)


def _difference(name: str, n: int, rows: int | None, a: float, b: float, samples: np.ndarray) -> Difference:
    diff = significance.interval(b - a, samples)
    return Difference(
        name, n, rows, a, b, diff, significance.p_value(b - a, samples), significance.min_detectable(diff.se)
    )


# --- rendering -------------------------------------------------------------------------------------------


def label(name: str) -> str:
    """A set's column name (CoNLL, ...) or Avg."""
    return BENCH_BY_CONFIG[name].abbrev if name in BENCH_BY_CONFIG else "Avg"


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def comparison_rows(c: Comparison) -> list[list[str]]:
    """[set, n, base, other, diff, 95% CI, p, verdict] per set: the verdict names the better run when the
    difference is significant, else the minimum detectable difference (80% power)."""
    out = []
    for d in c.differences:
        size = f"{d.n}" if d.rows in (None, d.n) else f"{d.n} of {d.rows}"
        if d.significant:
            verdict = f"{c.other if d.diff.value > 0 else c.base} better"
        elif d.diff.se == 0:
            verdict = "identical"
        else:
            verdict = f"n.s.; detectable: {d.mdd:.2f}"
        out.append(
            [
                label(d.name),
                size,
                f"{d.base:.2f}",
                f"{d.other:.2f}",
                f"{d.diff.value:+.2f}",
                f"[{d.diff.low:+.2f}, {d.diff.high:+.2f}]",
                _p(d.p),
                verdict,
            ]
        )
    return out


HEADER = ["Set", "n", "A", "B", "B-A", "95% CI", "p", "verdict"]


def render_comparison(c: Comparison, fmt: str = "table") -> str:
    """One comparison as a text table, Markdown or CSV (A is the base run, B the other)."""
    from wa_hub.report import render_grid

    title = (
        f"B = {c.other} vs A = {c.base}: paired bootstrap over sentences, {c.resamples} resamples, "
        f"seed {c.seed}; 'detectable' is the minimum detectable difference at 80% power"
    )
    grid = render_grid(HEADER, comparison_rows(c), fmt, left=(0, 7))
    return grid if fmt == "csv" else f"{title}\n\n{grid}"
