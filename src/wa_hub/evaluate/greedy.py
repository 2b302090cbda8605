"""Greedy decoding with a rolling batch: every row stops at its own end and a waiting row takes its place.

`model.generate` on a batch runs until its longest row ends (the finished rows keep computing) and gives
every row the batch's largest length budget. Here each row is prefilled alone (exactly as one-by-one
generation does), joins the running batch with its KV cache left-padded to the batch's width, decodes
with its own position ids, length budget and stop check, and leaves the batch as soon as it ends (EOS,
its budget, or a `###` in its text); the next waiting row is prefilled into the free slot. So the batch
stays full of rows that are still generating, and each row's tokens are its greedy one-by-one tokens up
to float rounding: a padded batch sums in another order, which can flip an argmax between two nearly
equal logits.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

STOP = "###"


def supported(model: Any = None) -> bool:
    """Whether this transformers keeps its KV cache as per-layer tensors we can pad, merge and select
    (and, given a model, whether all its layers are plain full-attention layers: no sliding window)."""
    from transformers import DynamicCache

    try:
        from transformers.cache_utils import DynamicLayer

        cache = DynamicCache(config=model.config) if model is not None else None
    except (ImportError, TypeError):
        return False
    return cache is None or all(type(layer) is DynamicLayer for layer in getattr(cache, "layers", [None]))


def _cache_kwarg(model: Any) -> str:
    """`cache` in transformers 5.x (where `past_key_values` is deprecated), else `past_key_values`."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def stop_token_ids(tokenizer: Any) -> set[int]:
    """Tokens whose text has a `#`: only after one of them can the text newly contain `###`."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return {i for i, p in enumerate(pieces) if p is not None and "#" in p}


@dataclass
class _Row:
    index: int  # into the caller's rows
    budget: int
    position: int  # position id of the next token fed
    tokens: list[int] = field(default_factory=list)


def _pad_left(t: Any, width: int) -> Any:
    """Left-pad a [batch, heads, seq, dim] cache tensor with zeros to `width` positions."""
    import torch

    extra = width - t.shape[-2]
    if extra <= 0:
        return t
    pad = torch.zeros((*t.shape[:-2], extra, t.shape[-1]), dtype=t.dtype, device=t.device)
    return torch.cat([pad, t], dim=-2)


def _pad_mask(m: Any, width: int) -> Any:
    """Left-pad a [batch, seq] attention mask with zeros to `width` positions."""
    import torch

    return torch.nn.functional.pad(m, (width - m.shape[1], 0))


def _merge(cache: Any, mask: Any, new_cache: Any, new_mask: Any) -> tuple[Any, Any]:
    """Rows of two caches in one, left-padded to the wider of the two."""
    import torch

    if cache is None:
        return new_cache, new_mask
    width = max(mask.shape[1], new_mask.shape[1])
    for big, new in zip(cache.layers, new_cache.layers, strict=True):
        big.keys = torch.cat([_pad_left(big.keys, width), _pad_left(new.keys, width)])
        big.values = torch.cat([_pad_left(big.values, width), _pad_left(new.values, width)])
    return cache, torch.cat([_pad_mask(mask, width), _pad_mask(new_mask, width)])


def greedy_rolling(
    model: Any,
    tokenizer: Any,
    prompt_ids: Sequence[Sequence[int]],
    budgets: Sequence[int],
    order: Sequence[int],
    batch_size: int,
    eos_token_ids: set[int],
    on_done: Callable[[list[int], list[list[int]]], None],
    prefix_lengths: Sequence[int] | None = None,
    prefill_rows: int | None = None,
) -> None:
    """Greedy-decode `prompt_ids[i]` (rows taken in `order`) with at most `budgets[i]` new tokens each,
    at most `batch_size` rows at a time; `on_done(indices, tokens)` gets the rows that ended at each step
    (with the EOS where a row ended at one).

    The first `prefix_lengths[i]` tokens of a prompt (shared with other rows: the template and
    instruction) are prefilled once and their KV cache reused. Free slots are refilled `prefill_rows` at
    a time (default: a quarter of the batch), prefilled together (a larger matrix product is cheaper per
    token on a CPU); 1 prefills every row alone, as one-by-one generation does."""
    import torch
    from transformers import DynamicCache

    device = next(model.parameters()).device
    kw = _cache_kwarg(model)
    hashes = stop_token_ids(tokenizer)
    chunk = prefill_rows or max(1, batch_size // 4)
    shared_of = prefix_lengths or [0] * len(prompt_ids)
    waiting = deque(order)
    rows: list[_Row] = []
    cache: Any = None
    mask: Any = None  # [batch, width] long: 1 where the cache holds a real token
    feed: list[int] = []  # the token each row feeds next
    prefixes: dict[tuple[int, ...], list[tuple[Any, Any]]] = {}  # shared prompt prefix -> its KV per layer

    def ended(row: _Row, tok: int) -> bool:
        row.tokens.append(tok)  # EOS too, as generate() keeps it (decoding drops it when it is special)
        if tok in eos_token_ids or len(row.tokens) >= row.budget:
            return True
        return tok in hashes and STOP in tokenizer.decode(row.tokens[-8:], skip_special_tokens=True)

    def prefill(group: list[int]) -> tuple[Any, Any, list[int]]:
        """Prefill rows sharing one prefix: their cache, mask and first tokens. Each row is laid out as
        [prefix][padding][its suffix], so every row's last prompt token is in the last column."""
        shared = shared_of[group[0]]
        key = tuple(prompt_ids[group[0]][:shared])
        if shared and key not in prefixes:
            c: Any = DynamicCache(config=model.config)
            model(input_ids=torch.tensor([key], device=device), use_cache=True, **{kw: c})
            prefixes[key] = [(layer.keys, layer.values) for layer in c.layers]
        rests = [list(prompt_ids[i][shared:]) for i in group]
        width = max(len(r) for r in rests)
        ids = torch.zeros((len(group), width), dtype=torch.long)
        attn = torch.ones((len(group), shared + width), dtype=torch.long)
        pos = torch.zeros((len(group), width), dtype=torch.long)
        for r, rest in enumerate(rests):
            pad = width - len(rest)
            ids[r, pad:] = torch.tensor(rest)
            attn[r, shared : shared + pad] = 0
            pos[r, pad:] = torch.arange(shared, shared + len(rest))
        n = len(group)
        c = (
            DynamicCache(
                [(k.expand(n, -1, -1, -1), v.expand(n, -1, -1, -1)) for k, v in prefixes[key]],
                config=model.config,
            )
            if shared
            else DynamicCache(config=model.config)
        )
        extra: dict[str, Any] = {kw: c}
        if bool((attn == 0).any()):  # a row alone is run exactly as generate() runs it
            extra.update(attention_mask=attn.to(device), position_ids=pos.to(device))
        logits = model(input_ids=ids.to(device), use_cache=True, logits_to_keep=1, **extra).logits
        return c, attn.to(device), logits[:, -1].argmax(-1).tolist()

    with torch.inference_mode():
        while waiting or rows:
            done: list[_Row] = []
            free = batch_size - len(rows)
            if waiting and (not rows or free >= min(chunk, len(waiting))):
                new = [waiting.popleft() for _ in range(min(free, len(waiting)))]
                groups: dict[tuple[int, ...], list[int]] = {}
                for i in new:
                    groups.setdefault(tuple(prompt_ids[i][: shared_of[i]]), []).append(i)
                for members in groups.values():
                    for start in range(0, len(members), chunk):
                        group = members[start : start + chunk]
                        c, m, toks = prefill(group)
                        going: list[int] = []
                        for j, (i, tok) in enumerate(zip(group, toks, strict=True)):
                            row = _Row(index=i, budget=budgets[i], position=len(prompt_ids[i]))
                            if row.budget < 1 or ended(row, tok):
                                done.append(row)
                            else:
                                going.append(j)
                                rows.append(row)
                                feed.append(tok)
                        if going:
                            if len(going) < len(group):
                                c.batch_select_indices(torch.tensor(going, device=device))
                                m = m[going]
                            cache, mask = _merge(cache, mask, c, m)
            if rows:
                mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long, device=device)], dim=1)
                positions = torch.tensor([[r.position] for r in rows], device=device)
                out = model(
                    input_ids=torch.tensor([[t] for t in feed], device=device),
                    attention_mask=mask,
                    position_ids=positions,
                    use_cache=True,
                    **{kw: cache},
                )
                toks = out.logits[:, -1].argmax(-1).tolist()
                keep: list[int] = []
                for j, (row, tok) in enumerate(zip(rows, toks, strict=True)):
                    row.position += 1
                    if ended(row, tok):
                        done.append(row)
                    else:
                        keep.append(j)
                        feed[j] = tok
                if len(keep) < len(rows):
                    rows = [rows[j] for j in keep]
                    feed = [feed[j] for j in keep]
                    if rows:
                        sel = torch.tensor(keep, device=device)
                        mask = mask[sel]
                        first = int(mask.any(0).nonzero()[0])  # drop columns only the gone rows used
                        mask = mask[:, first:]
                        for layer in cache.layers:
                            layer.keys = layer.keys[sel, :, first:]
                            layer.values = layer.values[sel, :, first:]
                    else:
                        cache = mask = None
            if done:
                on_done([r.index for r in done], [r.tokens for r in done])


def shared_prefix_lengths(prompt_ids: Sequence[Sequence[int]], groups: Sequence[Any]) -> list[int]:
    """For each row, how many leading tokens it shares with every row of its group (rows whose prompts
    differ only in the input), at most all but its last token; 0 for a group of one."""
    members: dict[Any, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    out = [0] * len(prompt_ids)
    for rows in members.values():
        if len(rows) < 2:
            continue
        first = prompt_ids[rows[0]]
        n = min(len(prompt_ids[i]) for i in rows) - 1
        for i in rows[1:]:
            ids = prompt_ids[i]
            n = next((k for k in range(n) if ids[k] != first[k]), n)
        for i in rows:
            out[i] = max(n, 0)
    return out
