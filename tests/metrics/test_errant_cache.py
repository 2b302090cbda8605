"""ERRANT's faster path gives what ERRANT gives: the alignment matrices, the edits and the scores, whether
the gold's parses come from spaCy, memory or the disk cache, and a damaged or stale cache is parsed again."""

from __future__ import annotations

import importlib
import random
from pathlib import Path

import pytest

from wa_hub import m2 as codec
from wa_hub.metrics import errant
from wa_hub.metrics.errant import annotate, compare, load_annotator

cache = importlib.import_module("wa_hub.metrics._errant_cache")
fast = importlib.import_module("wa_hub.metrics._errant_align")


def _perturb(sentence: str, seed: int) -> str:
    tokens = sentence.split()
    rng = random.Random(seed)
    if tokens and seed % 3 == 0:
        k = rng.randrange(len(tokens))
        op = rng.choice("dsi")
        if op == "d":
            del tokens[k]
        elif op == "s":
            tokens[k] = "the" if tokens[k] != "the" else "a"
        else:
            tokens.insert(k, "very")
    return " ".join(tokens)


@pytest.fixture(scope="module")
def conll14(test_data: Path) -> dict[str, list[str]]:
    blocks = [codec.format_block(b) for b in codec.read_m2(test_data / "conll14/official-2014.combined.m2")]
    parsed = [codec.parse_block(b) for b in blocks]
    return {
        "gold": blocks,
        "sources": [b.source for b in parsed],
        "ann0": [codec.apply_edits(b, 0) for b in parsed],
        "system": [_perturb(codec.apply_edits(b, 1), i) for i, b in enumerate(parsed)],
    }


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WA_HUB_CACHE", str(tmp_path))
    cache.forget()
    yield tmp_path / "errant"
    cache.forget()


@pytest.mark.conformance
def test_alignment_matrices_equal_errants_on_conll14(conll14: dict[str, list[str]]) -> None:
    from errant.alignment import Alignment
    from spacy.tokens import Doc

    nlp = load_annotator().nlp
    origs = list(nlp.pipe(Doc(nlp.vocab, s.split()) for s in conll14["sources"]))
    for name in ("ann0", "system"):
        cors = nlp.pipe(Doc(nlp.vocab, h.split()) for h in conll14[name])
        for i, (orig, cor) in enumerate(zip(origs, cors, strict=True)):
            ref = Alignment(orig, cor)
            assert fast.align_matrices(orig, cor) == (ref.cost_matrix, ref.op_matrix), (name, i)


@pytest.mark.conformance
def test_cached_parses_give_the_uncached_edits_and_scores(
    conll14: dict[str, list[str]], cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, hyps, gold = conll14["sources"], conll14["system"], conll14["gold"]
    uncached = annotate(sources, hyps, cache=False)
    assert not cache_dir.exists()
    assert annotate(sources, hyps) == uncached  # cold: parsed, stored
    assert len(list(cache_dir.glob("*.spacy"))) == 1
    parses: list[int] = []
    real_parse = cache._parse
    monkeypatch.setattr(cache, "_parse", lambda s, nlp: parses.append(len(s)) or real_parse(s, nlp))
    cache.forget()  # as a new process: the parses come from the disk
    assert annotate(sources, hyps) == uncached
    warm = errant(hyps, gold)  # from memory
    assert parses == []  # the sources were never parsed again
    expected = compare(uncached, gold)  # errant_compare's functions on the uncached path's M2
    for field in ("counts", "precision", "recall", "f_beta", "categories"):
        assert getattr(warm, field) == getattr(expected, field), field


def _damage(path: Path, how: str, other: Path) -> None:
    data = path.read_bytes()
    if how == "flipped byte":
        k = len(data) - 100
        path.write_bytes(data[:k] + bytes([data[k] ^ 0x10]) + data[k + 1 :])
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"not a cache")
    elif how == "another gold's file":
        path.write_bytes(other.read_bytes())
    else:  # a well-formed file under this key holding other sentences' parses
        nlp = load_annotator().nlp
        key = path.stem
        docs = cache._parse([s + " extra" for s in SOURCES], nlp)
        path.write_bytes(cache._encode(key, docs))


SOURCES = ["This are a sentence .", "He go to school yesterday .", "I like the apple and banana ."]
HYPS = ["This is a sentence .", "He went to school .", "I like apples and bananas ."]


@pytest.mark.parametrize(
    "how", ["flipped byte", "truncated", "garbage", "another gold's file", "other sentences"]
)
def test_a_damaged_or_stale_cache_is_parsed_again(cache_dir: Path, how: str) -> None:
    expected = annotate(SOURCES, HYPS, cache=False)
    annotate(SOURCES[:2], HYPS[:2])
    other = next(cache_dir.glob("*.spacy"))
    assert annotate(SOURCES, HYPS) == expected
    (path,) = set(cache_dir.glob("*.spacy")) - {other}
    _damage(path, how, other)
    nlp = load_annotator().nlp
    key = cache.cache_key(SOURCES, nlp)
    assert cache._decode(path.read_bytes(), key, SOURCES, nlp) is None  # not trusted
    cache.forget()
    assert annotate(SOURCES, HYPS) == expected
    assert cache._decode(path.read_bytes(), key, SOURCES, nlp) is not None  # rebuilt


def test_the_key_changes_with_what_a_parse_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    nlp = load_annotator().nlp
    key = cache.cache_key(SOURCES, nlp)
    assert cache.cache_key(SOURCES[:2], nlp) != key
    assert cache.cache_key([SOURCES[0] + " ."] + SOURCES[1:], nlp) != key
    monkeypatch.setattr(spacy, "__version__", "0.0.1")
    assert cache.cache_key(SOURCES, nlp) != key


def test_an_unwritable_cache_only_costs_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("WA_HUB_CACHE", str(blocker))
    cache.forget()
    try:
        assert annotate(SOURCES, HYPS) == annotate(SOURCES, HYPS, cache=False)
    finally:
        cache.forget()
    assert blocker.read_text() == "a file where the cache folder would go"


@pytest.mark.conformance
def test_fast_parse_equals_nlp_pipe_on_conll14(conll14: dict[str, list[str]]) -> None:
    """Every token attribute (the whole serialised Doc) as `nlp.pipe` gives it, the attribute ruler's
    two-token rules ("there 's", "n't") included."""
    parse = importlib.import_module("wa_hub.metrics._errant_parse")
    nlp = load_annotator().nlp
    assert parse.fast_ruler(nlp.get_pipe("attribute_ruler")) is not None  # the fast path is the one tested
    extra = ["There 's a cat .", "there are   two", "Here 's what I got , and he gets it .", "It is n't ."]
    sentences = conll14["sources"] + conll14["system"] + extra
    expected = parse.parse(sentences, nlp, fast=False)
    got = parse.parse(sentences, nlp)
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(expected, got, strict=True)):
        assert a.to_bytes() == b.to_bytes(), (i, sentences[i])
