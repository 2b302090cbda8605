"""M2 reader: applying one annotator's edits, on fixtures written here, the shipped samples and CoNLL-14."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub.build import sample_raw_dir
from wa_hub.errors import MalformedInputError
from wa_hub.sources.m2 import file_annotators, read_m2, references

DATA = Path(__file__).parent / "data"

FIXTURE = """S The cat sat in mat .
A 3 4|||R:PREP|||on|||REQUIRED|||-NONE-|||0
A 4 4|||M:DET|||the|||REQUIRED|||-NONE-|||0
A 3 4|||R:PREP|||on||upon|||REQUIRED|||-NONE-|||1
A 4 4|||M:DET|||a|||REQUIRED|||-NONE-|||1

S This is is fine .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0
A 2 3|||U:VERB||||||REQUIRED|||-NONE-|||1

S He go home yesterday .
A 1 2|||UNK|||-NONE-|||REQUIRED|||-NONE-|||0

S Nothing to fix here .
"""


def write(tmp_path: Path, text: str, name: str = "x.m2") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_annotator_edits_insertions_deletions_noop(tmp_path: Path) -> None:
    sents = read_m2(write(tmp_path, FIXTURE))
    assert [s.line for s in sents] == [1, 7, 11, 14]
    assert sents[0].corrected(0) == "The cat sat on the mat ."
    # `||` alternatives: the first one is applied
    assert sents[0].corrected(1) == "The cat sat on a mat ."
    # noop leaves the sentence; an empty correction deletes the span
    assert sents[1].corrected(0) == "This is is fine ."
    assert sents[1].corrected(1) == "This is fine ."
    # -NONE- (detected, not corrected) changes nothing
    assert sents[2].corrected(0) == "He go home yesterday ."
    assert sents[3].edits == ()
    assert file_annotators(sents) == (0, 1)
    assert references(sents[3], (0, 1)) == ["Nothing to fix here ."] * 2
    assert sents[1].block == "S This is is fine .\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n" + (
        "A 2 3|||U:VERB||||||REQUIRED|||-NONE-|||1"
    )


def test_malformed_edit_names_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "S a b c .\nA 1 x|||R:NOUN|||d|||REQUIRED|||-NONE-|||0\n")
    with pytest.raises(MalformedInputError, match=r"x\.m2:2: expected an edit line"):
        read_m2(p)
    p = write(tmp_path, "S a b .\nfoo\n")
    with pytest.raises(MalformedInputError, match=r"x\.m2:2: expected a line starting with 'S '"):
        read_m2(p)


def test_overlapping_or_out_of_range_edits_are_errors(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "S a b c .\nA 0 2|||R:OTHER|||x|||REQUIRED|||-NONE-|||0\n"
        "A 1 3|||R:OTHER|||y|||REQUIRED|||-NONE-|||0\n",
    )
    (s,) = read_m2(p)
    with pytest.raises(MalformedInputError, match=r"x\.m2:1: .*not overlapping"):
        s.corrected(0, p)
    p = write(tmp_path, "S a b .\nA 2 9|||R:OTHER|||x|||REQUIRED|||-NONE-|||0\n")
    with pytest.raises(MalformedInputError, match="within the sentence's 3 tokens"):
        read_m2(p)[0].corrected(0, p)


def test_sample_wi_locness_edits_reproduce_the_intended_corrections() -> None:
    raw = sample_raw_dir() / "wi_locness"
    got = [s.corrected(0) for f in "ABC" for s in read_m2(raw / f"{f}.train.gold.bea19.m2")]
    want = (DATA / "wi_locness_train_corrected.txt").read_text(encoding="utf-8").splitlines()
    assert len(got) == len(want) >= 60
    assert got == want
    # most sample sentences carry real errors: the demo must have something to learn
    sources = [s.source for f in "ABC" for s in read_m2(raw / f"{f}.train.gold.bea19.m2")]
    assert sum(a != b for a, b in zip(sources, got, strict=True)) >= 55
    dev = [s.corrected(0) for s in read_m2(raw / "ABCN.dev.gold.bea19.m2")]
    assert dev == (DATA / "wi_locness_dev_corrected.txt").read_text(encoding="utf-8").splitlines()


def test_sample_conll14_has_two_annotators_with_intended_corrections() -> None:
    sents = read_m2(sample_raw_dir() / "conll14" / "official-2014.combined.m2")
    assert file_annotators(sents) == (0, 1)
    want = [line.split("\t") for line in (DATA / "conll14_references.tsv").read_text().splitlines()]
    assert [references(s, (0, 1)) for s in sents] == want
    assert len(sents) == 8


@pytest.mark.conformance
def test_conll14_official_file(test_data: Path) -> None:
    path = test_data / "conll14" / "official-2014.combined.m2"
    sents = read_m2(path)
    assert len(sents) == 1312
    annotators = file_annotators(sents)
    assert annotators == (0, 1)
    refs = [references(s, annotators, path) for s in sents]
    assert all(len(r) == 2 for r in refs)
    # both annotators really differ somewhere, and each corrects many sentences
    assert sum(r[0] != r[1] for r in refs) > 300
    assert sum(r[0] != s.source for r, s in zip(refs, sents, strict=True)) > 500
    assert sum(r[1] != s.source for r, s in zip(refs, sents, strict=True)) > 500
    # the fourth sentence: "certain disease" -> "certain diseases" (annotator 0)
    assert sents[3].source == "People get certain disease because of genetic changes ."
    assert refs[3][0] == "People get certain diseases because of genetic changes ."
    # blocks are kept verbatim: joined they give the file back
    assert "\n\n".join(s.block for s in sents).strip() == path.read_text(encoding="utf-8").strip()
