"""Greedy decoding with a rolling batch: every row stops at its own end and a waiting row takes its place.

`model.generate` on a batch runs until its longest row ends (the finished rows keep computing) and gives
every row the batch's largest length budget. Here each row is prefilled alone (exactly as one-by-one
generation does), joins the running batch with its KV cache left-padded to the batch's width, decodes
with its own position ids, length budget and stop check, and leaves the batch as soon as it ends (EOS,
its budget, or a `###` in its text); the next waiting row is prefilled into the free slot. So the batch
stays full of rows that are still generating, and each row's tokens are its greedy one-by-one tokens up
to float rounding: a padded batch sums in another order, which can flip an argmax between two nearly
equal logits. The running batch's KV cache is preallocated (`_Slots`): a step writes one column in place
and a row that ends hands its slot over, instead of the whole cache being copied at every step.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

STOP = "###"
SLACK = 64  # free cache columns on the right of the longest window: steps between two slides of the window


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


def _pad_mask(m: Any, width: int) -> Any:
    """Left-pad a [batch, seq] attention mask with zeros to `width` positions."""
    import torch

    return torch.nn.functional.pad(m, (width - m.shape[1], 0))


class _Slots:
    """The running batch's KV cache, preallocated: per layer a [batch_size, heads, capacity, dim] buffer whose
    columns `lo:hi` are the batch's window (left-padded rows, every row's latest token in column `hi - 1`).

    Decoding writes one column in place instead of concatenating the whole cache at every step, a row that
    ends gives its slot to the last row (one row copied, not the batch), and a joining row's prefill is
    written into its slot's last columns. The model reads views of the window, so its attention sees the
    same keys, values and mask as with concatenated caches."""

    def __init__(self, layers: int, shape: tuple[int, int, int, int], dtype: Any, device: Any, left: int):
        import torch

        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.left = left  # the longest prefill: columns kept free on the left of `hi` for a joining row
        self.n = 0  # rows in use: slots 0..n-1
        self.lo = self.hi = left

    def append(self, layer: int, key: Any, value: Any) -> tuple[Any, Any]:
        """Write the step's column (`hi`, advanced once per step by `step`) and return the window with it."""
        self.k[layer][: self.n, :, self.hi : self.hi + 1] = key
        self.v[layer][: self.n, :, self.hi : self.hi + 1] = value
        n, lo, hi = self.n, self.lo, self.hi + 1
        return self.k[layer][:n, :, lo:hi], self.v[layer][:n, :, lo:hi]

    def step(self) -> None:
        """After a forward pass: the column just written joins the window; slide it back when full."""
        self.hi += 1
        if self.hi >= self.k[0].shape[2]:
            width = self.hi - self.lo
            lo = max(self.left - width, 0)
            for buf in (*self.k, *self.v):
                buf[: self.n, :, lo : lo + width] = buf[: self.n, :, self.lo : self.hi].clone()
            self.lo, self.hi = lo, lo + width

    def add(self, cache: Any) -> None:
        """Write the rows of a prefilled cache into the next free slots (the window widens to the left
        if they are wider than it)."""
        g, width = cache.layers[0].keys.shape[0], cache.layers[0].keys.shape[2]
        start = self.hi - width
        for buf_k, buf_v, layer in zip(self.k, self.v, cache.layers, strict=True):
            buf_k[self.n : self.n + g, :, start : self.hi] = layer.keys
            buf_v[self.n : self.n + g, :, start : self.hi] = layer.values
        self.n += g
        self.lo = min(self.lo, start)

    def keep(self, keep: list[int], first: int) -> list[int]:
        """Keep the rows `keep` (ascending slot indices) and drop the window's first `first` columns; each
        freed slot below the new row count takes one of the last rows. Returns the new order of the kept
        rows (indices into `keep`)."""
        import torch

        n = len(keep)
        placed = {keep[k]: k for k in range(n) if keep[k] < n}  # rows staying in their slot
        holes = [j for j in range(n) if j not in placed]  # slots below n whose row left
        movers = [k for k in range(n) if keep[k] >= n]  # kept rows above n, as many as holes
        if holes:
            src = torch.tensor([keep[k] for k in movers])
            dst = torch.tensor(holes)
            for buf in (*self.k, *self.v):
                buf[dst, :, self.lo : self.hi] = buf[src, :, self.lo : self.hi]
        moved = dict(zip(holes, movers, strict=True))
        order = [placed[j] if j in placed else moved[j] for j in range(n)]
        self.n = n
        self.lo = self.lo + first if n else self.hi
        return order


def _slot_layer(slots: _Slots, index: int) -> Any:
    """Layer `index` of `slots` as a transformers cache layer (what a Llama forward reads and updates)."""
    from transformers.cache_utils import DynamicLayer

    class SlotLayer(DynamicLayer):  # type: ignore[misc]
        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            return slots.append(index, key_states, value_states)

        def get_seq_length(self) -> int:
            return slots.hi - slots.lo

        def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
            return slots.hi - slots.lo + query_length, 0

    layer = SlotLayer()
    layer.is_initialized = True
    return layer


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
    from transformers import Cache, DynamicCache

    device = next(model.parameters()).device
    kw = _cache_kwarg(model)
    hashes = stop_token_ids(tokenizer)
    chunk = prefill_rows or max(1, batch_size // 4)
    shared_of = prefix_lengths or [0] * len(prompt_ids)
    waiting = deque(order)
    rows: list[_Row] = []
    left = max(len(p) for p in prompt_ids) if prompt_ids else 0  # the widest prefill
    slots: _Slots | None = None  # the running rows' KV cache, allocated at the first prefill
    cache: Any = None  # `slots` as the model's cache
    mask: Any = torch.zeros((0, 0), dtype=torch.long, device=device)  # 1 where a slot holds a real token
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
                            if slots is None:
                                k0 = c.layers[0].keys
                                rows_max = min(batch_size, len(order))
                                shape = (rows_max, k0.shape[1], left + max(budgets) + SLACK, k0.shape[3])
                                slots = _Slots(len(c.layers), shape, k0.dtype, device, left)
                                cache = Cache(layers=[_slot_layer(slots, i) for i in range(len(c.layers))])
                            slots.add(c)
                            width = slots.hi - slots.lo
                            mask = torch.cat([_pad_mask(mask, width), _pad_mask(m, width)])
            if rows:
                assert slots is not None
                mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long, device=device)], dim=1)
                positions = torch.tensor([[r.position] for r in rows], device=device)
                out = model(
                    input_ids=torch.tensor([[t] for t in feed], device=device),
                    attention_mask=mask,
                    position_ids=positions,
                    use_cache=True,
                    **{kw: cache},
                )
                slots.step()
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
                    kept = mask[keep]
                    first = int(kept.any(0).nonzero()[0]) if keep else 0  # columns only the gone rows used
                    order = [keep[k] for k in slots.keep(keep, first)]
                    rows = [rows[j] for j in order]
                    feed = [feed[j] for j in order]
                    mask = mask[order][:, first:] if rows else mask[:0, :0]
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
