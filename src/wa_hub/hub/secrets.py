"""Keeping Hub tokens out of everything we publish, print or raise.

A push knows the token it authenticates with (argument, `HF_TOKEN`, or the `hf auth login` cache); before
anything leaves the machine every staged file is scanned for that exact value and for anything shaped like
a Hugging Face token, and error messages are redacted. The scan reads what a reader of the file would see,
not only its bytes: Parquet pages are compressed (a token in a row is not in the file's bytes), so Parquet
files are decoded and every string value is scanned; every other file (cards, JSON, YAML, tokenizers,
safetensors headers) is scanned as it is, and so is every path in the repo. Hand-written: no library scans
files for secrets without also bringing a whole policy engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from wa_hub.errors import WaHubError

# User access tokens (`hf_` + 34 letters/digits) and the older org API tokens (`api_org_...`).
TOKEN_PATTERN = re.compile(rb"\b(?:hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,})\b")
_CHUNK = 1 << 20
REDACTED = "***"


def known_token(token: str | None = None) -> str | None:
    """The token a push would use: the argument, else `HF_TOKEN`, else the login cache (never printed)."""
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret value and every token-shaped string replaced by `***`."""
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED.encode(), text.encode("utf-8", "surrogateescape")).decode(
        "utf-8", "surrogateescape"
    )


def _scan_bytes(data: bytes, needles: list[bytes]) -> str | None:
    for n in needles:
        if n in data:
            return "the Hub token in use"
    if TOKEN_PATTERN.search(data):
        return "a Hugging Face token"
    return None


def _strings(values: Any) -> Iterator[str]:
    """Every string inside an Arrow array: plain, in lists, in structs, dictionary-encoded."""
    import pyarrow as pa

    t = values.type
    if pa.types.is_dictionary(t):
        yield from _strings(values.dictionary)
    elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        yield from _strings(values.flatten())
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            yield from _strings(values.field(i))
    elif pa.types.is_map(t):
        yield from _strings(values.keys)
        yield from _strings(values.items)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        yield from (v for v in values.to_pylist() if v is not None)


def _scan_parquet(name: str, src: Path | bytes, needles: list[bytes]) -> str | None:
    """Every string of every row (lists and structs included), decoded, a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(pa.BufferReader(src) if isinstance(src, bytes) else src)
        for i in range(f.num_row_groups):
            for column in f.read_row_group(i).columns:
                text = "\n".join(_strings(column.combine_chunks()))
                found = _scan_bytes(text.encode("utf-8", "surrogateescape"), needles)
                if found:
                    return found
    except (OSError, pa.ArrowException) as e:
        raise WaHubError(f"{name}: cannot read this Parquet file to scan it for secrets ({e})") from None
    return None


def _scan(name: str, src: Path | bytes, needles: list[bytes]) -> str | None:
    """The path, the bytes as stored, then the decoded rows of a Parquet file."""
    found = _scan_bytes(name.encode("utf-8", "surrogateescape"), needles)
    found = found or (_scan_bytes(src, needles) if isinstance(src, bytes) else _scan_raw_file(src, needles))
    if found or not name.endswith(".parquet"):
        return found
    return _scan_parquet(name, src, needles)


def _scan_raw_file(path: Path, needles: list[bytes]) -> str | None:
    overlap = max([len(n) for n in needles] + [64])
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            found = _scan_bytes(tail + chunk, needles)
            if found:
                return found
            tail = chunk[-overlap:]
    return None


def find_secrets(files: Mapping[str, Path | bytes], secrets: Iterable[str | None]) -> list[tuple[str, str]]:
    """(path in repo, what was found) for every staged file that holds a secret; empty when clean."""
    needles = [s.encode() for s in secrets if s]
    hits = []
    for name, src in files.items():
        found = _scan(name, src, needles)
        if found:
            hits.append((name, found))
    return hits


def check_no_secrets(files: Mapping[str, Path | bytes], secrets: Iterable[str | None]) -> None:
    """Refuse to publish when any staged file holds a token (the file is named, the value never shown)."""
    hits = find_secrets(files, secrets)
    if hits:
        found = "; ".join(f"{name} contains {what}" for name, what in hits)
        raise WaHubError(
            f"refusing to publish, secrets found in the files to push: {found}; remove them from the folder "
            "(and rotate the token if it was ever shared)"
        )
