"""Seconds to score synthetic CoNLL-2014 system outputs with our M2 scorer (and the official one, if given).

    python benchmarks/m2_speed.py [--gold GOLD.m2] [--outputs NAME ...] [--official DIR [--python2 CMD]]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=default_gold())
    ap.add_argument("--outputs", nargs="*", help="which synthetic outputs (default: all)")
    ap.add_argument("--official", type=Path, help="folder with the official m2scorer.py (Python 2)")
    ap.add_argument("--python2", default="python2", help="Python 2 command (PYENV_VERSION=2.7.18 is set)")
    args = ap.parse_args()
    if not args.gold.is_file():
        sys.exit(f"{args.gold}: no such file (set WA_HUB_TEST_DATA or pass --gold)")
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
