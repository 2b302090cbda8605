"""Readers of IteraTeR JSON lines, parallel text, WNC TSV, Alpaca JSON and STS-B CSV (real formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wa_hub.errors import MalformedInputError
from wa_hub.sources.alpaca import read_alpaca
from wa_hub.sources.iterater import filter_intent, read_iterater
from wa_hub.sources.parallel import read_parallel
from wa_hub.sources.stsb import read_stsb
from wa_hub.sources.wnc import read_wnc


def _itr(before: str, after: str, labels: object) -> str:
    return json.dumps({"before_sent": before, "after_sent": after, "labels": labels, "doc_id": "1"})


def test_iterater_filter_by_intent_and_non_empty_after(tmp_path: Path) -> None:
    p = tmp_path / "test.json"
    p.write_text(
        "\n".join(
            [
                _itr("a b", "a c", "fluency"),
                _itr("x", "", "fluency"),
                _itr("long text", "text", "clarity"),
                _itr("p", "q", ["coherence"]),
                _itr("s", "t", "style"),
                _itr("m", "  ", "clarity"),
            ]
        )
        + "\n"
    )
    revs = read_iterater(p)
    assert [r.label for r in revs] == ["fluency", "fluency", "clarity", "coherence", "style", "clarity"]
    assert [(r.index, r.after) for r in filter_intent(revs, "fluency")] == [(0, "a c")]
    assert [r.index for r in filter_intent(revs, "clarity")] == [2]
    assert [r.before for r in filter_intent(revs, "coherence")] == ["p"]


def test_iterater_malformed_line(tmp_path: Path) -> None:
    p = tmp_path / "sent-level.train.intents.json"
    p.write_text(_itr("a", "b", "fluency") + "\n" + '{"before_sent": "a"}\n')
    with pytest.raises(
        MalformedInputError, match=r"sent-level\.train\.intents\.json:2: expected a JSON object"
    ):
        read_iterater(p)
    p.write_text("not json\n")
    with pytest.raises(MalformedInputError, match=r":1: "):
        read_iterater(p)


def test_parallel_files_keep_text_and_check_line_counts(tmp_path: Path) -> None:
    (tmp_path / "test.src").write_text("He go .\nA  b\n")
    (tmp_path / "test.ref0").write_text("He goes .\nA b\n")
    (tmp_path / "test.ref1").write_text("He went .\nA  b\n")
    pairs = read_parallel(tmp_path / "test.src", [tmp_path / "test.ref0", tmp_path / "test.ref1"])
    assert pairs == [("He go .", ["He goes .", "He went ."]), ("A  b", ["A b", "A  b"])]
    (tmp_path / "test.ref1").write_text("He went .\n")
    with pytest.raises(MalformedInputError, match=r"test\.ref1:2: expected one line per line of test\.src"):
        read_parallel(tmp_path / "test.src", [tmp_path / "test.ref0", tmp_path / "test.ref1"])


def test_wnc_uses_raw_columns(tmp_path: Path) -> None:
    p = tmp_path / "biased.word.train"
    p.write_text(
        "123\tthe brilliant idea\tthe idea\tThe brilliant idea.\tThe idea.\tDET ADJ NOUN\tdet ROOT\n"
        "456\ta\tb\tA, raw\tB, raw\tX\tY\n"
    )
    pairs = read_wnc(p)
    assert [(x.rev_id, x.biased, x.neutral) for x in pairs] == [
        ("123", "The brilliant idea.", "The idea."),
        ("456", "A, raw", "B, raw"),
    ]
    p.write_text("1\tonly\tthree\n")
    with pytest.raises(MalformedInputError, match=r"biased\.word\.train:1: expected 7 tab-separated columns"):
        read_wnc(p)


def test_alpaca_records_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "alpaca_data.json"
    p.write_text(
        json.dumps(
            [
                {"instruction": "Name a colour.", "input": "", "output": "Red."},
                {"instruction": "Add.", "input": "1, 2", "output": "3"},
            ]
        )
    )
    recs = read_alpaca(p)
    assert [(r.index, r.instruction, r.input, r.output) for r in recs] == [
        (0, "Name a colour.", "", "Red."),
        (1, "Add.", "1, 2", "3"),
    ]
    p.write_text('[{"instruction": "x",\n "output": 3}]')
    with pytest.raises(MalformedInputError, match="record 0"):
        read_alpaca(p)
    p.write_text('[{"instruction": "x",\n "output": "y"')
    with pytest.raises(MalformedInputError, match=r"alpaca_data\.json:2: expected valid JSON"):
        read_alpaca(p)


def test_stsb_csv_quoting_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "stsb-en-test.csv"
    p.write_text('A man plays.,"A man, who plays.",5.0\nx,y,1.5\n')
    pairs = read_stsb(p)
    assert [(s.sentence1, s.sentence2, s.score) for s in pairs] == [
        ("A man plays.", "A man, who plays.", 5.0),
        ("x", "y", 1.5),
    ]
    p.write_text("a,b,5.0\na,b,high\n")
    with pytest.raises(MalformedInputError, match=r"stsb-en-test\.csv:2: expected 3 CSV fields"):
        read_stsb(p)


@pytest.mark.parametrize("score", ["inf", "-7", "nan", "5.01", "-0.5", "1e400"])
def test_stsb_score_outside_0_to_5_is_an_error_not_kept_or_dropped(tmp_path: Path, score: str) -> None:
    p = tmp_path / "stsb-en-test.csv"
    p.write_text(f"a,b,5.0\nc,d,{score}\ne,f,0\n")
    with pytest.raises(MalformedInputError, match=r"stsb-en-test\.csv:2: expected .*a number from 0 to 5"):
        read_stsb(p)


def test_stsb_unterminated_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    p = tmp_path / "stsb-en-test.csv"
    p.write_text('a,b,5.0\nc,d,4\n"e,f,3\ng,h,2\ni,j,1\n')
    with pytest.raises(
        MalformedInputError, match=r"stsb-en-test\.csv:3: .*a quote opened here is never closed"
    ):
        read_stsb(p)


def test_a_byte_order_mark_is_no_part_of_the_first_line(tmp_path: Path) -> None:
    src, ref = tmp_path / "test.src", tmp_path / "test.ref0"
    src.write_bytes(b"\xef\xbb\xbfFirst line .\nSecond .\n")
    ref.write_bytes(b"First line .\nSecond .\n")
    assert read_parallel(src, [ref]) == [("First line .", ["First line ."]), ("Second .", ["Second ."])]
    csv = tmp_path / "stsb-en-test.csv"
    csv.write_bytes(b"\xef\xbb\xbfa,b,5.0\n")
    assert read_stsb(csv)[0].sentence1 == "a"
    wnc = tmp_path / "biased.word.test"
    wnc.write_bytes(b"\xef\xbb\xbf" + "\t".join(["1", "a", "b", "c", "d", "e", "f"]).encode() + b"\n")
    assert read_wnc(wnc)[0].rev_id == "1"
