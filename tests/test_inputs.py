"""Inputs that were accepted and should not be (issue 16): each is refused in one line naming what is wrong.

Versions (`01.02.003`, `1.0.2\\n`) are tested with push in tests/hub/test_safety.py (one check for both).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_errors import one_line_error
from wa_hub.build import sample_raw_dir
from wa_hub.cli import app
from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.m2 import read_m2

runner = CliRunner()
EDIT = "|||R:OTHER|||c|||REQUIRED|||-NONE-|||0"


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_raw_dir(), tmp_path / "raw"))


def test_an_empty_benchmark_set_is_refused_at_build_time(raw: Path) -> None:
    gold = raw / "conll14" / "official-2014.combined.m2"
    gold.write_text("")
    out = raw.parent / "bench"
    for extra in (["--sample"], ["--allow-size-mismatch"]):
        line = one_line_error(["build-bench", "--raw-dir", str(raw), *extra, "--out", str(out)], code=1)
        assert line == f"error: benchmark set conll14: no rows in {gold}; Table 2 has 1312"
    assert not out.exists()


def test_a_double_space_in_a_sentence_line_is_refused(tmp_path: Path) -> None:
    """`S a  b .`: offsets split on whitespace or on " " point at other tokens; guessing gives a wrong
    reference."""
    path = tmp_path / "x.m2"
    path.write_text(f"S He go  home .\nA 1 2{EDIT}\n\n")
    with pytest.raises(MalformedInputError, match=r"x\.m2:1: expected .* tokens separated by single spaces"):
        read_m2(path)
    path.write_text(f"S He go home . \nA 1 2{EDIT}\n\n")  # a trailing space is a token boundary too
    with pytest.raises(MalformedInputError, match="single spaces"):
        read_m2(path)


@pytest.mark.parametrize("span", ["-3 2", "2 1", "4 9"])
def test_a_bad_edit_span_fails_the_build_naming_its_line(raw: Path, span: str) -> None:
    gold = raw / "conll14" / "official-2014.combined.m2"
    gold.write_text(f"S She go to school .\nA {span}{EDIT}\n\n" + gold.read_text())
    line = one_line_error(["build-bench", "--raw-dir", str(raw), "--sample", "--out", str(raw.parent / "o")])
    assert line.startswith(f"error: {gold}:2: expected an edit span")


@pytest.mark.parametrize("metric", ["m2", "errant"])
@pytest.mark.parametrize("span", ["4 9", "-3 2", "2 1"])
def test_score_refuses_gold_spans_past_the_end_negative_or_reversed(
    tmp_path: Path, metric: str, span: str
) -> None:
    gold, hyp = tmp_path / "gold.m2", tmp_path / "hyp.txt"
    gold.write_text(f"S He go home .\nA 1 2|||R:VERB|||goes|||REQUIRED|||-NONE-|||0\nA {span}{EDIT}\n\n")
    hyp.write_text("He goes home .\n")
    line = one_line_error(["score", metric, "--gold", str(gold), "--hyp", str(hyp)])
    assert line.startswith(f"error: {gold}:3: expected an edit span")


@pytest.mark.parametrize(
    ("metric", "files"),
    [
        ("m2", ["--gold", "g", "--hyp", "h"]),
        ("errant", ["--gold", "g", "--hyp", "h"]),
        ("gleu", ["--source", "g", "--ref", "h", "--hyp", "h"]),
        ("sari", ["--source", "g", "--ref", "h", "--hyp", "h"]),
    ],
)
def test_nothing_to_score_is_an_error_not_100(tmp_path: Path, metric: str, files: list[str]) -> None:
    (tmp_path / "g").write_text("")
    (tmp_path / "h").write_text("")
    args = [str(tmp_path / f) if f in ("g", "h") else f for f in files]
    line = one_line_error(["score", metric, *args], code=2)
    assert line == f"error: {metric}: no sentences to score (the inputs are empty)"


@pytest.mark.parametrize("beta", ["nan", "-1", "inf", "0"])
def test_beta_must_be_a_positive_number(tmp_path: Path, beta: str) -> None:
    gold, hyp = tmp_path / "gold.m2", tmp_path / "hyp.txt"
    gold.write_text("S He go home .\nA 1 2|||R:VERB|||goes|||REQUIRED|||-NONE-|||0\n\n")
    hyp.write_text("He goes home .\n")
    for metric in ("m2", "errant"):
        args = ["score", metric, "--gold", str(gold), "--hyp", str(hyp), "--beta", beta, "--json"]
        line = one_line_error(args, code=2)
        assert line.startswith(f"error: {metric}: beta (--beta) must be a positive number")
    result = runner.invoke(app, ["score", "m2", "--gold", str(gold), "--hyp", str(hyp), "--json"])
    assert json.loads(result.stdout)["f_beta"] == 100.0  # valid JSON, no NaN


def test_max_unchanged_words_must_not_be_negative(tmp_path: Path) -> None:
    gold, hyp = tmp_path / "gold.m2", tmp_path / "hyp.txt"
    gold.write_text("S He go home .\nA 1 2|||R:VERB|||goes|||REQUIRED|||-NONE-|||0\n\n")
    hyp.write_text("He goes home .\n")
    args = ["score", "m2", "--gold", str(gold), "--hyp", str(hyp), "--max-unchanged-words", "-5"]
    assert "max_unchanged_words" in one_line_error(args, code=2)


def test_a_recipe_with_an_infinite_learning_rate_fails_validation() -> None:
    from wa_hub.train.recipe import load_recipe

    with pytest.raises(UsageError, match="training.learning_rate: Input should be a finite number"):
        load_recipe("tiny-cpu", ["training.learning_rate=.inf"])
