"""Training throughput: tokens/s and MFU of LoRA and full fine-tuning, with and without packing.

The model is a Llama of the requested shape with RANDOM weights (nothing is downloaded): `7b`, `13b` (LLaMA-1
shapes), `smollm2` (SmolLM2-135M's shape), `tiny`. Batches are SFT-like: example lengths drawn from a fixed
log-normal (median ~150 tokens, clipped to --seq-len), prompt tokens masked, batched exactly as
`wa-hub train` does (restated here from wa_hub.train.data.SFTCollator so the script runs with only torch,
transformers and peft; packing = first-fit-decreasing into --seq-len rows, block-diagonal attention through
restarting position_ids). The step is a plain forward/backward/optimizer
step on the transformers (+ peft) model, timed over --steps steps after --warmup steps.

Counting: tokens/s counts real tokens only (padding is wasted work, which is what packing recovers).
MFU = model FLOPs per second / peak bf16 FLOPs (H100 SXM dense: 989 TFLOP/s; --peak-tflops to change) with
  full FT: 6 * N * tokens + 12 * L * d * ctx * tokens (attention; ctx = mean example length, not halved for
           causal masking, as in PaLM's appendix B)
  LoRA:    4 * N * tokens (frozen base: forward 2N + activation gradients 2N, no weight gradients)
           + 6 * N_lora * tokens + the same attention term,
where N counts the matmul parameters (all but the input embedding). Recomputation under gradient
checkpointing is not counted (that would be HFU).

Memory on one 80 GB GPU: full fine-tuning keeps weights, gradients and AdamW states all in bf16 (8 bytes per
parameter, no fp32 master weights) so a 7B model fits (~54 GB + activations); real full-FT runs use FSDP over
several GPUs with fp32 master weights (recipes/full-ft-7b.yaml). A 13B model does not fit this way: use
--layers N to measure a 13B-shaped model with fewer layers. The output states what was run.

  python benchmarks/train_throughput.py --model-size tiny              # CPU smoke check
  python benchmarks/train_throughput.py --model-size 7b --seq-len 512  # one H100
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

SHAPES: dict[str, dict[str, Any]] = {
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=32, vocab_size=32000, tie_word_embeddings=False),
    "13b": dict(hidden_size=5120, intermediate_size=13824, num_hidden_layers=40, num_attention_heads=40,
                num_key_value_heads=40, vocab_size=32000, tie_word_embeddings=False),
    "smollm2": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                    num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=4, vocab_size=512, tie_word_embeddings=False),
}  # fmt: skip


def example_lengths(n: int, seq_len: int, seed: int = 0) -> list[tuple[int, int]]:
    """(prompt, response) token counts: log-normal total (median ~150), 60% prompt, within seq_len."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        total = max(16, min(seq_len, int(rng.lognormvariate(math.log(150), 0.6))))
        prompt = max(1, int(total * 0.6))
        out.append((prompt, total - prompt))
    return out


def pack_ffd(examples: list[list[int]], seq_len: int) -> list[list[list[int]]]:
    """First-fit-decreasing packing of examples into rows of at most seq_len tokens (like trl's "bfd")."""
    rows: list[list[list[int]]] = []
    room: list[int] = []
    for ex in sorted(examples, key=len, reverse=True):
        for i, free in enumerate(room):
            if len(ex) <= free:
                rows[i].append(ex)
                room[i] -= len(ex)
                break
        else:
            rows.append([ex])
            room.append(seq_len - len(ex))
    return rows


def collate(rows: list[list[tuple[list[int], list[int]]]], packed: bool) -> dict[str, Any]:
    """wa-hub's batching (wa_hub.train.data.SFTCollator), restated so this script needs only torch +
    transformers + peft: right padding with attention_mask, or for packed rows restarting position_ids, no
    mask (block-diagonal attention), and the first label of every packed example masked."""
    import torch

    longest = max(sum(len(ids) for ids, _ in row) for row in rows)
    ids_b, lab_b, extra = [], [], []
    for row in rows:
        ids = [t for seg, _ in row for t in seg]
        lab = [t for _, seg in row for t in seg]
        pos: list[int] = []
        for seg, _ in row:
            lab[len(pos)] = -100
            pos.extend(range(len(seg)))
        pad = longest - len(ids)
        ids_b.append(ids + [0] * pad)
        lab_b.append(lab + [-100] * pad)
        extra.append(pos + list(range(pad)) if packed else [1] * len(ids) + [0] * pad)
    batch = {"input_ids": torch.tensor(ids_b), "labels": torch.tensor(lab_b)}
    batch["position_ids" if packed else "attention_mask"] = torch.tensor(extra)
    return batch


def make_batches(vocab: int, seq_len: int, batch: int, packing: bool, n_batches: int) -> list[dict[str, Any]]:
    import random

    rng = random.Random(1)
    per_batch = batch * (max(2, seq_len // 50) if packing else 1)
    examples = []
    for p, r in example_lengths(per_batch * n_batches, seq_len):
        ids = [rng.randrange(3, vocab) for _ in range(p + r)]
        examples.append((ids, [-100] * p + ids[p:]))
    if packing:
        by_ids = {id(ex[0]): ex for ex in examples}
        rows = [[by_ids[id(ids)] for ids in row] for row in pack_ffd([ex[0] for ex in examples], seq_len)]
        rng.shuffle(rows)
    else:
        rows = [[ex] for ex in examples]
    return [collate(rows[i : i + batch], packing) for i in range(0, len(rows) - batch + 1, batch)][:n_batches]


def matmul_params(model: Any) -> int:
    emb = model.get_input_embeddings().weight
    total = sum(p.numel() for p in model.parameters())
    tied = model.get_output_embeddings().weight is emb
    return total - (0 if tied else emb.numel())  # tied: the same matrix is the lm_head matmul


def run_one(args: argparse.Namespace, method: str, packing: bool) -> dict[str, Any]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cuda = args.device == "cuda"
    dtype = torch.bfloat16 if cuda and not args.fp32 else torch.float32
    shape = dict(SHAPES[args.model_size])
    if args.layers:
        shape["num_hidden_layers"] = args.layers
    config = LlamaConfig(**shape, max_position_embeddings=max(2048, args.seq_len), use_cache=False)
    config._attn_implementation = args.attn
    torch.manual_seed(0)
    with torch.device(args.device):
        model = LlamaForCausalLM._from_config(config, dtype=dtype)
    n_matmul = matmul_params(model)
    n_lora = 0
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model,
            LoraConfig(
                r=args.lora_r,
                lora_alpha=2 * args.lora_r,
                lora_dropout=0.05,
                target_modules=args.lora_targets.split(","),
                task_type="CAUSAL_LM",
            ),
        )
        n_lora = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if args.grad_ckpt:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if method == "lora":
            model.enable_input_require_grads()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, fused=cuda)  # states in the params' dtype (bf16 on GPU)
    batches = make_batches(
        config.vocab_size, args.seq_len, args.batch_size, packing, args.warmup + args.steps
    )
    if len(batches) < args.warmup + args.steps:
        raise SystemExit("not enough batches; lower --batch-size")
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    def step(b: dict[str, Any], model: Any = model, opt: Any = opt) -> float:
        b = {k: v.to(args.device, non_blocking=True) for k, v in b.items()}
        loss = model(**b).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss.detach()) if not cuda else 0.0

    for b in batches[: args.warmup]:
        step(b)
    if cuda:
        torch.cuda.synchronize()
    tokens = ctx_sum = examples = 0
    t0 = time.perf_counter()
    for b in batches[args.warmup :]:
        step(b)
        real = int(b["attention_mask"].sum() if "attention_mask" in b else (b["labels"].numel()))
        if "position_ids" in b:  # packed: count the tokens of the examples, not the padding segment
            real = int((b["input_ids"] != 0).sum())
            starts = int(((b["position_ids"] == 0) & (b["input_ids"] != 0)).sum())
            examples += starts
        else:
            examples += b["input_ids"].shape[0]
        tokens += real
    if cuda:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    ctx_sum = tokens / max(1, examples)  # mean example length
    L, d = config.num_hidden_layers, config.hidden_size
    attn = 12 * L * d * ctx_sum
    per_token = (6 * n_matmul if method == "full" else 4 * n_matmul + 6 * n_lora) + attn
    flops = per_token * tokens / dt
    peak = args.peak_tflops * 1e12 if args.peak_tflops else (989e12 if cuda else None)
    res = {
        "model": args.model_size + (f" ({L} layers)" if args.layers else ""),
        "params_B": round(sum(p.numel() for p in model.parameters()) / 1e9, 3),
        "method": method,
        "packing": packing,
        "dtype": str(dtype).replace("torch.", ""),
        "seq_len": args.seq_len,
        "batch_rows": args.batch_size,
        "grad_ckpt": args.grad_ckpt,
        "tokens_per_step": round(tokens / args.steps),
        "step_s": round(dt / args.steps, 4),
        "tokens_per_s": round(tokens / dt, 1),
        "model_tflops": round(flops / 1e12, 2),
        "mfu": round(flops / peak, 4) if peak else None,
        "peak_mem_GB": round(torch.cuda.max_memory_allocated() / 2**30, 1) if cuda else None,
    }
    del model, opt
    if cuda:
        torch.cuda.empty_cache()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-size", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--layers", type=int, default=None, help="override the number of decoder layers")
    ap.add_argument("--method", choices=["lora", "full", "both"], default="both")
    ap.add_argument("--packing", choices=["on", "off", "both"], default="both")
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=4, help="rows per step (examples, or packed rows)")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--grad-ckpt", action="store_true", help="gradient checkpointing")
    ap.add_argument("--attn", default="sdpa", help="attn implementation (sdpa, eager, flash_attention_2)")
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--lora-targets", default="q_proj,v_proj")
    ap.add_argument(
        "--peak-tflops", type=float, default=None, help="peak dense bf16 TFLOP/s (default: H100 989)"
    )
    ap.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    ap.add_argument("--fp32", action="store_true", help="fp32 weights on GPU too (CPU always uses fp32)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--json", action="store_true", help="print one JSON object per configuration")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    where = (
        torch.cuda.get_device_name(0) if args.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    )
    methods = ["lora", "full"] if args.method == "both" else [args.method]
    packings = [False, True] if args.packing == "both" else [args.packing == "on"]
    print(
        f"# device: {where}; torch {torch.__version__}; random-weight Llama '{args.model_size}'"
        + (f" with {args.layers} layers" if args.layers else "")
        + f"; attention {args.attn}"
    )
    print(
        "# full FT: weights, grads and AdamW states in the model dtype (bf16 on GPU: 8 bytes/param, no fp32"
        " master copy); LoRA: frozen base in that dtype, AdamW on the adapters"
    )
    print(
        "# MFU = (6N | 4N + 6N_lora) * tokens + attention 12*L*d*ctx*tokens, over peak "
        f"{args.peak_tflops or (989 if args.device == 'cuda' else 'n/a')} TFLOP/s; "
        "tokens = real (non-pad) tokens"
    )
    cols = [
        "method",
        "packing",
        "tokens_per_step",
        "step_s",
        "tokens_per_s",
        "model_tflops",
        "mfu",
        "peak_mem_GB",
    ]
    if not args.json:
        print(" | ".join(cols))
    for m in methods:
        for p in packings:
            try:
                r = run_one(args, m, p)
            except torch.OutOfMemoryError:
                r = {
                    "method": m,
                    "packing": p,
                    "error": "CUDA out of memory (try --grad-ckpt, --layers N, or a smaller --batch-size)",
                }
                torch.cuda.empty_cache()
            if args.json:
                print(json.dumps(r))
            else:
                print(" | ".join(str(r.get(c, r.get("error", ""))) for c in cols))


if __name__ == "__main__":
    main()
