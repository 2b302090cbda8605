"""The gold sources' spaCy parses, made once per benchmark and reused by every system ERRANT scores.

A gold's `S` lines are the same whatever system is scored, and parsing them is half of ERRANT's work. The
parses are kept in memory for the process (the last few golds) and on disk under the wa-hub cache
(`$WA_HUB_CACHE/errant/KEY.spacy`, else `~/.cache/wa-hub/errant`), KEY the sha256 of the sources and of
everything that could change a parse (spaCy, thinc, NumPy and ERRANT versions, the pipeline's name, version
and components). A file is trusted only when its header names that key and its payload's sha256 matches,
it decodes, and it holds one Doc per source with the source's very tokens; anything else (a truncated,
corrupted or stale file) is parsed again and written over, atomically. A cache that cannot be written
(read-only, full) only costs the parse: the results never depend on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FORMAT = 1
MAGIC = b"wa-hub errant parses\n"
_MEMO: OrderedDict[str, list[Any]] = OrderedDict()
_MEMO_SIZE = 4  # golds kept in memory: a benchmark's ERRANT and re-typed CoNLL-14 sets, with room to spare


def cache_root() -> Path:
    """Where the parses are stored: `$WA_HUB_CACHE/errant`, else `~/.cache/wa-hub/errant`."""
    from wa_hub.models import cache_dir

    return cache_dir() / "errant"


def versions(nlp: Any) -> dict[str, Any]:
    """What a parse depends on besides the text."""
    import errant
    import numpy
    import spacy
    import thinc

    meta = nlp.meta
    return {
        "format": FORMAT,
        "spacy": spacy.__version__,
        "thinc": thinc.__version__,
        "numpy": numpy.__version__,
        "errant": errant.__version__,
        "pipeline": f"{meta.get('lang', '?')}_{meta.get('name', '?')}-{meta.get('version', '?')}",
        "components": list(nlp.pipe_names),
    }


def cache_key(sources: Sequence[str], nlp: Any) -> str:
    """The sha256 naming the parses of `sources` by this pipeline."""
    h = hashlib.sha256(json.dumps(versions(nlp), sort_keys=True).encode())
    for s in sources:
        h.update(b"\n" + s.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _parse(sources: Sequence[str], nlp: Any) -> list[Any]:
    from wa_hub.metrics._errant_parse import parse

    return parse(sources, nlp)


def _encode(key: str, docs: Sequence[Any]) -> bytes:
    from spacy.tokens import DocBin

    payload = DocBin(docs=docs, store_user_data=False).to_bytes()
    header = {"key": key, "n": len(docs), "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def _decode(data: bytes, key: str, sources: Sequence[str], nlp: Any) -> list[Any] | None:
    """The Docs in a cache file, or None when it is not exactly the parses of `sources` under `key`."""
    from spacy.tokens import DocBin

    if not data.startswith(MAGIC):
        return None
    head, sep, payload = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        return None
    expected = {"key": key, "n": len(sources), "sha256": hashlib.sha256(payload).hexdigest()}
    if not sep or header != expected:
        return None
    try:
        docs = list(DocBin(store_user_data=False).from_bytes(payload).get_docs(nlp.vocab))
    except Exception:  # noqa: BLE001 - whatever a damaged payload raises, it is parsed again
        return None
    strings = nlp.vocab.strings
    if len(docs) != len(sources):
        return None
    for doc, source in zip(docs, sources, strict=True):
        if [strings[t.orth] for t in doc] != source.split():
            return None
    return docs


def parsed_sources(sources: Sequence[str], nlp: Any, *, cache: bool = True) -> list[Any]:
    """spaCy Docs of the tokenized `sources` (split on spaces), as `nlp.pipe` makes them; with `cache`,
    from memory or disk when those hold exactly these parses, else parsed and stored."""
    if not cache:
        return _parse(sources, nlp)
    key = cache_key(sources, nlp)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    path = cache_root() / f"{key}.spacy"
    docs = None
    with contextlib.suppress(OSError):  # no file yet, or unreadable: parse
        docs = _decode(path.read_bytes(), key, sources, nlp)
    if docs is None:
        docs = _parse(sources, nlp)
        _store(path, key, docs)
    _MEMO[key] = docs
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return docs


def _store(path: Path, key: str, docs: Sequence[Any]) -> None:
    from wa_hub.errors import WaHubError
    from wa_hub.fileio import atomic_write_bytes

    with contextlib.suppress(OSError, WaHubError):  # an unwritable cache costs a parse, nothing else
        atomic_write_bytes(path, _encode(key, docs))


def forget() -> None:
    """Drop the in-memory parses (the disk cache stays): the next call reads or parses again."""
    _MEMO.clear()
