"""M2 scorer: the official worked example, CoNLL-2014 figures from the official scorer, hand-made blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub import m2 as codec
from wa_hub.errors import MalformedInputError, WaHubError
from wa_hub.metrics.m2 import m2, parse_m2_block, read_m2_blocks, score_m2_files
from wa_hub.schema import MetricResult


def block(source: str, *edits: str) -> str:
    """An M2 block from a source and `start end|type|correction|annotator` shorthand edits."""
    lines = [f"S {source}"]
    for e in edits:
        span, etype, rest = e.split("|", 2)
        corr, ann = rest.rsplit("|", 1)
        lines.append(f"A {span}|||{etype}|||{corr}|||REQUIRED|||-NONE-|||{ann}")
    return "\n".join(lines)


def prf(result: MetricResult) -> tuple[float, float, float]:
    assert result.precision is not None and result.recall is not None and result.f_beta is not None
    return round(result.precision, 2), round(result.recall, 2), round(result.f_beta, 2)


def counts(result: MetricResult) -> tuple[int, int, int]:
    return result.counts["correct"], result.counts["proposed"], result.counts["gold"]


# --- the scorer's own worked example (nusnlp/m2scorer example/, README figures) ---


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("system", "expected"),
    [("system", (80.0, 80.0, 80.0)), ("system2", (75.0, 60.0, 71.43))],
)
def test_official_example(test_data: Path, system: str, expected: tuple[float, float, float]) -> None:
    ex = test_data / "m2scorer_example"
    result = score_m2_files(ex / "source_gold", ex / system)
    assert prf(result) == expected
    assert result.metric == "m2" and result.beta == 0.5 and result.settings["max_unchanged_words"] == 2
    assert result.score == result.f_beta and result.n == 3


# --- CoNLL-2014 test gold (2 annotators). Expected figures were produced by the official Python 2 scorer
# (nusnlp/m2scorer scripts/m2scorer.py, default options) on the same hypothesis files:
#   source copied:            correct 0,    proposed 0,    gold 1994 -> P 1.0000 R 0.0000 F0.5 0.0000
#   annotator 0's corrections: correct 2380, proposed 2405, gold 2400 -> P 0.9896 R 0.9917 F0.5 0.9900
#   annotator 1's corrections: correct 3190, proposed 3229, gold 3316 -> P 0.9879 R 0.9620 F0.5 0.9826


@pytest.fixture(scope="module")
def conll14(test_data: Path) -> list[str]:
    blocks = read_m2_blocks(test_data / "conll14" / "official-2014.combined.m2")
    assert len(blocks) == 1312
    return blocks


@pytest.mark.conformance
def test_conll14_source_as_output(conll14: list[str]) -> None:
    sources = [parse_m2_block(b)[0][0] for b in conll14]
    result = m2(sources, conll14)
    assert counts(result) == (0, 0, 1994)
    assert prf(result) == (100.0, 0.0, 0.0)


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("annotator", "expected", "figures"),
    [(0, (2380, 2405, 2400), (98.96, 99.17, 99.0)), (1, (3190, 3229, 3316), (98.79, 96.2, 98.26))],
)
def test_conll14_annotator_corrections(
    conll14: list[str], annotator: int, expected: tuple[int, int, int], figures: tuple[float, float, float]
) -> None:
    # each annotator's corrections, applied by the M2 codec (the references of the benchmark's rows)
    hyps = [codec.apply_edits(codec.parse_block(b), annotator) for b in conll14]
    result = m2(hyps, conll14)
    assert counts(result) == expected
    assert prf(result) == figures


# --- hand-made blocks ---


def test_deletion_prefers_the_gold_alignment() -> None:
    # Deleting either "the" is an optimal alignment; the lattice weights pick the annotated one.
    gold = block("I saw the the cat .", "3 4|Rloc-|-NONE-|0")
    result = m2(["I saw the cat ."], [gold])
    assert counts(result) == (1, 1, 1)


def test_insertion() -> None:
    gold = block("He going to school .", "1 1|Vform|is|0")
    assert prf(m2(["He is going to school ."], [gold])) == (100.0, 100.0, 100.0)
    wrong = m2(["He was going to school ."], [gold])
    assert counts(wrong) == (0, 1, 1)


def test_noop_annotation_counts_no_gold_edit() -> None:
    gold = block("This is fine .", "-1 -1|noop|-NONE-|0")
    same = m2(["This is fine ."], [gold])
    assert counts(same) == (0, 0, 0)
    assert prf(same) == (100.0, 100.0, 100.0)  # official: P = R = 1 when nothing is proposed or annotated
    changed = m2(["This is good ."], [gold])
    assert counts(changed) == (0, 1, 0)
    assert prf(changed) == (0.0, 100.0, 0.0)


def test_block_without_edits_has_one_empty_annotator() -> None:
    assert m2(["Fine ."], ["S Fine ."]).counts["gold"] == 0


def test_multi_word_edit_and_max_unchanged_words() -> None:
    # "am agree" -> "agree" spans one unchanged word: one edit with the default max_unchanged_words=2 ...
    gold = block("I am agree with you .", "1 3|Vform|agree|0")
    assert prf(m2(["I agree with you ."], [gold])) == (100.0, 100.0, 100.0)
    # ... but with max_unchanged_words=0 the system edit can only be the deletion of "am", which misses.
    strict = m2(["I agree with you ."], [gold], max_unchanged_words=0)
    assert counts(strict) == (0, 1, 1)
    assert strict.settings["max_unchanged_words"] == 0


def test_alternatives_and_multiple_annotators() -> None:
    gold = block("He go to school .", "1 2|Vform|goes||went|0", "1 2|Vform|is going|1")
    for hyp in ("He goes to school .", "He went to school .", "He is going to school ."):
        assert prf(m2([hyp], [gold])) == (100.0, 100.0, 100.0), hyp


def test_annotator_chosen_by_running_corpus_f() -> None:
    # Sentence 1 is only fixed per annotator 0; sentence 2's annotators disagree, and the hypothesis follows
    # annotator 1 there, which keeps the running F highest.
    golds = [
        block("He go to school .", "1 2|Vform|goes|0", "1 2|Vform|goes|1"),
        block("She like cats .", "1 2|SVA|likes|0", "1 2|Vform|liked|1"),
    ]
    result = m2(["He goes to school .", "She liked cats ."], golds)
    assert counts(result) == (2, 2, 2)


def test_source_copy_prefers_annotator_without_edits() -> None:
    gold = block("It is ok .", "-1 -1|noop|-NONE-|0", "2 3|Wci|fine|1")
    result = m2(["It is ok ."], [gold])
    assert counts(result) == (0, 0, 0)


def test_case_and_whitespace_option() -> None:
    gold = block("he is here .", "0 1|Mec|He|0")
    hyp = ["He is here ."]
    assert prf(m2(hyp, [gold])) == (100.0, 100.0, 100.0)
    ignored = m2(hyp, [gold], ignore_whitespace_casing=True)
    assert counts(ignored) == (0, 0, 1)


def test_beta_is_recorded_beside_the_f_score() -> None:
    gold = block("He go to school .", "1 2|Vform|goes|0", "3 4|Prep|the|0")
    result = m2(["He goes to school ."], [gold], beta=1.0)
    assert result.beta == 1.0 and result.f_beta == result.score == pytest.approx(2 * 100 * 50 / 150)


# --- errors ---


def test_count_mismatch_names_both_counts() -> None:
    with pytest.raises(WaHubError, match=r"2 hypotheses but 1 gold sentences"):
        m2(["a", "b"], [block("a")])


def test_malformed_block_names_the_line() -> None:
    with pytest.raises(MalformedInputError, match=r"gold_m2\[0\]:2"):
        m2(["a b"], ["S a b\nA 0 x|||Wci|||c|||REQUIRED|||-NONE-|||0"])


def test_read_m2_blocks(tmp_path: Path) -> None:
    good = tmp_path / "gold.m2"
    good.write_text(block("a b .", "0 1|Wci|c|0") + "\n\n" + block("d e .") + "\n\n", encoding="utf-8")
    blocks = read_m2_blocks(good)
    assert len(blocks) == 2 and blocks[1] == "S d e ."
    bad = tmp_path / "bad.m2"
    text = "S a b .\nA 0 1|||Wci|||c|||REQUIRED|||-NONE-|||0\n\nS c .\nX stray line\n"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(MalformedInputError, match=r"bad\.m2:5: expected an edit line"):
        read_m2_blocks(bad)


def test_score_m2_files_line_count_mismatch(tmp_path: Path) -> None:
    gold = tmp_path / "gold.m2"
    gold.write_text(block("a b .") + "\n\n" + block("c d .") + "\n", encoding="utf-8")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("a b .\n", encoding="utf-8")
    with pytest.raises(WaHubError, match=r"1 hypotheses but 2 gold sentences"):
        score_m2_files(gold, hyp)


# --- the official reading of gold blocks (quirks kept on top of the codec) ---


@pytest.mark.parametrize("span", ["5 6", "2 9", "-3 2", "2 1"])
def test_gold_spans_outside_the_sentence_or_reversed_are_errors(span: str) -> None:
    """The official scorer drops such an edit and scores against the rest, ERRANT counts it as missed:
    either way a score for another gold than the file's. A broken gold file is an error (issue 16)."""
    gold = block("a b .", f"{span}|Wci|c|0", "0 1|Wci|A|1")
    with pytest.raises(MalformedInputError, match=r"gold_m2\[0\]:2: expected an edit span (with|within)"):
        m2(["a b ."], [gold])
    noop = block("a b .", "-1 -1|noop|-NONE-|0")
    assert counts(m2(["a b ."], [noop])) == (0, 0, 0)


def test_tokens_split_on_u180e_as_python2_did() -> None:
    gold = block("a\u180eb .", "1 2|Wci|c|0")
    assert counts(m2(["a c ."], [gold])) == (1, 1, 1)


def test_corrections_are_stripped_and_none_deletes() -> None:
    gold = block("He go to to school .", "1 2|Vform| goes |0", "3 4|Rloc-|-NONE-|0")
    assert counts(m2(["He goes to school ."], [gold])) == (2, 2, 2)


def test_several_s_lines_are_several_sentences() -> None:
    # The official load_annotation: offsets count from the block's first token, and each sentence keeps
    # the edits that end within the tokens up to its own end.
    gold = (
        "S He go .\nS She like cats .\n"
        "A 1 2|||SVA|||goes|||REQUIRED|||-NONE-|||0\nA 4 5|||SVA|||likes|||REQUIRED|||-NONE-|||0\n"
        "I an ignored line"
    )
    assert [s for s, _ in parse_m2_block(gold)] == ["He go .", "She like cats ."]
    result = m2(["He goes .", "She likes cats ."], [gold])
    assert result.n == 2 and counts(result) == (1, 2, 3)
    with pytest.raises(WaHubError, match="1 hypotheses but 2 gold sentences"):
        m2(["He goes ."], [gold])


def test_gold_files_are_read_as_the_official_scorer_reads_them(tmp_path: Path) -> None:
    gold = tmp_path / "gold.m2"
    gold.write_text(block("a b .", "2 9|Wci|c|0") + "\r\n\r\n" + block("c d .") + "\n", encoding="utf-8")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("a b .\r\nc d .\r\n", encoding="utf-8")
    # a span outside the sentence: an error naming the gold file's line, for the scorer as for the reader
    with pytest.raises(MalformedInputError, match=r"gold\.m2:2: expected an edit span within"):
        score_m2_files(gold, hyp)
    with pytest.raises(MalformedInputError, match=r"gold\.m2:2: expected an edit span within"):
        codec.read_m2(gold)
    gold.write_text(block("a b .", "2 3|Wci|c|0") + "\r\n\r\n" + block("c d .") + "\n", encoding="utf-8")
    assert counts(score_m2_files(gold, hyp)) == (0, 0, 1)  # CRLF read as the official scorer reads it
