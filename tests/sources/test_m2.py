"""The M2 codec (`wa_hub.m2`): parse, apply one annotator's edits, write back; on hand-made blocks, the
shipped samples and the real CoNLL-2014 gold."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub.build import sample_raw_dir
from wa_hub.errors import MalformedInputError
from wa_hub.m2 import (
    Block,
    Edit,
    apply_edits,
    file_annotators,
    format_block,
    noop_edit,
    parse_block,
    parse_edit,
    read_m2,
    write_m2,
)

DATA = Path(__file__).parent / "data"

FIXTURE = """S The cat sat in mat .
A 3 4|||R:PREP|||on|||REQUIRED|||-NONE-|||0
A 4 4|||M:DET|||the|||REQUIRED|||-NONE-|||0
A 3 4|||R:PREP|||on||upon|||REQUIRED|||-NONE-|||1
A 4 4|||M:DET|||a|||REQUIRED|||-NONE-|||1

S This is is fine .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0
A 2 3|||U:VERB||||||REQUIRED|||-NONE-|||1

S He go home yesterday yesterday .
A 1 2|||R:VERB:TENSE|||went|||REQUIRED|||-NONE-|||0
A 4 5|||U:ADV|||-NONE-|||REQUIRED|||-NONE-|||0

S Nothing to fix here .

"""


def write(tmp_path: Path, text: str, name: str = "x.m2") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_parse_gives_edits_per_annotator(tmp_path: Path) -> None:
    blocks = read_m2(write(tmp_path, FIXTURE))
    assert [b.line for b in blocks] == [1, 7, 11, 15]
    first = blocks[0]
    assert first.source == "The cat sat in mat ." and first.annotators == (0, 1)
    assert first.edits_of(1)[0] == Edit(3, 4, "R:PREP", ("on", "upon"), 1)
    assert first.edits_of(1)[0].line == 4
    noop, deletion = blocks[1].edits
    assert noop.is_noop and noop == noop_edit(0) and not deletion.is_noop
    assert deletion.corrections == ("",) and deletion.correction == ""
    assert blocks[3].edits == () and blocks[3].annotators == ()
    assert file_annotators(blocks) == (0, 1)
    assert file_annotators([Block("a b")]) == (0,)


def test_apply_one_annotators_edits(tmp_path: Path) -> None:
    blocks = read_m2(write(tmp_path, FIXTURE))
    assert apply_edits(blocks[0], 0) == "The cat sat on the mat ."
    assert apply_edits(blocks[0], 1) == "The cat sat on a mat ."  # `||` alternatives: the first
    assert apply_edits(blocks[1], 0) == "This is is fine ."  # noop: nothing changes
    assert apply_edits(blocks[1], 1) == "This is fine ."  # an empty correction deletes
    assert (
        apply_edits(blocks[2], 0) == "He went home yesterday ."
    )  # -NONE- deletes, as the M2 scorer reads it
    assert apply_edits(blocks[3], 0) == apply_edits(blocks[3], 5) == "Nothing to fix here ."
    # insertions at one place keep their file order; edits are applied in span order, whatever the file's
    block = parse_block(
        "S a b c\nA 2 3|||R|||C|||REQUIRED|||-NONE-|||0\nA 1 1|||M|||x|||REQUIRED|||-NONE-|||0\n"
        "A 1 1|||M|||y|||REQUIRED|||-NONE-|||0\nA 0 1|||R|||A B|||REQUIRED|||-NONE-|||0"
    )
    assert apply_edits(block) == "A B x y b C"


def test_write_gives_the_text_back(tmp_path: Path) -> None:
    path = write(tmp_path, FIXTURE)
    blocks = read_m2(path)
    assert "".join(format_block(b) + "\n\n" for b in blocks) == FIXTURE
    assert [parse_block(format_block(b)) for b in blocks] == blocks
    out = tmp_path / "out" / "copy.m2"
    write_m2(out, blocks)
    assert out.read_text(encoding="utf-8") == FIXTURE and read_m2(out) == blocks


def test_crlf_and_blank_lines_around_a_block(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\r\n" + FIXTURE.replace("\n", "\r\n"))
    blocks = read_m2(path)
    assert blocks == read_m2(write(tmp_path, FIXTURE, "lf.m2"))
    assert blocks[0].line == 3
    assert parse_block("\n\nS a b\nA 0 1|||R|||c|||REQUIRED|||-NONE-|||0\n\n").edits[0].line == 4


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("S a b c .\nA 1 x|||R:NOUN|||d|||REQUIRED|||-NONE-|||0\n", 2, "with integer offsets and annotator"),
        ("S a b c .\nA 1 2|||R:NOUN|||d|||REQUIRED|||-NONE-|||zero\n", 2, "with integer offsets"),
        ("S a b c .\nA 1 2|||R:NOUN|||d|||REQUIRED|||0\n", 2, "an edit line 'A <start> <end>"),
        ("S a b c .\nA 1|||R:NOUN|||d|||REQUIRED|||-NONE-|||0\n", 2, "an edit line"),
        ("S a b .\n\nS c .\nfoo\n", 4, "an edit line"),
        ("A 0 1|||R|||c|||REQUIRED|||-NONE-|||0\n", 1, "a sentence line 'S <tokens>'"),
        ("S a b .\nS c d .\n", 2, "a blank line before the next 'S' line"),
        ("S a b .\nI a note\n", 2, "an edit line"),
        ("S a b c .\nA 2 1|||R|||x|||REQUIRED|||-NONE-|||0\n", 2, "an edit span with start <= end"),
        (
            "S a b .\nA 2 9|||R|||x|||REQUIRED|||-NONE-|||0\n",
            2,
            "an edit span within the sentence's 3 tokens",
        ),
        ("S a b .\nA -2 0|||R|||x|||REQUIRED|||-NONE-|||0\n", 2, "within the sentence"),
        (
            "S a b c .\nA 0 2|||R|||x|||REQUIRED|||-NONE-|||0\nA 3 4|||R|||x|||REQUIRED|||-NONE-|||1\n"
            "A 1 3|||R|||y|||REQUIRED|||-NONE-|||0\n",
            4,
            "edits of annotator 0 that do not overlap (this one overlaps '0 2' on line 2)",
        ),
        (
            "S a b c .\nA 1 1|||M|||x|||REQUIRED|||-NONE-|||0\nA 0 2|||R|||y|||REQUIRED|||-NONE-|||0\n",
            2,
            "that do not overlap",
        ),
    ],
)
def test_malformed_input_names_file_and_line(tmp_path: Path, text: str, line: int, expected: str) -> None:
    with pytest.raises(MalformedInputError, match=rf"x\.m2:{line}: expected ") as e:
        read_m2(write(tmp_path, text))
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.m2"
    path.write_bytes(b"S a b .\n\nS c \xff d .\n")
    with pytest.raises(MalformedInputError, match=r"x\.m2:3: expected UTF-8 text"):
        read_m2(path)


def test_lenient_reading_keeps_what_the_official_scorer_accepts(tmp_path: Path) -> None:
    text = "S a b .\nS c .\nI a note\n"
    text += "A 2 9|||R|||x|||REQUIRED|||-NONE-|||0\nA 1 0|||R|||y|||REQUIRED|||-NONE-|||1\n"
    (block,) = read_m2(write(tmp_path, text), strict=False)
    assert block.source == "a b ." and block.extra_sources == ("c .",)
    assert [(e.start, e.end) for e in block.edits] == [(2, 9), (1, 0)]
    # still an error when applied: the spans are checked for the annotator applied
    with pytest.raises(MalformedInputError, match=r"x\.m2:4: expected an edit span within"):
        apply_edits(block, 0)
    with pytest.raises(MalformedInputError, match="x.m2:1: expected a sentence line"):
        read_m2(write(tmp_path, "A 0 1|||R|||c|||REQUIRED|||-NONE-|||0\n"), strict=False)


def test_parse_edit_alone() -> None:
    e = parse_edit("A 0 2|||R:OTHER|||x y||z|||REQUIRED|||-NONE-|||3", "gold", 7)
    assert (e.start, e.end, e.type, e.alternatives, e.annotator, e.line) == (
        0,
        2,
        "R:OTHER",
        ("x y", "z"),
        3,
        7,
    )
    assert parse_edit("A 0 1|||R|||-NONE-||a|||REQUIRED|||-NONE-|||0").alternatives == ("", "a")
    with pytest.raises(MalformedInputError, match=r"gold:7: expected an edit line"):
        parse_edit("A 0 1|||R|||a|||REQUIRED|||-NONE-|||1_0", "gold", 7)


def test_sample_wi_locness_edits_reproduce_the_intended_corrections() -> None:
    raw = sample_raw_dir() / "wi_locness"
    blocks = [b for f in "ABC" for b in read_m2(raw / f"{f}.train.gold.bea19.m2")]
    got = [apply_edits(b, 0) for b in blocks]
    want = (DATA / "wi_locness_train_corrected.txt").read_text(encoding="utf-8").splitlines()
    assert len(got) == len(want) >= 60
    assert got == want
    # most sample sentences carry real errors: the demo must have something to learn
    assert sum(b.source != g for b, g in zip(blocks, got, strict=True)) >= 55
    dev = [apply_edits(b, 0) for b in read_m2(raw / "ABCN.dev.gold.bea19.m2")]
    assert dev == (DATA / "wi_locness_dev_corrected.txt").read_text(encoding="utf-8").splitlines()


def test_sample_conll14_has_two_annotators_with_intended_corrections() -> None:
    blocks = read_m2(sample_raw_dir() / "conll14" / "official-2014.combined.m2")
    assert file_annotators(blocks) == (0, 1)
    want = [line.split("\t") for line in (DATA / "conll14_references.tsv").read_text().splitlines()]
    assert [[apply_edits(b, a) for a in (0, 1)] for b in blocks] == want
    assert len(blocks) == 8


@pytest.mark.conformance
def test_conll14_official_file(test_data: Path, tmp_path: Path) -> None:
    path = test_data / "conll14" / "official-2014.combined.m2"
    blocks = read_m2(path)
    assert len(blocks) == 1312
    assert file_annotators(blocks) == (0, 1)
    # written back, the blocks are the file, byte for byte; and read again, the same blocks
    text = path.read_text(encoding="utf-8")
    assert "".join(format_block(b) + "\n\n" for b in blocks) == text
    assert [parse_block(format_block(b), strict=True) for b in blocks] == blocks
    write_m2(tmp_path / "copy.m2", blocks)
    assert (tmp_path / "copy.m2").read_bytes() == path.read_bytes()
    # the -NONE- decision changes nothing here: deletions are empty corrections, -NONE- only in noops
    edits = [e for b in blocks for e in b.edits]
    assert all(e.is_noop for e in edits if "-NONE-" in e.corrections)
    assert sum(e.correction == "" for e in edits if not e.is_noop) > 1000
    refs = [[apply_edits(b, a) for a in (0, 1)] for b in blocks]
    # both annotators really differ somewhere, and each corrects many sentences
    assert sum(r[0] != r[1] for r in refs) > 300
    assert sum(r[0] != b.source for r, b in zip(refs, blocks, strict=True)) > 500
    assert sum(r[1] != b.source for r, b in zip(refs, blocks, strict=True)) > 500
    # the fourth sentence: "certain disease" -> "certain diseases" (annotator 0)
    assert blocks[3].source == "People get certain disease because of genetic changes ."
    assert refs[3][0] == "People get certain diseases because of genetic changes ."
    # the lenient reading (the scorer's) gives the same blocks on a well-formed file
    assert read_m2(path, strict=False) == blocks
