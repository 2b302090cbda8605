"""M2, the gold-edit format of CoNLL-2014 and BEA-2019: the one parser and writer of it in wa-hub.

A file is blocks separated by blank lines; a block is one sentence line and its edit lines:

    S <tokens separated by spaces>
    A <start> <end>|||<type>|||<correction>[||<alternative>...]|||<required>|||<comment>|||<annotator>

Offsets index the sentence's whitespace-split tokens, end exclusive (start == end inserts before token
`start`). What each part means, decided here once for the dataset readers, the scorers and `evaluate`:

- `-NONE-` as a correction is the empty correction: applying the edit deletes its span. This is how the
  official m2scorer reads it. ERRANT writes `-NONE-` only in noop lines and the CoNLL-2014 gold writes its
  deletions as empty corrections, so no real gold file is read differently by any of the three.
- A noop edit (`A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||<annotator>`) changes nothing: that annotator
  found nothing to correct, and still counts as an annotator. Any edit with the span `-1 -1` is a noop too.
- `||` separates alternative corrections of one edit; applying an edit uses the first.
- Corrections are kept as written (the official scorer strips them: `wa_hub.metrics.m2` does that).
- One annotator's edits apply in (start, end) order; several insertions at one place in file order.

`read_m2` checks every line (six fields, integer offsets and annotator) and, with `strict=True` (the
default), that the tokens of the `S` line are separated by single spaces (else the offsets are ambiguous)
and that each annotator's spans lie within the sentence, are not reversed and do not overlap; a
failure is one `MalformedInputError` naming the file and line. The scorers read with `strict=False`, so a
block may carry several `S` lines or `I` lines, as the official scorer accepts, and check only that spans
lie within the block's tokens and are not reversed (`check_bounds`).

ERRANT and the m2scorer read M2 only inside their scoring commands and expose no reader, writer or edit
application for other uses, so this module is ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import atomic_write_text, read_text

NONE = "-NONE-"
NOOP = "noop"
EDIT_FORMAT = "an edit line 'A <start> <end>|||<type>|||<correction>|||REQUIRED|||-NONE-|||<annotator>'"
SENTENCE_FORMAT = "a sentence line 'S <tokens>'"
_INT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Edit:
    """One `A` line. `corrections` are the alternatives as written (`-NONE-` included)."""

    start: int
    end: int
    type: str
    corrections: tuple[str, ...] = ("",)
    annotator: int = 0
    required: str = "REQUIRED"
    comment: str = NONE
    line: int | None = field(default=None, compare=False)  # where it was read, for errors

    @property
    def is_noop(self) -> bool:
        """Changes nothing: a `noop` edit, or the span `-1 -1`."""
        return self.type == NOOP or (self.start, self.end) == (-1, -1)

    @property
    def alternatives(self) -> tuple[str, ...]:
        """The corrections as text: `-NONE-` is the empty correction (a deletion)."""
        return tuple("" if c == NONE else c for c in self.corrections)

    @property
    def correction(self) -> str:
        """What applying the edit writes in place of its span: the first alternative."""
        return self.alternatives[0]


def noop_edit(annotator: int = 0) -> Edit:
    """The line ERRANT writes for a sentence an annotator (or a system) left unchanged."""
    return Edit(-1, -1, NOOP, (NONE,), annotator)


@dataclass(frozen=True)
class Block:
    """One sentence and its edits, in file order, every annotator's together."""

    source: str  # the `S` line without its "S ", verbatim
    edits: tuple[Edit, ...] = ()
    where: str = field(default="<m2>", compare=False)  # file (or name) and line of the `S` line, for errors
    line: int = field(default=1, compare=False)
    extra_sources: tuple[str, ...] = ()  # more `S` lines in the block (only read with strict=False)

    @property
    def tokens(self) -> list[str]:
        return self.source.split()

    @property
    def annotators(self) -> tuple[int, ...]:
        """Every annotator with an edit line in the block (noop lines included), ascending."""
        return tuple(sorted({e.annotator for e in self.edits}))

    def edits_of(self, annotator: int) -> tuple[Edit, ...]:
        return tuple(e for e in self.edits if e.annotator == annotator)


def _is_sentence(text: str) -> bool:
    return text.startswith("S ") or text == "S"


def parse_edit(text: str, where: str | Path = "<m2>", line: int | None = None) -> Edit:
    """One `A` line; anything else is a MalformedInputError naming `where` and `line`."""
    fields = text[2:].split("|||") if text.startswith("A ") else []
    span = fields[0].split() if fields else []
    if len(fields) != 6 or len(span) != 2:
        raise MalformedInputError(where, line, EDIT_FORMAT, text)
    numbers = (span[0], span[1], fields[5].strip())
    if not all(_INT.fullmatch(x) for x in numbers):
        raise MalformedInputError(where, line, EDIT_FORMAT + " with integer offsets and annotator", text)
    start, end, annotator = (int(x) for x in numbers)
    corrections = tuple(fields[2].split("||"))
    return Edit(start, end, fields[1], corrections, annotator, fields[3], fields[4], line)


def _parse_lines(lines: Sequence[str], where: str | Path, first: int, strict: bool) -> Block:
    if not lines or not _is_sentence(lines[0]):
        raise MalformedInputError(where, first, SENTENCE_FORMAT, lines[0] if lines else "")
    extra: list[str] = []
    edits: list[Edit] = []
    for n, text in enumerate(lines[1:], first + 1):
        if _is_sentence(text) and not strict:
            extra.append(text[2:])
        elif text.startswith("I ") and not strict:
            continue  # the official scorer skips them
        elif _is_sentence(text):
            raise MalformedInputError(where, n, "a blank line before the next 'S' line", text)
        else:
            edits.append(parse_edit(text, where, n))
    block = Block(lines[0][2:], tuple(edits), str(where), first, tuple(extra))
    if strict:
        if block.source != " ".join(block.tokens):
            # `a  b`: is `b` token 1 (split on whitespace) or 2 (split on " ")? The offsets mean one of them.
            raise MalformedInputError(
                where, first, SENTENCE_FORMAT + " with tokens separated by single spaces", lines[0]
            )
        for annotator in block.annotators:
            check_spans(block, annotator)
    return block


def _split(text: str) -> list[str]:
    """Lines split on "\\n" only, one "\\r" before each dropped (CRLF files)."""
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def parse_block(text: str, *, where: str | Path = "<m2>", line: int = 1, strict: bool = True) -> Block:
    """One block (blank lines around it are ignored); `where` and `line` place its first line in errors."""
    lines = _split(text)
    while lines and not lines[0].strip():
        lines.pop(0)
        line += 1
    while lines and not lines[-1].strip():
        lines.pop()
    return _parse_lines(lines, where, line, strict)


def read_m2(path: str | Path, *, strict: bool = True) -> list[Block]:
    """Every block of an M2 file, each line checked (see the module docstring for `strict`)."""
    p = Path(path)
    blocks: list[Block] = []
    current: list[str] = []
    first = 1
    for n, text in enumerate([*_split(read_text(p, newline="")), ""], 1):
        if text.strip():
            if not current:
                first = n
            current.append(text)
        elif current:
            blocks.append(_parse_lines(current, p, first, strict))
            current = []
    return blocks


def _check_span(block: Block, e: Edit, n: int) -> None:
    if e.end < e.start:
        raise MalformedInputError(block.where, e.line, "an edit span with start <= end", format_edit(e))
    if e.start < 0 or e.end > n:
        raise MalformedInputError(
            block.where, e.line, f"an edit span within the sentence's {n} tokens", format_edit(e)
        )


def check_bounds(block: Block) -> None:
    """Every edit's span lies within the block's tokens (all its `S` lines) and is not reversed.

    What the scorers check: a gold span outside the sentence is a broken gold file, not an edit to drop
    (the official m2scorer) or count as missed (ERRANT), either of which gives a score for the wrong gold.
    """
    n = sum(len(s.split()) for s in (block.source, *block.extra_sources))
    for e in block.edits:
        if not e.is_noop:
            _check_span(block, e, n)


def check_spans(block: Block, annotator: int) -> None:
    """One annotator's edits can be applied: within the sentence, not reversed, not overlapping."""
    n = len(block.tokens)
    edits = [e for e in block.edits_of(annotator) if not e.is_noop]
    for e in edits:
        _check_span(block, e, n)
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, e in zip(ordered, ordered[1:], strict=False):
        if e.start < before.end:
            raise MalformedInputError(
                block.where,
                e.line,
                f"edits of annotator {annotator} that do not overlap (this one overlaps "
                f"'{before.start} {before.end}' on line {before.line})",
                format_edit(e),
            )


def apply_edits(block: Block, annotator: int = 0) -> str:
    """The sentence with one annotator's edits applied (the tokens unchanged when it has none)."""
    check_spans(block, annotator)
    tokens = block.tokens
    out: list[str] = []
    pos = 0
    for e in sorted((e for e in block.edits_of(annotator) if not e.is_noop), key=lambda e: (e.start, e.end)):
        out += tokens[pos : e.start]
        out += e.correction.split()
        pos = e.end
    out += tokens[pos:]
    return " ".join(out)


def file_annotators(blocks: Iterable[Block]) -> tuple[int, ...]:
    """The annotators of a whole file (0 alone when no block has an edit line)."""
    return tuple(sorted({a for b in blocks for a in b.annotators})) or (0,)


def format_edit(edit: Edit) -> str:
    span = f"A {edit.start} {edit.end}"
    return "|||".join(
        [span, edit.type, "||".join(edit.corrections), edit.required, edit.comment, str(edit.annotator)]
    )


def format_block(block: Block) -> str:
    """The block's lines (no trailing newline); what `parse_block` reads back into an equal Block."""
    sentences = [f"S {s}" for s in (block.source, *block.extra_sources)]
    return "\n".join([*sentences, *(format_edit(e) for e in block.edits)])


def write_m2(path: str | Path, blocks: Iterable[Block]) -> None:
    """An M2 file: each block followed by a blank line, as ERRANT and the CoNLL-2014 gold write them."""
    atomic_write_text(path, "".join(format_block(b) + "\n\n" for b in blocks))
