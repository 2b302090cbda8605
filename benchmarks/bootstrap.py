"""Seconds for `wa-hub report A B --compare` on the whole benchmark (the study's ten sets, full size).

    python benchmarks/bootstrap.py [--data ../shared/data] [--resamples 1000]

The sets are benchmarks/metrics.py's workloads (real test sets where they can be shipped, stand-ins of
the right size elsewhere: 8,566 sentences in all). Run A is that script's system (a perturbation every
third sentence), run B perturbs A's outputs again on other sentences (a worse system). Prints the time to
turn both runs' outputs into per-sentence statistics (what re-scoring costs; ERRANT's parsing dominates)
and the time of the paired bootstrap itself (`wa_hub.compare.compare`: 1,000 resamples of every set and
the average), wall and CPU, with the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from metrics import perturb, workloads  # noqa: E402
from wa_hub import compare, metrics  # noqa: E402
from wa_hub import m2 as codec  # noqa: E402


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("WA_HUB_TEST_DATA", "../shared/data"))
    )
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    sets = workloads(args.data)
    runs: dict[str, dict[str, compare.ScoredSet]] = {"A": {}, "B": {}}
    seconds: dict[str, float] = {}
    t, c = clocks()
    for config, s in sets.items():
        inputs = {k: s[k] for k in ("sources", "references", "gold_m2") if k in s}
        sources = [codec.parse_block(b).source for b in s["gold_m2"]] if "gold_m2" in s else s["sources"]
        a = s["hypotheses"]
        for run, hyps in (("A", a), ("B", [perturb(x, i + 1) for i, x in enumerate(a)])):
            started = time.perf_counter()
            stats = metrics.sentence_stats(s["metric"], hypotheses=hyps, **inputs)
            seconds[config] = seconds.get(config, 0.0) + time.perf_counter() - started
            score = metrics.get_metric(s["metric"]).aggregate(stats).score
            ids = tuple(map(str, range(len(hyps))))
            runs[run][config] = compare.ScoredSet(
                config, ids, tuple(sources), tuple(hyps), stats, score, score, len(hyps)
            )
    stats_wall, stats_cpu = (x - y for x, y in zip(clocks(), (t, c), strict=True))

    t, c = clocks()
    result = compare.compare(runs["A"], runs["B"], ("A", "B"), resamples=args.resamples)
    boot_wall, boot_cpu = (x - y for x, y in zip(clocks(), (t, c), strict=True))

    print(compare.render_comparison(result))
    n = sum(s.n for s in runs["A"].values())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{n} sentences in {len(sets)} sets, two runs, {args.resamples} resamples (cores: {os.cpu_count()})"
    )
    print(f"per-sentence statistics of both runs: {stats_wall:6.1f} s wall, {stats_cpu:6.1f} s CPU")
    print("  of which " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    print(f"paired bootstrap (all sets + average): {boot_wall:6.1f} s wall, {boot_cpu:6.1f} s CPU")
    print(f"load average (1, 5, 15 min) at the end: {load} (a shared machine)")


if __name__ == "__main__":
    main()
