"""Reader for line-aligned text files: a source file and one or more reference files, one sentence a line.

Used for WikiLarge (`.src`/`.dst`), TurkCorpus (`.norm`/`.turk.0..7`), ASSET (`.orig`/`.simp.0..9`) and
JFLEG (`.src`/`.ref0..3`). Lines are kept exactly as published (`wa_hub.fileio.read_lines`: only the line
break is removed).
"""

from __future__ import annotations

from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import read_lines


def read_parallel(source: str | Path, references: list[str | Path]) -> list[tuple[str, list[str]]]:
    """Pairs of (source line, [reference lines]); every file must have the same number of lines."""
    src = read_lines(source)
    refs = [read_lines(r) for r in references]
    for path, lines in zip(references, refs, strict=True):
        if len(lines) != len(src):
            raise MalformedInputError(
                path,
                min(len(lines), len(src)) + 1,
                f"one line per line of {Path(source).name} ({len(src)} lines)",
                f"{len(lines)} lines",
            )
    return [(s, [r[i] for r in refs]) for i, s in enumerate(src)]
