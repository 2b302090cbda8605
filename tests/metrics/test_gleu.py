"""GEC-GLEU: the JFLEG leaderboard's published figures, the Python 2 draw, and small hand-checked cases."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from wa_hub.errors import WaHubError
from wa_hub.fileio import read_lines
from wa_hub.metrics import gleu
from wa_hub.metrics._common import transpose
from wa_hub.metrics.gleu import _draws


def _jfleg(root: Path, split: str) -> tuple[list[str], list[list[str]]]:
    d = root / "jfleg" / split
    src = read_lines(d / f"{split}.src")
    refs = transpose([read_lines(d / f"{split}.ref{i}") for i in range(4)])
    return src, refs


@pytest.mark.conformance
@pytest.mark.parametrize(("split", "published"), [("dev", 38.21), ("test", 40.54)])
def test_source_as_output_gives_the_published_figure(test_data: Path, split: str, published: float) -> None:
    src, refs = _jfleg(test_data, split)
    result = gleu(src, refs, src)
    assert result.metric == "gleu"
    assert round(result.score, 2) == published
    assert result.n == len(src)
    assert result.settings["iterations"] == 500


@pytest.mark.conformance
def test_python3_draws_give_the_other_figure(test_data: Path) -> None:
    # The figure of Python 3 ports that use random.randint: 40.47, not the published 40.54.
    src, refs = _jfleg(test_data, "test")
    assert round(gleu(src, refs, src, sampling="python3").score, 2) == 40.47


def test_python2_draw_is_int_of_random_times_n() -> None:
    rng = random.Random(7 * 101)
    expected = [int(rng.random() * 4) for _ in range(50)]
    assert _draws([4] * 50, 7, "python2") == expected
    assert _draws([4] * 50, 7, "python3") != expected


def test_hypothesis_equal_to_its_only_reference_scores_100() -> None:
    src = ["the cat sat on mat", "he go to school every day"]
    refs = [["the cat sat on the mat"], ["he goes to school every day"]]
    assert gleu(src, refs, [r[0] for r in refs]).score == pytest.approx(100.0)


def test_source_ngrams_the_reference_dropped_are_penalised() -> None:
    # hyp keeps "go" which the reference corrected: its unigram counts against it (and its n-grams).
    src, refs = ["he go to school every day"], [["he goes to school every day"]]
    keep = gleu(src, refs, src).score
    fixed = gleu(src, refs, ["he goes to school every day"]).score
    assert 0 <= keep < fixed == pytest.approx(100.0)


def test_duplicated_references_change_nothing() -> None:
    src = ["a b c d e f", "one two three four five"]
    hyp = ["a b x d e f", "one two three four six"]
    refs = [["a b c d e g"], ["one two three four five"]]
    single = gleu(src, refs, hyp).score
    assert gleu(src, [r * 3 for r in refs], hyp).score == pytest.approx(single)


def test_ragged_references_are_sampled_per_sentence() -> None:
    src = ["a b c d e", "f g h i j"]
    refs = [["a b c d e", "a b c d x"], ["f g h i j"]]
    result = gleu(src, refs, src)
    assert 0 < result.score <= 100
    assert result.settings["references"] == 2


def test_length_mismatch_and_flat_references_are_clear_errors() -> None:
    with pytest.raises(WaHubError, match="sources: 2, hypotheses: 1"):
        gleu(["a", "b"], [["a"], ["b"]], ["a"])
    with pytest.raises(WaHubError, match="list of lists"):
        gleu(["a"], ["a"], ["a"])  # type: ignore[arg-type]
    with pytest.raises(WaHubError, match="no reference"):
        gleu(["a"], [[]], ["a"])


@pytest.mark.conformance
def test_equals_the_official_script_when_available(test_data: Path, tmp_path: Path) -> None:
    """JFLEG's own gleu.py (Python 2; never in the repo) on a perturbed output: same mean and std to 6 places.

    Runs when $WA_HUB_OFFICIAL_SCORERS names a folder holding gleu.py and `python2` has numpy and scipy
    (`PYENV_VERSION=2.7.18`).
    """
    folder = os.environ.get("WA_HUB_OFFICIAL_SCORERS")
    if not folder or not (Path(folder) / "gleu.py").is_file():
        pytest.skip("WA_HUB_OFFICIAL_SCORERS (a folder with JFLEG's gleu.py) is not set")
    src, refs = _jfleg(test_data, "dev")
    rng = random.Random(0)
    hyp = []
    for i, r in enumerate(refs):
        tokens = r[i % 4].split()
        if tokens and i % 2:
            tokens[rng.randrange(len(tokens))] = "xx"
        hyp.append(" ".join(tokens))
    hyp_file = tmp_path / "hyp.txt"
    hyp_file.write_text("".join(h + "\n" for h in hyp), encoding="utf-8")
    d = test_data / "jfleg" / "dev"
    cmd = ["python2", str(Path(folder) / "gleu.py"), "--src", str(d / "dev.src"), "--hyp", str(hyp_file)]
    res = subprocess.run(
        [*cmd, "--ref", *(str(d / f"dev.ref{i}") for i in range(4))],
        env={**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", "2.7.18")},
        capture_output=True,
        text=True,
    )
    if res.returncode:
        pytest.skip(f"the official gleu.py does not run here: {res.stderr.strip()[-200:]}")
    mean, std = (float(x) for x in res.stdout.split("[['")[1].split("'")[0:3:2])
    ours = gleu(src, refs, hyp)
    assert f"{ours.score / 100:f}" == f"{mean:f}"
    assert f"{ours.components['std'] / 100:f}" == f"{std:f}"
