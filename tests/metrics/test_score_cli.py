"""`wa-hub score m2|errant|gleu|sari` on files, and `wa_hub.metrics.score` by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import UsageError
from wa_hub.metrics import METRICS, gleu, sari, score

runner = CliRunner()

GOLD = """\
S This are a sentence .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0

S He go to school .
A 1 2|||R:VERB:SVA|||goes|||REQUIRED|||-NONE-|||0
"""
SOURCES = ["This are a sentence .", "He go to school ."]
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
    assert out["metric"] == metric
    # one of the two gold edits made, nothing wrong: P 100, R 50, F0.5 83.33
    assert (out["precision"], out["recall"]) == (100.0, 50.0)
    assert out["f0.5"] == pytest.approx(250 / 3) == out["score"]
    assert out["files"]["hyp"] == str(files["hyp"])


@pytest.mark.parametrize("metric", ["gleu", "sari"])
def test_gleu_and_sari_json_equal_the_functions(files: dict[str, Path], metric: str) -> None:
    args = ["score", metric, "--source", str(files["src"]), "--ref", str(files["ref0"])]
    args += ["--ref", str(files["ref1"]), "--hyp", str(files["hyp"]), "--json"]
    out = _json(args)
    fn = {"gleu": gleu, "sari": sari}[metric]
    expected = fn(SOURCES, REFS, ["This is a sentence .", "He go to school ."])
    assert out["metric"] == metric
    assert out["score"] == pytest.approx(expected["score"])
    assert out["settings"]["references"] == 2


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


def test_score_dispatches_by_name_and_always_has_score() -> None:
    hyps = ["This is a sentence .", "He go to school ."]
    blocks = GOLD.strip().split("\n\n")
    assert set(METRICS) == {"m2", "errant", "gleu", "sari"}
    for name in ("m2", "errant"):
        result = score(name, hypotheses=hyps, gold_m2=blocks, sources=SOURCES, references=[[], []])
        assert result["metric"] == name and result["score"] == result["f0.5"]
    for name in ("gleu", "sari"):
        result = score(name, sources=SOURCES, references=REFS, hypotheses=hyps, gold_m2=["", ""])
        assert result["metric"] == name and 0 <= result["score"] <= 100
    assert (
        score("sari", sources=SOURCES, references=REFS, hypotheses=hyps, deletion="precision")["settings"][
            "deletion"
        ]
        == "precision"
    )


def test_score_errors_name_the_problem() -> None:
    with pytest.raises(UsageError, match="unknown metric 'bleu'"):
        score("bleu", hypotheses=["a"])
    with pytest.raises(UsageError, match="gold_m2"):
        score("errant", hypotheses=["a"])
    with pytest.raises(UsageError, match="sources and references"):
        score("gleu", hypotheses=["a"], references=[["a"]])
