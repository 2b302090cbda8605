"""Seconds to score synthetic CoNLL-2014 system outputs with our M2 scorer (and the official one, if given),
and the worst single sentences: time and peak memory of each.

    python benchmarks/m2_speed.py [--gold GOLD.m2] [--outputs NAME ...] [--official DIR [--python2 CMD]]
    python benchmarks/m2_speed.py --worst

`--worst` scores, each in a fresh process (so its peak memory is its own), the sentences whose edit lattice
is the largest: CoNLL-2014's longest sentence (227 tokens) against an unrelated 150-word rewrite that
shares no token with it, a 200-token and a 512-token sentence rewritten word for word (every token
replaced), 512 tokens against 512 unrelated ones with a few shared function words, and a 10,000-token
hypothesis line (over the limit: one line of error). It prints CPU and wall seconds, the peak resident
memory, whether the sentence went to the bounded path (`settings.bounded`), and the counts. The target
(issue 13): every sentence up to 512 tokens in under 10 s and 1 GB.

The outputs are built from the gold file with fixed seeds: the source copied, annotator 0's corrections,
random token edits on top of some gold edits (5% and 20% of tokens), a paraphrase-like rewrite of every
sentence (a third of the words replaced, some dropped, added and swapped), and 40 random words appended to
every sentence. With `--official DIR` (the nusnlp/m2scorer `scripts` folder, or its parent) each output is
also scored by `m2scorer.py` under Python 2 in the same run; the script prints its seconds, our speed as a
ratio to it, and whether the printed P/R/F0.5 (4 decimals) are equal. Heavy outputs can take the official
scorer many minutes each. "ours s" is wall time, "cpu s" the CPU time of this process (less sensitive to
other jobs on a loaded machine). The target (issue 5) is under 5 s per output on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wa_hub.metrics.m2 import m2, parse_m2_block, read_m2_blocks


def default_gold() -> Path:
    data = os.environ.get("WA_HUB_TEST_DATA") or str(Path(__file__).resolve().parents[2] / "shared" / "data")
    return Path(data) / "conll14" / "official-2014.combined.m2"


def apply_edits(tokens: list[str], edits: list) -> list[str]:
    out: list[str] = []
    pos = 0
    for start, end, _orig, corrections in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            continue
        out += tokens[pos:start] + (corrections[0].split() if corrections else [])
        pos = end
    return out + tokens[pos:]


def outputs(blocks: list[str]) -> dict[str, Callable[[], list[str]]]:
    sents = [s for b in blocks for s in parse_m2_block(b)]
    vocab = sorted({t for s, _ in sents for t in s.split()})

    def perturbed(rate: float, seed: int) -> list[str]:
        rng = random.Random(seed)
        lines = []
        for source, golds in sents:
            edits = [e for e in golds[rng.choice(list(golds))] if rng.random() < 0.6]
            toks = apply_edits(source.split(), edits)
            for _ in range(sum(rng.random() < rate for _ in toks)):
                i = rng.randrange(len(toks) + 1)
                op = rng.random()
                if op < 0.3 and i < len(toks):
                    del toks[i]
                elif op < 0.6:
                    toks.insert(i, rng.choice(vocab))
                elif i < len(toks):
                    toks[i] = rng.choice(vocab)
            lines.append(" ".join(toks))
        return lines

    def paraphrased(seed: int) -> list[str]:
        rng = random.Random(seed)
        lines = []
        for source, _ in sents:
            out: list[str] = []
            for tok in source.split():
                r = rng.random()
                if r < 0.35:
                    out.append(rng.choice(vocab))
                elif r < 0.45:
                    continue
                elif r < 0.55:
                    out += [tok, rng.choice(vocab)]
                else:
                    out.append(tok)
            for _ in range(len(out) // 5):
                i = rng.randrange(len(out))
                j = min(len(out) - 1, i + rng.randrange(1, 4))
                out[i], out[j] = out[j], out[i]
            lines.append(" ".join(out))
        return lines

    def appended(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [s + " " + " ".join(rng.choice(vocab) for _ in range(40)) for s, _ in sents]

    return {
        "source": lambda: [s for s, _ in sents],
        "annotator0": lambda: [" ".join(apply_edits(s.split(), g.get(0, []))) for s, g in sents],
        "edits-5%": lambda: perturbed(0.05, 1),
        "edits-20%": lambda: perturbed(0.2, 2),
        "paraphrase": lambda: paraphrased(3),
        "append-40": lambda: appended(4),
    }


def run_official(script: Path, python2: list[str], hyp: Path, gold: Path) -> tuple[float, tuple[str, ...]]:
    start = time.perf_counter()
    cmd = [*python2, str(script), str(hyp), str(gold)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    figures = tuple(re.findall(r":\s*([0-9.]+)", proc.stdout))
    return seconds, figures


WORST = r"""
import random, resource, sys, time
from wa_hub.metrics.m2 import m2, read_m2_blocks, parse_m2_block
from wa_hub.errors import WaHubError

case, gold_path = sys.argv[1], sys.argv[2]
rng = random.Random(0)
words = [f"w{i}" for i in range(3000)]
if case == "conll227-unrelated150":
    block = max(read_m2_blocks(gold_path), key=lambda b: len(b.split("\n")[0].split()))
    hyp = " ".join(rng.choice(words) for _ in range(150))
else:
    n = {"rewrite-200": 200, "rewrite-512": 512, "unrelated-512": 512, "line-10k": 30}[case]
    src = [rng.choice(["the", "a", "of", ",", "."] + words[:200]) for _ in range(n)]
    edits = [f"A {i} {i + 1}|||R:OTHER|||{src[i]}s|||REQUIRED|||-NONE-|||0" for i in range(0, n, 9)]
    edits.append("A 5 6|||U:OTHER||||||REQUIRED|||-NONE-|||0")
    block = "S " + " ".join(src) + "\n" + "\n".join(edits)
    if case.startswith("rewrite"):
        hyp = " ".join(w + "x" for w in src)
    elif case == "unrelated-512":
        hyp = " ".join(rng.choice(["the", "a", "of", ",", "."] + words[1000:]) for _ in range(512))
    else:
        hyp = " ".join(rng.choice(words) for _ in range(10_000))
cpu, wall = time.process_time(), time.perf_counter()
try:
    r = m2([hyp], [block])
    what = f"bounded={r.settings.get('bounded', 0)} {r.counts}"
except WaHubError as e:
    what = f"error: {e}"
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{case:<22} {cpu:7.2f} {wall:7.2f} {peak:8.0f}  {what}")
"""
WORST_CASES = ("conll227-unrelated150", "rewrite-200", "rewrite-512", "unrelated-512", "line-10k")


def worst(gold: Path) -> None:
    print("each case in its own process (peak memory includes the interpreter and NumPy, about 45 MB)")
    print(f"{'case':<22} {'cpu s':>7} {'wall s':>7} {'peak MB':>8}  result")
    for case in WORST_CASES:
        subprocess.run([sys.executable, "-c", WORST, case, str(gold)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=default_gold())
    ap.add_argument("--outputs", nargs="*", help="which synthetic outputs (default: all)")
    ap.add_argument("--official", type=Path, help="folder with the official m2scorer.py (Python 2)")
    ap.add_argument("--python2", default="python2", help="Python 2 command (PYENV_VERSION=2.7.18 is set)")
    ap.add_argument("--worst", action="store_true", help="time and peak memory of the worst single sentences")
    args = ap.parse_args()
    if not args.gold.is_file():
        sys.exit(f"{args.gold}: no such file (set WA_HUB_TEST_DATA or pass --gold)")
    if args.worst:
        worst(args.gold)
        return
    script = None
    if args.official:
        candidates = [args.official / "m2scorer.py", args.official / "scripts" / "m2scorer.py"]
        script = next((c for c in candidates if c.is_file()), None)
        if script is None:
            sys.exit(f"{args.official}: no m2scorer.py there or in scripts/")
        os.environ.setdefault("PYENV_VERSION", "2.7.18")
    blocks = read_m2_blocks(args.gold)
    makers = outputs(blocks)
    names = args.outputs or list(makers)
    print(f"gold: {args.gold} ({len(blocks)} sentences)")
    header = f"{'output':<12} {'ours s':>8} {'cpu s':>7} {'P':>7} {'R':>7} {'F0.5':>7}"
    if script:
        header += f" {'official s':>11} {'ratio':>7}  equal"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            hyps = makers[name]()
            start, cpu = time.perf_counter(), time.process_time()
            r = m2(hyps, blocks)
            ours, cpu = time.perf_counter() - start, time.process_time() - cpu
            p, rec, f = (x / 100 for x in (r.precision or 0.0, r.recall or 0.0, r.score))
            line = f"{name:<12} {ours:8.2f} {cpu:7.2f} {p:7.4f} {rec:7.4f} {f:7.4f}"
            if script:
                hyp = Path(tmp) / f"{name}.txt"
                hyp.write_text("\n".join(hyps) + "\n", encoding="utf-8")
                secs, figures = run_official(script, args.python2.split(), hyp, args.gold)
                equal = figures == (f"{p:.4f}", f"{rec:.4f}", f"{f:.4f}")
                line += f" {secs:11.2f} {secs / ours:6.1f}x  {'yes' if equal else 'NO ' + str(figures)}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
