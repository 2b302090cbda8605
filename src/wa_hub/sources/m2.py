"""Reader for M2 files (CoNLL-2014 and ERRANT/BEA-2019 gold): sentences, edits, corrected sentences.

Format: a block per sentence, `S <tokens>` then `A <start> <end>|||<type>|||<correction>|||REQUIRED|||
-NONE-|||<annotator>` lines, blank line between blocks. Offsets are token offsets into the `S` line.
`noop` edits and `-NONE-` corrections change nothing; an empty correction deletes the span; a
correction with `||` alternatives uses the first. Written here because ERRANT and the M2 scorer
read M2 only for scoring and expose no function that applies one annotator's edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError

_EDIT_FORMAT = "an edit line 'A <start> <end>|||<type>|||<correction>|||REQUIRED|||-NONE-|||<annotator>'"


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    type: str
    correction: str
    annotator: int

    @property
    def changes_text(self) -> bool:
        return not (self.type == "noop" or self.correction == "-NONE-" or self.start < 0)


@dataclass(frozen=True)
class M2Sentence:
    """One M2 block: the source tokens, its edits, the block verbatim and where it starts."""

    source: str
    edits: tuple[Edit, ...]
    block: str
    line: int  # 1-based line of the `S` line

    @property
    def annotators(self) -> tuple[int, ...]:
        return tuple(sorted({e.annotator for e in self.edits}))

    def corrected(self, annotator: int = 0, path: str | Path = "<m2>") -> str:
        """The sentence with `annotator`'s edits applied (the source when it has none)."""
        return apply_edits(self.source, [e for e in self.edits if e.annotator == annotator], path, self.line)


def apply_edits(source: str, edits: list[Edit], path: str | Path = "<m2>", line: int | None = None) -> str:
    """Apply one annotator's edits to a tokenized sentence; overlapping or out-of-range edits are errors."""
    tokens = source.split(" ") if source else []
    out: list[str] = []
    pos = 0
    for e in sorted((e for e in edits if e.changes_text), key=lambda e: (e.start, e.end)):
        if e.start < pos or e.end > len(tokens) or e.end < e.start:
            raise MalformedInputError(
                path,
                line,
                f"edits of annotator {e.annotator} within the sentence's {len(tokens)} tokens and not "
                "overlapping each other",
                f"{e.start} {e.end}|||{e.type}|||{e.correction}",
            )
        out.extend(tokens[pos : e.start])
        correction = e.correction.split("||")[0]
        if correction:
            out.extend(correction.split(" "))
        pos = e.end
    out.extend(tokens[pos:])
    return " ".join(out)


def _parse_edit(text: str, path: Path, line: int) -> Edit:
    fields = text[2:].split("|||")
    span = fields[0].split()
    if len(fields) < 6 or len(span) != 2:
        raise MalformedInputError(path, line, _EDIT_FORMAT, text)
    try:
        return Edit(int(span[0]), int(span[1]), fields[1], fields[2], int(fields[5]))
    except ValueError:
        raise MalformedInputError(
            path, line, _EDIT_FORMAT + " with integer offsets and annotator", text
        ) from None


def iter_m2(path: str | Path) -> Iterator[M2Sentence]:
    """Yield each sentence block of an M2 file in order."""
    path = Path(path)
    source: str | None = None
    start = 0
    edits: list[Edit] = []
    lines: list[str] = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                if source is not None:
                    yield M2Sentence(source, tuple(edits), "\n".join(lines), start)
                    source, edits, lines = None, [], []
                continue
            if text.startswith("S ") or text == "S":
                if source is not None:
                    raise MalformedInputError(path, n, "a blank line before the next 'S' line", text)
                source, start, lines = text[2:], n, [text]
            elif text.startswith("A "):
                if source is None:
                    raise MalformedInputError(path, n, "an 'S <tokens>' line before edit lines", text)
                edits.append(_parse_edit(text, path, n))
                lines.append(text)
            else:
                raise MalformedInputError(path, n, "a line starting with 'S ' or 'A ', or a blank line", text)
    if source is not None:
        yield M2Sentence(source, tuple(edits), "\n".join(lines), start)


def read_m2(path: str | Path) -> list[M2Sentence]:
    """Every sentence block of an M2 file."""
    return list(iter_m2(path))


def file_annotators(sentences: list[M2Sentence]) -> tuple[int, ...]:
    """The annotators of a whole file (a sentence with none of an annotator's edits keeps its source)."""
    found = sorted({a for s in sentences for a in s.annotators})
    return tuple(found) or (0,)


def references(sentence: M2Sentence, annotators: tuple[int, ...], path: str | Path = "<m2>") -> list[str]:
    """Each annotator's corrected sentence, in annotator order."""
    return [sentence.corrected(a, path) for a in annotators]
