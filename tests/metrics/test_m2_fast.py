"""The vectorised M2 path (`_m2_fast`) against the step-by-step reference (`_m2_edits`), sentence by sentence.

The reference follows the official scorer's code and matches it on full CoNLL-2014 outputs; the fast path
must return the very same edit sequence for every sentence and annotator, ties and float sums included.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wa_hub.metrics._m2_edits import GoldEdit
from wa_hub.metrics._m2_fast import Item, best_edit_seqs, reference_edit_seqs
from wa_hub.metrics.m2 import parse_m2_block, read_m2_blocks

# A tiny vocabulary: many repeated tokens, so many equally good alignments and ties to break.
TOKENS = st.sampled_from(["a", "b", "c", "the", "."])


@st.composite
def items(draw: st.DrawFn) -> Item:
    src = draw(st.lists(TOKENS, max_size=9))
    hyp = draw(st.lists(TOKENS, max_size=11))
    annotators: list[list[GoldEdit]] = []
    for _ in range(draw(st.integers(1, 3))):
        gold: list[GoldEdit] = []
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(src)))
            end = draw(st.integers(start, min(len(src), start + 3)))
            # corrections taken from the hypothesis make matches (and negative weights) likely
            a = draw(st.integers(0, len(hyp)))
            b = draw(st.integers(a, min(len(hyp), a + 3)))
            alts = [" ".join(hyp[a:b]), " ".join(draw(st.lists(TOKENS, max_size=2)))]
            gold.append((start, end, " ".join(src[start:end]), alts))
        gold.sort(key=lambda g: (g[0], g[1]))
        annotators.append(gold)
    return src, hyp, annotators


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=6), st.integers(0, 3))
def test_random_batches_equal_reference(batch: list[Item], max_unchanged: int) -> None:
    fast, bounded = best_edit_seqs(batch, max_unchanged)
    assert bounded == []
    for item, seqs in zip(batch, fast, strict=True):
        assert seqs == reference_edit_seqs(item, max_unchanged), item


def rewrite(tokens: list[str], vocab: list[str], rng: random.Random, style: str) -> list[str]:
    """Seeded system-like outputs, from light edits to heavy rewrites (where the lattice gets large)."""
    if style == "append":
        return tokens + [rng.choice(vocab) for _ in range(rng.randrange(5, 30))]
    rate = {"light": 0.1, "heavy": 0.5}[style]
    out: list[str] = []
    for tok in tokens:
        r = rng.random()
        if r < rate * 0.6:
            out.append(rng.choice(vocab))
        elif r < rate * 0.8:
            continue
        elif r < rate:
            out += [tok, rng.choice(vocab)]
        else:
            out.append(tok)
    for _ in range(len(out) // 6 if style == "heavy" else 0):
        i = rng.randrange(len(out))
        j = min(len(out) - 1, i + rng.randrange(1, 4))
        out[i], out[j] = out[j], out[i]
    return out


def corrected(tokens: list[str], edits: list[GoldEdit]) -> list[str]:
    out: list[str] = []
    pos = 0
    for start, end, _orig, corrections in sorted(edits, key=lambda e: (e[0], e[1])):
        if start >= pos:
            out += tokens[pos:start] + (corrections[0].split() if corrections else [])
            pos = end
    return out + tokens[pos:]


@pytest.mark.conformance
@pytest.mark.parametrize("style", ["light", "heavy", "append"])
def test_conll14_rewrites_equal_reference(test_data: Path, style: str) -> None:
    blocks = read_m2_blocks(test_data / "conll14" / "official-2014.combined.m2")
    rng = random.Random(f"m2-fast-{style}")
    sentences = [s for b in rng.sample(blocks, 120) for s in parse_m2_block(b)]
    vocab = sorted({t for s, _ in sentences for t in s.split()})
    batch: list[Item] = []
    for source, golds in sentences:
        # one annotator's corrections (some of them) first, so that gold matches steer the path
        edits = [e for e in golds[rng.choice(list(golds))] if rng.random() < 0.7]
        hyp = rewrite(corrected(source.split(), edits), vocab, rng, style)
        batch.append((source.split(), hyp, list(golds.values())))
    fast, bounded = best_edit_seqs(batch, 2)
    assert bounded == []  # real sentences, even heavily rewritten, stay within the exact path's budget
    for item, seqs in zip(batch, fast, strict=True):
        assert seqs == reference_edit_seqs(item, 2), item[:2]
