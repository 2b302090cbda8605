"""Keeping Hub tokens out of everything we publish, print or raise.

A push knows the token it authenticates with (argument, `HF_TOKEN`, or the `hf auth login` cache); before
anything leaves the machine every staged file is scanned for that exact value and for anything shaped like
a Hugging Face token, and error messages are redacted. Hand-written: no library scans files for secrets
without also bringing a whole policy engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

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


def _scan_file(path: Path, needles: list[bytes]) -> str | None:
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
        found = _scan_bytes(src, needles) if isinstance(src, bytes) else _scan_file(src, needles)
        if found:
            hits.append((name, found))
    return hits


def check_no_secrets(files: Mapping[str, Path | bytes], secrets: Iterable[str | None]) -> None:
    """Refuse to publish when any staged file holds a token (the file is named, the value never shown)."""
    hits = find_secrets(files, secrets)
    if hits:
        lines = [f"  - {name}: contains {what}" for name, what in hits]
        raise WaHubError(
            "refusing to publish: secrets found in the files to push\n"
            + "\n".join(lines)
            + "\nremove them from the folder (and rotate the token if it was ever shared)"
        )
