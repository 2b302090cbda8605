"""Shared input checks of the metrics (parallel inputs, references), and reference files -> references[i]."""

from __future__ import annotations

import math
from collections.abc import Sequence

from wa_hub.errors import UsageError, WaHubError


def check_same_length(what: str, counts: dict[str, int]) -> None:
    """Raise a WaHubError naming every input and its count unless all counts agree."""
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in counts.items())
        raise WaHubError(f"{what}: inputs differ in length ({listed}); one sentence a line is expected")


def check_not_empty(metric: str, n: int) -> None:
    """Nothing to score is an error, not a perfect score (P = R = 1 with no edits gives F = 100)."""
    if n == 0:
        raise UsageError(f"{metric}: no sentences to score (the inputs are empty)")


def check_beta(metric: str, beta: float) -> None:
    """F-beta's beta is a positive number (nan would print as invalid JSON, -1 as a silent F1)."""
    if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
        raise UsageError(f"{metric}: beta (--beta) must be a positive number, got {beta!r}")


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
