"""SFT data: load the instruction dataset, format it with the Alpaca template, tokenize, mask, pack.

Label masking is done here rather than by a library collator so that it is exact and checkable: the
prompt + response text is tokenized once (as at inference, where the model continues the prompt), each
token is assigned to the prompt or the response by its character offsets, and prompt tokens get label
-100. Padding never decides a label (SmolLM2's pad token is its EOS), and an EOS id is appended to every
response. Packing uses trl's best-fit-decreasing `pack_dataset`; packed rows carry restarting
`position_ids` and no attention mask, which transformers turns into a block-diagonal causal mask, so packed
examples never attend to each other.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.locate import locate
from wa_hub.prompts import format_prompt
from wa_hub.train.recipe import DataSpec

REQUIRED_COLUMNS = ("instruction", "input", "output")
IGNORE_INDEX = -100


def _fingerprint(folder: Path, files: list[Path]) -> str:
    """sha256 over the data files read (names relative to the folder, and content; not mtimes)."""
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(folder).as_posix().encode() + b"\0")
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


def local_data_files(folder: Path, config: str | None, split: str) -> list[Path]:
    """The files of `config`/`split` in a local dataset folder.

    A `wa-hub build-data` folder names its configs in `manifest.json` (config None: its default config);
    another Hub-style folder in its README's `configs:` front matter (read as `datasets` reads it); a folder
    with neither holds `data/CONFIG/SPLIT-*` (or `data/SPLIT-*`).
    """
    from datasets.data_files import resolve_pattern

    from wa_hub import schema
    from wa_hub.cards import card_configs

    readme = folder / "README.md"
    if (folder / "manifest.json").is_file():
        manifest = schema.load_manifest(folder)
        entry = manifest.config(config) if config else next((c for c in manifest.configs if c.default), None)
        if entry is None:
            raise UsageError(f"{folder} has no default config; name one of {', '.join(manifest.counts)}")
        if entry.split != split:
            raise UsageError(f"{folder}: config {entry.name!r} has the split {entry.split!r}, not {split!r}")
        patterns = [entry.path_pattern]
    elif readme.is_file() and (configs := card_configs(readme)):
        if config not in configs:
            raise UsageError(f"{folder} has no config {config!r}; it has: {', '.join(configs)}")
        if split not in configs[config]:
            raise UsageError(
                f"{folder}: config {config!r} has no split {split!r} ({', '.join(configs[config])})"
            )
        patterns = configs[config][split]
    else:
        patterns = [f"data/{config}/{split}-*"] if config else [f"data/{split}-*"]
    root = os.path.abspath(folder)
    found: set[Path] = set()
    for pattern in patterns:
        try:
            matches = resolve_pattern(pattern, base_path=str(folder))
        except FileNotFoundError:
            continue
        for match in matches:
            rel = os.path.relpath(os.path.normpath(match), root)
            if rel.startswith(os.pardir):
                raise UsageError(
                    f"{readme}: data_files pattern {pattern!r} points outside {folder} ({match})"
                )
            found.add(folder / rel)
    if not found:
        raise UsageError(
            f"{folder}: no data files for config {config!r} split {split!r} (looked for {patterns})"
        )
    return sorted(found)


def check_data(spec: DataSpec) -> None:
    """The training data is a local path or a Hub dataset: one line now if neither (wa_hub.locate)."""
    if not Path(spec.path).expanduser().exists():
        how = "build it with `wa-hub build-data` or pass --set data.path=FOLDER_OR_HUB_ID"
        locate(spec.path, f"data.path {spec.path}", "dataset", spec.revision, hint=how)


def load_rows(spec: DataSpec) -> tuple[Any, dict[str, Any]]:
    """The raw training rows and the dataset's identity for run.json (id + revision or fingerprint).

    A local folder is read through the `parquet` builder with its files listed explicitly: loading the
    folder itself lets `datasets` reuse a stale cache when a folder of the same name was rebuilt.
    """
    from datasets import load_dataset

    check_data(spec)
    local = Path(spec.path).expanduser()
    is_local = local.exists()
    if is_local and not local.is_dir():
        raise UsageError(f"data.path {spec.path} is a file; expected a `wa-hub build-data` folder or Hub id")
    files: list[Path] = []
    try:
        if is_local:
            files = local_data_files(local, spec.config, spec.split)
            builder = "parquet" if files[0].suffix == ".parquet" else "json"
            ds = load_dataset(builder, data_files={spec.split: [str(f) for f in files]}, split=spec.split)
        else:
            ds = load_dataset(spec.path, spec.config, split=spec.split, revision=spec.revision)
    except (ValueError, FileNotFoundError, ConnectionError, OSError) as e:
        if is_local:
            raise UsageError(
                f"cannot load config {spec.config!r} split {spec.split!r} from {local}: {e}"
            ) from None
        raise UsageError(
            f"data.path {spec.path!r} is not a local folder and could not be loaded from the Hub ({e}). "
            "Build it with `wa-hub build-data` or pass --set data.path=FOLDER_OR_HUB_ID"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in ds.column_names]
    if missing:
        raise MalformedInputError(
            spec.path,
            None,
            f"columns {', '.join(REQUIRED_COLUMNS)} (config {spec.config})",
            f"columns {ds.column_names}",
        )
    rows_total = len(ds)
    if spec.max_samples is not None and spec.max_samples < len(ds):
        ds = ds.select(range(spec.max_samples))
    info: dict[str, Any] = {
        "path_or_id": str(local.resolve()) if is_local else spec.path,
        "config": spec.config,
        "split": spec.split,
        "revision": None if is_local else (spec.revision or "main"),
        "fingerprint": _fingerprint(local, files) if is_local else ds._fingerprint,
        "files": [f.relative_to(local).as_posix() for f in files],
        "rows": rows_total,
        "rows_used": len(ds),
    }
    return ds, info


def format_row(row: dict[str, Any]) -> tuple[str, str]:
    """(prompt, response) in the Alpaca template the study used (alpaca-lora's)."""
    return format_prompt(row["instruction"], row.get("input") or ""), row["output"]


def encode(
    tokenizer: Any, prompt: str, response: str, cutoff_len: int, train_on_inputs: bool = False
) -> dict[str, Any]:
    """Token ids and labels for one example; `labels` is None when nothing of the response survives.

    Over-long examples are truncated to `cutoff_len` tokens from the right (as alpaca-lora does): the end
    of the response and its EOS are cut off. Rows whose prompt alone fills `cutoff_len` have no response
    token left and are dropped by `tokenize_dataset`.
    """
    enc = tokenizer(prompt + response, add_special_tokens=True, return_offsets_mapping=True)
    ids: list[int] = list(enc["input_ids"])
    offsets = list(enc["offset_mapping"])
    eos = tokenizer.eos_token_id
    # A tokenizer that appends EOS itself marks it with an empty (0, 0) offset: drop it, we add our own.
    if ids and ids[-1] == eos and tuple(offsets[-1]) == (0, 0) and len(ids) > 1:
        ids, offsets = ids[:-1], offsets[:-1]
    boundary = len(prompt)
    # Tokens are contiguous, so the prompt is a prefix; a token that straddles the boundary counts as prompt.
    n_prompt = 0
    while n_prompt < len(ids) and offsets[n_prompt][0] < boundary:
        n_prompt += 1
    ids.append(eos)
    labels = list(ids) if train_on_inputs else [IGNORE_INDEX] * n_prompt + ids[n_prompt:]
    full_len = len(ids)
    ids, labels = ids[:cutoff_len], labels[:cutoff_len]
    has_response = any(lab != IGNORE_INDEX for lab in labels[n_prompt:]) if n_prompt < len(labels) else False
    return {
        "input_ids": ids,
        "labels": labels if has_response else None,
        "n_prompt": n_prompt,
        "full_len": full_len,
    }


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Right padding for training and a pad token (LLaMA has none: alpaca-lora pads with unk, id 0)."""
    if not getattr(tokenizer, "is_fast", False):
        raise UsageError(
            f"{type(tokenizer).__name__} is a slow tokenizer; wa-hub masks labels by character offsets, "
            "which needs a fast tokenizer (install `tokenizers` and use the model's tokenizer.json)"
        )
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token if tokenizer.unk_token is not None else tokenizer.eos_token
    return tokenizer


def tokenize_dataset(ds: Any, tokenizer: Any, spec: DataSpec) -> tuple[Any, dict[str, int]]:
    """Tokenized rows (input_ids, labels), packed when asked, and counts of truncated / dropped rows."""

    def _map(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"input_ids": [], "labels": [], "full_len": [], "keep": []}
        for i in range(len(batch["instruction"])):
            row = {k: batch[k][i] for k in REQUIRED_COLUMNS}
            prompt, response = format_row(row)
            e = encode(tokenizer, prompt, response, spec.cutoff_len, spec.train_on_inputs)
            out["input_ids"].append(e["input_ids"])
            out["labels"].append(
                e["labels"] if e["labels"] is not None else [IGNORE_INDEX] * len(e["input_ids"])
            )
            out["full_len"].append(e["full_len"])
            out["keep"].append(e["labels"] is not None)
        return out

    tok = ds.map(_map, batched=True, remove_columns=ds.column_names, desc="Tokenizing")
    stats = {
        "examples": len(tok),
        "truncated": sum(1 for n in tok["full_len"] if n > spec.cutoff_len),
        "dropped_no_response": sum(1 for k in tok["keep"] if not k),
    }
    tok = tok.filter(lambda k: k, input_columns="keep").remove_columns(["keep", "full_len"])
    if len(tok) == 0:
        raise UsageError(f"no training example has a response token within cutoff_len={spec.cutoff_len}")
    stats["tokens"] = sum(len(x) for x in tok["input_ids"])
    stats["label_tokens"] = sum(sum(1 for v in lab if v != IGNORE_INDEX) for lab in tok["labels"])
    if spec.packing:
        from trl.data_utils import pack_dataset

        tok = pack_dataset(tok, spec.cutoff_len, strategy="bfd")
        stats["packed_rows"] = len(tok)
    return tok, stats


@dataclass
class SFTCollator:
    """Right-pads a batch; packed rows get restarting position_ids and no attention mask."""

    pad_token_id: int

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        packed = "seq_lengths" in features[0]
        ids, labels, extra = [], [], []
        for f in features:
            n = len(f["input_ids"])
            pad = longest - n
            ids.append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            lab = list(f["labels"]) + [IGNORE_INDEX] * pad
            if packed:
                pos: list[int] = []
                for length in f["seq_lengths"]:
                    lab[len(pos)] = (
                        IGNORE_INDEX  # never predict a segment's first token from the previous one
                    )
                    pos.extend(range(length))
                pos.extend(range(pad))  # padding is its own segment
                extra.append(pos)
            else:
                extra.append([1] * n + [0] * pad)
            labels.append(lab)
        batch = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}
        batch["position_ids" if packed else "attention_mask"] = torch.tensor(extra)
        return batch
