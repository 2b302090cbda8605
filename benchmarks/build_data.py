"""Time and peak memory of `build_data` on full-size raw files (generated here, in the real formats).

Generates 34,308 M2 sentences (W&I+LOCNESS A/B/C), 300,000 IteraTeR lines, 296,402 WikiLarge pairs,
2,000 TurkCorpus tune rows (8 references), 53,803 WNC rows and 52,002 Alpaca records in a temp dir,
then runs the real build (60,000 writing rows + 52,002 generic, all configs) and prints wall time and
the peak resident memory of the process. Goal: under 30 s and under 1.5 GB on a 2-core machine.

    python benchmarks/build_data.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

_WORDS = (
    "the a of to and in is was for on that with as by at from his her it an are were which this be has "
    "had have not but they their one its new after first also two who been more other city year people "
    "school team river music world state film group time part during later most system model data"
)
WORDS = _WORDS.split(" ")


def sentence(rng: random.Random, n: int | None = None) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n or rng.randint(8, 30))] + ["."]


def write_m2(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            toks = sentence(rng)
            f.write("S " + " ".join(toks) + "\n")
            k = rng.randint(0, 3)
            if k == 0:
                f.write("A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n")
            starts = sorted(rng.sample(range(len(toks) - 1), k))
            for s in starts:
                kind = rng.random()
                if kind < 0.6:
                    f.write(f"A {s} {s + 1}|||R:NOUN|||{rng.choice(WORDS)}|||REQUIRED|||-NONE-|||0\n")
                elif kind < 0.8:
                    f.write(f"A {s} {s}|||M:DET|||the|||REQUIRED|||-NONE-|||0\n")
                else:
                    f.write(f"A {s} {s + 1}|||U:DET||||||REQUIRED|||-NONE-|||0\n")
            f.write("\n")


def generate(raw: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    for d in ["wi_locness", "iterater_v2", "turkcorpus", "wikilarge", "wnc", "alpaca"]:
        (raw / d).mkdir(parents=True, exist_ok=True)
    for name, n in [("A", 10493), ("B", 13032), ("C", 10783)]:  # 34,308 sentences, as W&I+LOCNESS v2.1
        write_m2(raw / "wi_locness" / f"{name}.train.gold.bea19.m2", n, rng)
    labels = (
        ["clarity"] * 40 + ["fluency"] * 30 + ["coherence"] * 10 + ["style"] * 10 + ["meaning-changed"] * 10
    )
    with open(raw / "iterater_v2" / "sent-level.train.intents.json", "w", encoding="utf-8") as f:
        for i in range(300_000):
            before = " ".join(sentence(rng))
            after = before.replace(" the ", " a ", 1)
            obj = {
                "before_sent": before,
                "after_sent": after,
                "labels": rng.choice(labels),
                "doc_id": str(i // 7),
            }
            f.write(json.dumps(obj) + "\n")
    norm = [" ".join(sentence(rng)) for _ in range(2000)]
    (raw / "turkcorpus" / "tune.8turkers.tok.norm").write_text("\n".join(norm) + "\n", encoding="utf-8")
    for j in range(8):
        refs = [s.replace(" of ", " from ", j % 2) for s in norm]
        (raw / "turkcorpus" / f"tune.8turkers.tok.turk.{j}").write_text(
            "\n".join(refs) + "\n", encoding="utf-8"
        )
    src = [" ".join(sentence(rng)) for _ in range(296_402)]
    (raw / "wikilarge" / "wiki.full.aner.ori.train.src").write_text("\n".join(src) + "\n", encoding="utf-8")
    dst = [" ".join(s.split()[: max(3, len(s.split()) // 2)]) for s in src]
    (raw / "wikilarge" / "wiki.full.aner.ori.train.dst").write_text("\n".join(dst) + "\n", encoding="utf-8")
    with open(raw / "wnc" / "biased.word.train", "w", encoding="utf-8") as f:
        for i in range(53_803):
            toks = sentence(rng)
            raw_b = " ".join(toks)
            raw_n = " ".join(t for k, t in enumerate(toks) if k != 2)
            f.write(
                "\t".join([str(i), raw_b.lower(), raw_n.lower(), raw_b, raw_n, "NOUN " * 3, "ROOT " * 3])
                + "\n"
            )
    records = [
        {
            "instruction": " ".join(sentence(rng, 8)),
            "input": "" if i % 3 else " ".join(sentence(rng)),
            "output": " ".join(sentence(rng, 40)),
        }
        for i in range(52_002)
    ]
    (raw / "alpaca" / "alpaca_data.json").write_text(json.dumps(records, indent=4), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="Generate into this dir and keep it (default: a temp dir).")
    args = parser.parse_args()
    from wa_hub.build import build_data

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        raw = base / "raw"
        t0 = time.perf_counter()
        if not (raw / "alpaca" / "alpaca_data.json").exists():
            generate(raw)
        gen_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        out = build_data(raw, base / "out", overwrite=True)
        build_s = time.perf_counter() - t0
        cpu_s = time.process_time() - cpu0
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        counts = json.loads((out / "manifest.json").read_text())["counts"]
        parquet = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"raw files: {size / 1e6:.0f} MB generated in {gen_s:.1f} s")
    print(f"counts: {counts}")
    print(f"build time: {build_s:.1f} s wall, {cpu_s:.1f} s CPU (goal < 30 s)")
    print(f"peak memory (process max RSS): {peak_kb / 1024:.0f} MB (goal < 1536 MB)")
    print(f"memory before the build: {rss0 / 1024:.0f} MB")
    print(f"parquet written: {parquet / 1e6:.1f} MB")
    sys.exit(0 if build_s < 30 and peak_kb / 1024 < 1536 else 1)


if __name__ == "__main__":
    main()
