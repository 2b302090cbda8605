"""Batched generation of benchmark responses with the study's decoding settings (its Table 7).

Rows are tokenized once and sorted by length (longest first, so padding is small and an out-of-memory
batch shows up at once). Greedy decoding runs a rolling batch (`greedy.greedy_rolling`: each row stops at
its own end, with its own length budget, and a waiting row takes its slot); beam search and sampling, or
`engine="batches"`, run `model.generate` on left-padded batches. Generation stops at EOS or at the next
`###` header (transformers' `stop_strings`); only the response text is kept, on one line, since the
metrics are line-based.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from wa_hub.errors import UsageError
from wa_hub.evaluate import greedy

# The study's Table 7: greedy (default), beam search with 4 beams, nucleus sampling p=0.7 at T=0.2.
DECODINGS: dict[str, dict[str, Any]] = {
    "greedy": {"do_sample": False, "num_beams": 1},
    "beam": {"do_sample": False, "num_beams": 4},
    "top-p": {"do_sample": True, "top_p": 0.7, "temperature": 0.2},
}
STOP = "###"
# How greedy rows are generated: `rolling` (per-row stopping and budgets, refilled batch) or `batches`
# (`model.generate` per batch, every row of a batch until its longest ends, with the batch's largest budget).
ENGINES = ("auto", "rolling", "batches")
# Default length budget: 1.5x the input's tokens + 16, at most MAX_NEW_TOKENS_CAP. Rewrites of a sentence
# are about as long as the sentence; the slack covers tokenization differences without letting a model
# that never stops run for hundreds of tokens.
MAX_NEW_TOKENS_CAP = 512


def decoding_settings(name: str) -> dict[str, Any]:
    """The generate() settings for a decoding name (`greedy`, `beam`, `top-p`)."""
    try:
        return dict(DECODINGS[name])
    except KeyError:
        raise UsageError(f"unknown decoding {name!r}; expected one of {', '.join(DECODINGS)}") from None


def default_max_new_tokens(input_tokens: int) -> int:
    """The length budget for a response to an input of `input_tokens` tokens."""
    return min(MAX_NEW_TOKENS_CAP, math.ceil(1.5 * input_tokens) + 16)


_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def clean_prediction(text: str) -> str:
    """Response text only: cut at the next `###` header, one line, no outer whitespace."""
    cut = text.find(STOP)
    if cut >= 0:
        text = text[:cut]
    return _NEWLINES.sub(" ", text).strip()


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Left padding for generation; pad with EOS when the tokenizer has no pad token (e.g. LLaMA)."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def generation_config(model: Any, tokenizer: Any, decoding: str, max_new_tokens: int) -> Any:
    """A fresh GenerationConfig (ignores the checkpoint's sampling defaults) for one batch."""
    from transformers import GenerationConfig

    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    return GenerationConfig(
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=eos,
        bos_token_id=tokenizer.bos_token_id,
        stop_strings=[STOP],
        **decoding_settings(decoding),
    )


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """The ids that end a response: the model's generation config's EOS (one or several), else the
    tokenizer's."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    if eos is None:
        return set()
    return {int(e) for e in eos} if isinstance(eos, (list, tuple)) else {int(eos)}


def model_device(model: Any) -> Any:
    """Where the model's inputs go (first parameter's device)."""
    return next(model.parameters()).device


def length_order(lengths: Sequence[int]) -> list[int]:
    """Row indices, longest first (stable for ties), so batches hold rows of similar length."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def plan_batches(tokenizer: Any, prompts: Sequence[str], batch_size: int) -> list[list[int]]:
    """The batches `generate_responses` makes of `prompts`: row indices, longest prompts first,
    `batch_size` at a time. Several processes share these batches out whole, so every batch, and with it
    every output, is the one a single process makes (with the `batches` engine a batch's padding and
    length budget shape its outputs; the rolling engine gives each row its own budget, and its batch
    only float rounding)."""
    return _batches(tokenizer(list(prompts), add_special_tokens=True)["input_ids"], batch_size)


def _batches(ids: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """`plan_batches` of prompts already tokenized."""
    if batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    order = length_order([len(i) for i in ids])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    decoding: str = "greedy",
    max_new_tokens: int = 64,
) -> list[str]:
    """Generate responses for one batch of prompts (left-padded); returns the decoded texts as they are
    (`clean_prediction` makes them the single-line predictions the metrics score)."""
    import torch

    enc = tokenizer(list(prompts), padding=True, return_tensors="pt", padding_side="left")
    enc = {k: v.to(model_device(model)) for k, v in enc.items()}
    config = generation_config(model, tokenizer, decoding, max_new_tokens)
    with torch.inference_mode():
        out = model.generate(**enc, generation_config=config, tokenizer=tokenizer)
    new = out[:, enc["input_ids"].shape[1] :]
    return list(tokenizer.batch_decode(new, skip_special_tokens=True))


def resolve_engine(engine: str, decoding: str, model: Any = None) -> str:
    """`auto` made concrete: `rolling` for greedy decoding where the installed transformers (and the
    model's cache layout, when given) allows it, else `batches`."""
    if engine != "auto":
        return engine
    return "rolling" if decoding == "greedy" and greedy.supported(model) else "batches"


def _around(prompt: str, text: str) -> tuple[str, str]:
    """The prompt without its input: what rows of one instruction have in common."""
    at = prompt.rfind(text) if text else -1
    return (prompt, "") if at < 0 else (prompt[:at], prompt[at + len(text) :])


def generate_responses(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    inputs: Sequence[str] | None = None,
    decoding: str = "greedy",
    batch_size: int = 16,
    max_new_tokens: int | None = None,
    on_batch: Callable[[list[int], list[str], list[str]], None] | None = None,
    batches: Sequence[Sequence[int]] | None = None,
    engine: str = "auto",
    share_prefix: bool = True,
    prefill_rows: int | None = None,
) -> list[str]:
    """Generate a response for every prompt, in batches of rows of similar length; returns the cleaned
    predictions.

    `inputs` (the text to rewrite, one per prompt) sizes the default length budget; `on_batch(indices,
    predictions, raw)` is called after each batch (indices into `prompts`; the cleaned predictions and the
    decoded texts they came from), so callers can save as they go; with the rolling engine a "batch" is
    the rows that ended at the same step. `batches` (some of `plan_batches`' batches of the same prompts)
    generates only those; the other rows' predictions are left "". `engine="auto"` is `rolling` for
    greedy decoding where the installed transformers allows it, else `batches`; `share_prefix` and
    `prefill_rows` tune the rolling engine (see `greedy.greedy_rolling`), whose `batch_size` rows are
    decoded together.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown generation engine {engine!r}; expected one of {', '.join(ENGINES)}")
    prepare_tokenizer(tokenizer)
    ids = tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
    plan = _batches(ids, batch_size) if batches is None else batches
    texts = list(inputs) if inputs is not None else list(prompts)
    input_lengths = [len(t) for t in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    results: list[str] = [""] * len(prompts)
    engine = resolve_engine(engine, decoding, model)
    if engine == "rolling":
        if decoding != "greedy":
            raise UsageError(f"the rolling engine decodes greedily only, not {decoding!r}")
        if batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {batch_size}")

        def done(idx: list[int], tokens: list[list[int]]) -> None:
            raw = [tokenizer.decode(t, skip_special_tokens=True) for t in tokens]
            preds = [clean_prediction(t) for t in raw]
            for i, p in zip(idx, preds, strict=True):
                results[i] = p
            if on_batch is not None:
                on_batch(idx, preds, raw)

        budgets = [max_new_tokens or default_max_new_tokens(n) for n in input_lengths]
        # rows whose prompts differ only in the input share the template's and instruction's KV cache
        groups = [_around(p, t) for p, t in zip(prompts, texts, strict=True)]
        shared = greedy.shared_prefix_lengths(ids, groups) if share_prefix else None
        eos = eos_token_ids(model, tokenizer)
        order = [i for batch in plan for i in batch]  # the planned batches' rows, longest prompts first
        greedy.greedy_rolling(
            model, tokenizer, ids, budgets, order, batch_size, eos, done, shared, prefill_rows
        )
        return results
    for batch in plan:
        idx = list(batch)
        budget = max_new_tokens or default_max_new_tokens(max(input_lengths[i] for i in idx))
        raw = generate_batch(
            model, tokenizer, [prompts[i] for i in idx], decoding=decoding, max_new_tokens=budget
        )
        preds = [clean_prediction(t) for t in raw]
        for i, p in zip(idx, preds, strict=True):
            results[i] = p
        if on_batch is not None:
            on_batch(idx, preds, raw)
    return results
