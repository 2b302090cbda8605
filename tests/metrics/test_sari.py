"""SARI as EASSE's corpus_sari: the published source-as-output figures and hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub.errors import UsageError, WaHubError
from wa_hub.fileio import read_lines
from wa_hub.metrics import sari
from wa_hub.metrics._common import transpose


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("stem", "n_refs", "published"),
    [("turkcorpus/detok/test.truecase.detok", 8, 26.29), ("asset/asset.test", 10, 20.73)],
)
def test_source_as_output_gives_the_published_figure(
    test_data: Path, stem: str, n_refs: int, published: float
) -> None:
    src = read_lines(test_data / f"{stem}.orig")
    refs = transpose([read_lines(test_data / f"{stem}.simp.{i}") for i in range(n_refs)])
    result = sari(src, refs, src)
    assert round(result.score, 2) == published
    # Copying the source adds and deletes nothing: SARI is then the keep score alone, over three.
    assert result.components["add"] == 0 and result.components["delete"] == 0
    assert result.score == pytest.approx(result.components["keep"] / 3)


def test_hand_computed_example() -> None:
    # src "a b c", ref "a c", hyp "a": per order (1..4), computed by hand:
    # add F1 0,0,0,0; keep F1 2/3,0,0,0; delete P 1/2,1,1,0 and R 1,1,1,0 -> F1 2/3,1,1,0.
    result = sari(["a b c"], [["a c"]], ["a"], tokenizer="none")
    assert result.components["add"] == pytest.approx(0.0)
    assert result.components["keep"] == pytest.approx(100 * (2 / 3) / 4)
    assert result.components["delete"] == pytest.approx(100 * (2 / 3 + 1 + 1) / 4)
    assert result.score == pytest.approx((result.components["keep"] + result.components["delete"]) / 3)
    # Xu et al.'s original deletion score: precision only.
    original = sari(["a b c"], [["a c"]], ["a"], tokenizer="none", deletion="precision")
    assert original.components["delete"] == pytest.approx(100 * (1 / 2 + 1 + 1) / 4)
    assert original.settings["deletion"] == "precision"


def test_a_hypothesis_equal_to_the_reference() -> None:
    # src "a b c", ref = hyp = "a c": add 1 of 4 orders (the bigram "a c"), keep 1, delete 3 -> 125/3.
    assert sari(["a b c"], [["a c"]], ["a c"], tokenizer="none").score == pytest.approx(125 / 3)


def test_lowercase_and_13a_tokenization_are_applied_to_every_side() -> None:
    src = ["The cat, which was old, slept."]
    refs = [["The cat slept."]]
    raw = sari(src, refs, ["The cat slept."])
    assert sari(src, refs, ["the cat slept ."]).score == pytest.approx(raw.score)
    assert raw.score > sari(src, refs, src).score
    cased = sari(src, refs, ["the cat slept."], lowercase=False)
    assert cased.score < raw.score


def test_duplicated_references_change_nothing() -> None:
    src = ["a b c d e", "f g h i"]
    hyp = ["a c d x", "f g h i j"]
    refs = [["a c d e"], ["f h i"]]
    assert sari(src, [r * 2 for r in refs], hyp).score == pytest.approx(sari(src, refs, hyp).score)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(WaHubError, match="sources: 1, hypotheses: 2"):
        sari(["a"], [["a"]], ["a", "b"])
    with pytest.raises(WaHubError, match="sources: 2, references: 1"):
        sari(["a", "b"], [["a"]], ["a", "b"])
    with pytest.raises(UsageError, match="deletion"):
        sari(["a"], [["a"]], ["a"], deletion="recall")  # type: ignore[arg-type]
