"""Editing diagnostics (EASSE's quality estimation) and what `evaluate` records beyond the score."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein

from wa_hub import compare
from wa_hub.diagnostics import edit_diagnostics
from wa_hub.schema import Results, load_model_file
from wa_hub.study import BENCH_SETS

SOURCES = ["She go to school every day .", "The results , however , was clear .", "I like it ."]


def test_a_copy_shows_at_once() -> None:
    d = edit_diagnostics(SOURCES, SOURCES)
    assert (d.n, d.exact_copies, d.compression_ratio, d.levenshtein_similarity) == (3, 1.0, 1.0, 1.0)
    assert (d.additions, d.deletions, d.word_edit_distance) == (0.0, 0.0, 0.0)


def test_an_essay_shows_at_once() -> None:
    essay = [
        s + " Moreover , it is worth noting that this matters a great deal to everyone ." for s in SOURCES
    ]
    d = edit_diagnostics(SOURCES, essay)
    assert d.exact_copies == 0.0
    assert d.compression_ratio > 2.5
    assert d.additions > 0.5 and d.deletions == 0.0
    assert d.word_edit_distance == 15.0  # 15 tokens appended to each sentence


def test_easse_definitions_on_one_pair() -> None:
    """tseval's features on sacrebleu-13a-normalised text: characters out / in, added and deleted words over
    the longer side's word count, Levenshtein ratio; word edit distance by rapidfuzz over the tokens."""
    src, out = "She go to school every day.", "She goes to school daily!"
    d = edit_diagnostics([src], [out])
    s13, o13 = "She go to school every day .", "She goes to school daily !"
    assert d.compression_ratio == pytest.approx(len(o13) / len(s13))
    sw, ow = s13.split(), o13.split()
    assert d.additions == pytest.approx(sum((Counter(ow) - Counter(sw)).values()) / 7)
    assert d.deletions == pytest.approx(sum((Counter(sw) - Counter(ow)).values()) / 7)
    assert d.word_edit_distance == Levenshtein.distance(sw, ow) == 4
    assert 0 < d.levenshtein_similarity < 1


def test_empty_and_unequal_inputs() -> None:
    assert edit_diagnostics([], []).n == 0
    assert edit_diagnostics([""], [""]).exact_copies == 1.0
    with pytest.raises(ValueError, match="1 sources but 2 outputs"):
        edit_diagnostics(["a"], ["a", "b"])


def test_evaluate_records_intervals_diagnostics_and_error_types(reference_results: Results) -> None:
    """results.json carries each set's 95% CI (the one `report --ci` recomputes), its diagnostics, and ERRANT
    types for CoNLL-2014 (re-typed gold) and BEA-2019."""
    assert reference_results.predictions is not None
    path = Path(reference_results.predictions).parent / "results.json"
    again = load_model_file(path, Results)
    sets = compare.Rescorer().scored_sets(again, path)
    cis = compare.intervals(sets)
    for s in BENCH_SETS:
        entry = again.sets[s.config]
        assert entry.ci is not None and entry.ci.resamples == 1000
        assert (entry.ci.low, entry.ci.high) == pytest.approx((cis[s.config].low, cis[s.config].high))
        assert entry.diagnostics is not None and entry.diagnostics.n == entry.n
        assert (entry.error_types is not None) == (s.config in ("conll14", "bea19"))
    conll, bea = again.sets["conll14"].error_types, again.sets["bea19"].error_types
    assert conll is not None and conll.gold == "reclassified"
    assert bea is not None and bea.gold == "errant"
    assert bea.overall.f_beta == pytest.approx(again.sets["bea19"].score)
    assert set(conll.operation) <= {"M", "R", "U", "UNK"}
