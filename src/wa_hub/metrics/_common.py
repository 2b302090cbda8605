"""Shared input handling of the metrics: reading one-sentence-a-line files and checking parallel inputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wa_hub.errors import WaHubError
from wa_hub.fileio import read_text


def read_lines(path: str | Path) -> list[str]:
    """One sentence a line, exactly as the file has them.

    Splits on "\\n" only (not `str.splitlines`, which also splits on U+2028, form feeds and other
    characters that occur inside sentences and would shift every later line), drops one "\\r" at a line's
    end and the empty string after the final newline.
    """
    p = Path(path)
    text = read_text(p)
    if text == "":
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def check_same_length(what: str, counts: dict[str, int]) -> None:
    """Raise a WaHubError naming every input and its count unless all counts agree."""
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in counts.items())
        raise WaHubError(f"{what}: inputs differ in length ({listed}); one sentence a line is expected")


def check_references(references: Sequence[Sequence[str]], n: int) -> None:
    """`references[i]` must be a non-empty list of strings for each of the n sentences."""
    if isinstance(references, str) or any(isinstance(r, str) for r in references):
        raise WaHubError(
            "references must be a list of lists (references[i] = the references of sentence i), "
            "not a list of strings"
        )
    check_same_length("references", {"sources": n, "references": len(references)})
    empty = [i for i, refs in enumerate(references) if len(refs) == 0]
    if empty:
        raise WaHubError(f"sentence {empty[0]} (0-based) has no reference; each needs at least one")


def transpose(columns: Sequence[Sequence[str]]) -> list[list[str]]:
    """Reference files (one list per file) -> references[i] (one list per sentence)."""
    return [list(row) for row in zip(*columns, strict=True)]
