"""The plain record every reader produces and every builder consumes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One input/output pair from a raw source, before it becomes a dataset row.

    `id` is stable: `<source>-<index in the source's files>`, so the same raw files give the same ids.
    `references` holds every reference when a source has several (benchmark sets); `output` is the one
    chosen for training. `instruction` is set only by sources that carry their own (Alpaca).
    """

    id: str
    task: str
    input: str
    output: str
    source: str
    instruction: str = ""
    references: tuple[str, ...] = ()
    m2: str = ""
