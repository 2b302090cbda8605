"""`--tokenize auto|spacy|none`: ordinary-text hypotheses in the gold's tokenization (real data goals)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from wa_hub.errors import UsageError
from wa_hub.tokenize import Style, infer_style, retokenize, tokenize

SRC = "In this essay , I will discussed whether people should n't tell their relative ."


@pytest.mark.parametrize(
    ("hyp", "want"),
    [
        # unchanged: exactly the source
        ("In this essay, I will discussed whether people shouldn't tell their relative.", SRC),
        # edits keep the source's boundaries where its characters reappear, spaCy's elsewhere
        (
            "In this essay, I will discuss whether people shouldn't tell their relatives!",
            "In this essay , I will discuss whether people should n't tell their relatives !",
        ),
        # a rewrite that joins two tokens stays joined; new punctuation is split off
        ("In this essay I discuss: should people tell?", "In this essay I discuss : should people tell ?"),
        ("", ""),
    ],
)
def test_auto_follows_the_source(hyp: str, want: str) -> None:
    assert retokenize(hyp, SRC) == want


def test_joined_tokens_are_not_split_again_and_already_tokenized_text_is_kept() -> None:
    assert retokenize("We met at the supermarket.", "We met at the super market .") == (
        "We met at the supermarket ."
    )
    assert retokenize("I cannot go.", "I can not go .") == "I can not go ."  # spaCy splits it, as NUCLE
    assert retokenize(SRC, SRC) == SRC
    assert retokenize("a full-time job", "a part - time job", Style()) == "a full - time job"
    assert retokenize("a full-time job", "a part-time job", Style(False, False)) == "a full-time job"


def test_style_is_inferred_from_the_golds_sources() -> None:
    assert infer_style(["a part-time job", "he/she"]) == Style(split_hyphens=False, split_slashes=False)
    assert infer_style(["a part - time job", "he / she"]) == Style(split_hyphens=True, split_slashes=True)


def test_methods_and_errors() -> None:
    hyps, srcs = ["It is (really) fine."], ["It is ( really ) fine ."]
    assert tokenize("none", hyps, srcs) == hyps
    assert tokenize("spacy", hyps, srcs) == ["It is ( really ) fine ."]
    assert tokenize("auto", hyps, srcs) == srcs
    with pytest.raises(UsageError, match="--tokenize must be one of none, spacy, auto"):
        tokenize("moses", hyps, srcs)
    with pytest.raises(UsageError, match="1 hypotheses but 2"):
        tokenize("auto", hyps, srcs * 2)


def test_a_long_line_is_bounded() -> None:
    source = " ".join(f"word{i} ," for i in range(5000))  # 10k tokens
    hyp = source.replace(" ,", ",").replace("word1", "w1")
    t = time.process_time()
    out = retokenize(hyp, source)
    assert len(out.split()) == 10_000 and time.process_time() - t < 20


# --- the goals, on the real test sets ---------------------------------------------------------------------


def _conll(test_data: Path) -> tuple[list[str], list[str], list[str]]:
    """CoNLL-14: gold blocks, source sentences, annotator 0's corrected sentences (all tokenized)."""
    from wa_hub.metrics import read_m2_blocks
    from wa_hub.sources.load import bench_examples
    from wa_hub.sources.registry import get_source

    rows = bench_examples(get_source("conll14", "test"), test_data, "conll14", "grammaticality")
    return (
        read_m2_blocks(test_data / "conll14" / "official-2014.combined.m2"),
        [r.input for r in rows],
        [r.references[0] for r in rows],
    )


def _detok(lines: list[str]) -> list[str]:
    from sacremoses import MosesDetokenizer

    md = MosesDetokenizer(lang="en")
    return [md.detokenize(x.split()) for x in lines]


@pytest.mark.conformance
def test_conll14_corrections_as_ordinary_text_score_as_tokenized(test_data: Path) -> None:
    gold, sources, corrected = _conll(test_data)
    plain, plain_src = _detok(corrected), _detok(sources)
    none = _f(gold, plain)
    assert 45 < none < 55  # every attached punctuation mark is a false edit
    assert _f(gold, tokenize("auto", plain, sources)) >= 98.4
    assert _f(gold, tokenize("spacy", plain, sources)) < 95
    # the unchanged source: no edit at all with auto, spurious ones with plain spaCy
    assert _f(gold, tokenize("auto", plain_src, sources)) == 0.0
    assert _f(gold, tokenize("spacy", plain_src, sources)) > 0.5
    # already tokenized input is (nearly) left alone
    assert abs(_f(gold, tokenize("auto", corrected, sources)) - _f(gold, corrected)) <= 0.3


def _f(gold: list[str], hyps: list[str]) -> float:
    from wa_hub.metrics.m2 import m2

    return m2(hyps, gold).score


@pytest.mark.conformance
def test_jfleg_reference_as_ordinary_text_keeps_its_gleu(test_data: Path) -> None:
    from wa_hub.fileio import read_lines
    from wa_hub.metrics.gleu import gleu

    d = test_data / "jfleg" / "test"
    src = read_lines(d / "test.src")
    refs = [read_lines(d / f"test.ref{i}") for i in range(4)]
    others = [list(x) for x in zip(*refs[1:], strict=True)]

    def score(hyps: list[str]) -> float:
        return gleu(src, others, hyps).score

    tokenized = score(refs[0])
    assert tokenized == pytest.approx(61.34, abs=0.01)
    plain = _detok(refs[0])
    assert score(plain) < 50
    assert abs(score(tokenize("auto", plain, src)) - tokenized) <= 1.0


@pytest.mark.conformance
def test_errant_path_on_conll14(test_data: Path) -> None:
    """BEA-19 dev is not in shared/ (its licence): ERRANT's path is checked on CoNLL-14 the same way."""
    from wa_hub.metrics.errant import errant

    def score(hyps: list[str]) -> float:
        return errant(hyps, gold).score

    gold, sources, corrected = _conll(test_data)
    tokenized = score(corrected)
    plain = _detok(corrected)
    assert abs(score(tokenize("auto", plain, sources)) - tokenized) <= 0.5  # measured: 79.48 vs 79.65
    assert score(tokenize("auto", _detok(sources), sources)) == 0.0
