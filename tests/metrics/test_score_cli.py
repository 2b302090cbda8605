"""`wa-hub score m2|errant|gleu|sari` on files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.metrics import gleu, sari
from wa_hub.schema import MetricResult

runner = CliRunner()

GOLD = """\
S This are a sentence .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0

S He go to school .
A 1 2|||R:VERB:SVA|||goes|||REQUIRED|||-NONE-|||0
"""
SOURCES = ["This are a sentence .", "He go to school ."]
COUNTS = {"m2": {"correct": 1, "proposed": 1, "gold": 2}, "errant": {"tp": 1, "fp": 0, "fn": 1}}
REFS = [["This is a sentence .", "This is one sentence ."], ["He goes to school .", "He went to school ."]]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    gold = tmp_path / "gold.m2"
    gold.write_text(GOLD, encoding="utf-8")
    return {
        "gold": gold,
        "src": _write(tmp_path / "src.txt", SOURCES),
        "ref0": _write(tmp_path / "ref0.txt", [r[0] for r in REFS]),
        "ref1": _write(tmp_path / "ref1.txt", [r[1] for r in REFS]),
        "hyp": _write(tmp_path / "hyp.txt", ["This is a sentence .", "He go to school ."]),
        "short": _write(tmp_path / "short.txt", ["This is a sentence ."]),
    }


def _run(args: list[str]) -> tuple[int, str]:
    """Exit code and output, with rich's line wrapping undone."""
    res = runner.invoke(app, args)
    return res.exit_code, res.output.replace("\n", "")


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # exactly one JSON object, nothing else


@pytest.mark.parametrize("metric", ["m2", "errant"])
def test_m2_and_errant_json(files: dict[str, Path], metric: str) -> None:
    out = _json(["score", metric, "--gold", str(files["gold"]), "--hyp", str(files["hyp"]), "--json"])
    assert out["metric"] == metric and out["n"] == 2
    # one of the two gold edits made, nothing wrong: P 100, R 50, F0.5 83.33
    assert (out["precision"], out["recall"], out["beta"]) == (100.0, 50.0, 0.5)
    assert out["f_beta"] == pytest.approx(250 / 3) == out["score"]
    assert out["counts"] == COUNTS[metric]
    assert out["files"]["hyp"] == str(files["hyp"])
    # the JSON is the MetricResult, plus the files
    assert MetricResult.model_validate({k: v for k, v in out.items() if k != "files"}).metric == metric


def test_beta_option_reaches_the_result(files: dict[str, Path]) -> None:
    out = _json(
        ["score", "m2", "--gold", str(files["gold"]), "--hyp", str(files["hyp"]), "--beta", "1", "--json"]
    )
    assert out["beta"] == 1.0 and out["f_beta"] == pytest.approx(200 / 3)
    code, text = _run(
        ["score", "m2", "--gold", str(files["gold"]), "--hyp", str(files["hyp"]), "--beta", "1"]
    )
    assert code == 0 and "F1" in text and "correct / proposed / gold" in text and "1 / 1 / 2" in text


@pytest.mark.parametrize("metric", ["gleu", "sari"])
def test_gleu_and_sari_json_equal_the_functions(files: dict[str, Path], metric: str) -> None:
    args = ["score", metric, "--source", str(files["src"]), "--ref", str(files["ref0"])]
    args += ["--ref", str(files["ref1"]), "--hyp", str(files["hyp"]), "--json"]
    out = _json(args)
    fn = {"gleu": gleu, "sari": sari}[metric]
    expected = fn(SOURCES, REFS, ["This is a sentence .", "He go to school ."])
    assert out["metric"] == metric
    assert out["score"] == expected.score and out["components"] == expected.components
    assert out["settings"]["references"] == 2 and out["f_beta"] is None


def _refargs(files: dict[str, Path], metric: str, hyp: str = "hyp") -> list[str]:
    src, ref = str(files["src"]), str(files["ref0"])
    return ["score", metric, "--source", src, "--ref", ref, "--hyp", str(files[hyp])]


def test_summary_without_json_is_readable(files: dict[str, Path]) -> None:
    code, out = _run(_refargs(files, "sari"))
    assert code == 0, out
    assert "SARI" in out and "keep" in out and "score" in out


def test_line_count_mismatch_names_files_and_counts(files: dict[str, Path]) -> None:
    code, out = _run(_refargs(files, "gleu", hyp="short"))
    assert code == 2
    assert "short.txt: 1 lines" in out and "src.txt: 2 lines" in out
    code, out = _run(["score", "errant", "--gold", str(files["gold"]), "--hyp", str(files["short"])])
    assert code == 2
    assert "gold.m2: 2 sentences" in out and "short.txt: 1 lines" in out


def test_missing_file_is_a_usage_error(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    code, out = _run(["score", "m2", "--gold", str(files["gold"]), "--hyp", str(missing)])
    assert code == 2 and "nope.txt: no such file" in out
    files["src"] = missing
    code, out = _run(_refargs(files, "sari"))
    assert code == 2 and "nope.txt: no such file" in out


def test_bad_option_values_are_usage_errors(files: dict[str, Path]) -> None:
    code, out = _run([*_refargs(files, "sari"), "--deletion", "recall"])
    assert code == 2 and "--deletion" in out


def test_malformed_gold_names_its_file_and_line(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.m2"
    bad.write_text("S a b .\nA 0 x|||R:NOUN|||c|||REQUIRED|||-NONE-|||0\n", encoding="utf-8")
    code, out = _run(["score", "m2", "--gold", str(bad), "--hyp", str(files["short"])])
    assert code == 1 and "bad.m2:2: expected" in out and "integer offsets" in out and "Traceback" not in out


PLAIN = ["This is a sentence.", "He go to school."]  # the first corrected, as ordinary text


@pytest.mark.parametrize("metric", ["m2", "errant"])
def test_tokenize_scores_ordinary_text_as_tokenized(
    files: dict[str, Path], tmp_path: Path, metric: str
) -> None:
    hyp = _write(tmp_path / "plain.txt", PLAIN)
    args = ["score", metric, "--gold", str(files["gold"]), "--hyp", str(hyp), "--json"]
    none, auto = _json(args), _json([*args, "--tokenize", "auto"])
    assert auto["counts"] == COUNTS[metric] and auto["settings"]["tokenize"] == "auto"
    assert none["settings"]["tokenize"] == "none" and none["score"] < auto["score"]
    assert _json([*args, "--tokenize", "spacy"])["counts"] == COUNTS[metric]
    code, out = _run(["score", metric, "--gold", str(files["gold"]), "--hyp", str(hyp)])
    assert code == 0 and "tokenize" in out and "none" in out


def test_gleu_tokenize_and_bad_method(files: dict[str, Path], tmp_path: Path) -> None:
    hyp = _write(tmp_path / "plain.txt", PLAIN)
    refs = ["--ref", str(files["ref0"]), "--ref", str(files["ref1"])]
    args = ["score", "gleu", "--source", str(files["src"]), *refs, "--hyp", str(hyp), "--json"]
    tokenized = _json(
        ["score", "gleu", "--source", str(files["src"]), *refs, "--hyp", str(files["hyp"]), "--json"]
    )
    auto = _json([*args, "--tokenize", "auto"])
    assert auto["score"] == tokenized["score"] and auto["settings"]["tokenize"] == "auto"
    assert _json(args)["score"] < auto["score"]
    code, out = _run([*args, "--tokenize", "moses"])
    assert code == 2 and "--tokenize must be one of none, spacy, auto, got 'moses'" in out


def test_sari_takes_no_tokenize() -> None:
    from wa_hub.errors import UsageError
    from wa_hub.metrics import score

    with pytest.raises(UsageError, match="sari tokenizes its own inputs"):
        score("sari", sources=["a b"], references=[["a"]], hypotheses=["a"], tokenize="auto")
    assert "tokenize" not in score("sari", sources=["a b"], references=[["a"]], hypotheses=["a"]).settings
