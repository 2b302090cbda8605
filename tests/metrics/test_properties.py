"""Property tests of GLEU, SARI and ERRANT: edge cases a user's outputs will contain."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wa_hub.metrics import errant, gleu, sari
from wa_hub.metrics.errant import annotate

# Words from a small vocabulary (so hypotheses and references share n-grams) plus unicode ones.
WORDS = ["the", "a", "cat", "sat", "on", "mat", ".", ",", "é", "naïve", "日本", "Straße", "🙂", "İ", "ǅ"]
any_word = st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1)  # no separators
word = st.one_of(st.sampled_from(WORDS), any_word)
sentence = st.lists(word, min_size=0, max_size=12).map(" ".join)  # includes empty lines
corpus = st.integers(min_value=1, max_value=6).flatmap(
    lambda n: st.tuples(
        st.lists(sentence, min_size=n, max_size=n),
        st.lists(st.lists(sentence, min_size=1, max_size=3), min_size=n, max_size=n),  # ragged references
        st.lists(sentence, min_size=n, max_size=n),
    )
)
FAST = settings(max_examples=40, deadline=None)


@FAST
@given(corpus)
def test_scores_are_within_0_and_100(data: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, hyp = data
    for result in (gleu(src, refs, hyp, iterations=20), sari(src, refs, hyp)):
        assert 0.0 <= result.score <= 100.0
    s = sari(src, refs, hyp)
    for op in ("add", "keep", "delete"):
        assert 0.0 <= s.components[op] <= 100.0


@FAST
@given(corpus)
def test_identical_hypothesis_and_source(data: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, _ = data
    s = sari(src, refs, src)
    # copying the source adds and deletes nothing
    assert s.components["add"] == 0.0 and s.components["delete"] == 0.0
    assert s.score == pytest.approx(s.components["keep"] / 3)
    assert 0.0 <= gleu(src, refs, src, iterations=20).score <= 100.0


@FAST
@given(corpus)
def test_hypothesis_equal_to_its_only_reference(data: tuple[list[str], list[list[str]], list[str]]) -> None:
    src, refs, _ = data
    single = [[r[0]] for r in refs]
    hyp = [r[0] for r in refs]
    enough_4grams = sum(max(len(h.split()) - 3, 0) for h in hyp) > 0
    # GLEU is 100 when every hypothesis is its reference (0 if the corpus has no 4-gram at all)
    assert gleu(src, single, hyp, iterations=5).score == pytest.approx(100.0 if enough_4grams else 0.0)
    # SARI keeps and deletes exactly what the reference does: full keep and delete F1 where it has any
    assert sari(src, single, hyp).score >= sari(src, single, src).score - 1e-9


@FAST
@given(corpus, st.integers(min_value=2, max_value=4))
def test_one_versus_many_copies_of_the_references(
    data: tuple[list[str], list[list[str]], list[str]], copies: int
) -> None:
    src, refs, hyp = data
    many = [r * copies for r in refs]
    assert sari(src, many, hyp).score == pytest.approx(sari(src, refs, hyp).score)
    single = [[r[0]] for r in refs]
    assert gleu(src, [r * copies for r in single], hyp, iterations=10).score == pytest.approx(
        gleu(src, single, hyp, iterations=10).score
    )


# ERRANT parses with spaCy: fewer examples; gold M2 made by ERRANT itself from the reference, so a
# hypothesis equal to the reference must find exactly the gold edits.
ERRANT_WORDS = [*WORDS[:10], "dogs", "run", "ran", "é", "日本"]
errant_sentence = st.lists(st.sampled_from(ERRANT_WORDS), max_size=10).map(" ".join)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(errant_sentence, errant_sentence), min_size=1, max_size=4))
def test_errant_reference_scores_100_and_source_scores_0(pairs: list[tuple[str, str]]) -> None:
    src = [s for s, _ in pairs]
    ref = [r for _, r in pairs]
    gold = annotate(src, ref)
    n_gold = sum(1 for b in gold for line in b.split("\n")[1:] if "|||noop|||" not in line)
    perfect = errant(ref, gold)
    assert perfect.counts == {"tp": n_gold, "fp": 0, "fn": 0}
    assert perfect.f_beta == 100.0 if n_gold else perfect.precision == 100.0
    unchanged = errant(src, gold)
    assert unchanged.counts == {"tp": 0, "fp": 0, "fn": n_gold}
    assert unchanged.f_beta is not None and 0.0 <= unchanged.f_beta <= 100.0
