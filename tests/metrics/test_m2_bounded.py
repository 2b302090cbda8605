"""Bounded M2 scoring: sentences whose edit lattice is past the exact path's budget (`_m2_bounded`)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.metrics import _m2_fast
from wa_hub.metrics._m2_bounded import bounded_edit_seqs
from wa_hub.metrics._m2_edits import count_matches
from wa_hub.metrics._m2_fast import best_edit_seqs, reference_edit_seqs
from wa_hub.metrics.m2 import MAX_TOKENS, SentenceTooLong, m2

A = ["the", "a", "of", "to", "is", ",", ".", "cat", "dog", "sat", "on", "mat"]
B = ["big", "red", "ran", "runs", "house", "tree", "green", "blue", "fast", "slow"]


def case(rng: random.Random, dense: bool) -> tuple[list[str], list[str], list]:
    """A sentence pair and one annotator's edits: a light edit of the source, or (dense) a rewrite that
    shares few tokens with it, where the official lattice is nearly the whole grid."""
    n = rng.randint(3, 18)
    src = [rng.choice(A) for _ in range(n)]
    if dense:
        hyp = [rng.choice(B) if rng.random() < 0.85 else rng.choice(A) for _ in range(rng.randint(3, 18))]
    else:
        hyp = list(src)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(hyp) + 1)
            if rng.random() < 0.5 and i < len(hyp):
                hyp[i] = rng.choice(A + B)
            else:
                hyp.insert(i, rng.choice(A + B))
    gold, pos = [], 0
    while pos < n and rng.random() < 0.8:
        a = rng.randint(pos, n)
        b = min(n, a + rng.randint(0, 2))
        correction = " ".join(rng.choice(A + B) for _ in range(rng.randint(0 if a < b else 1, 2)))
        gold.append((a, b, " ".join(src[a:b]), [correction]))
        pos = b + 1
    return src, hyp, gold


@pytest.mark.parametrize("dense", [False, True])
def test_the_counts_agree_with_the_official_algorithm(dense: bool) -> None:
    """Seeded pairs small enough for the reference implementation: correct and proposed counts agree on
    at least 98% of them (measured: all but 2 of 300 dense pairs; the official scorer splits an edit
    where a merged arc was listed several times)."""
    rng = random.Random(13)
    agree = total = 0
    for _ in range(150):
        src, hyp, gold = case(rng, dense)
        ref = reference_edit_seqs((src, hyp, [gold]), 2)[0]
        ours = bounded_edit_seqs(src, hyp, [gold], 2)[0]
        total += 1
        agree += (count_matches(ref, gold), len(ref)) == (count_matches(ours, gold), len(ours))
    assert agree / total >= 0.98, f"{agree} of {total}"


def test_past_the_budget_batches_split_and_one_sentence_goes_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    items = [(s, h, [g]) for s, h, g in (case(rng, dense=True) for _ in range(12))]
    exact, none = best_edit_seqs(items, 2)
    assert none == []
    monkeypatch.setattr(_m2_fast, "ARC_BUDGET", 400)  # every batch too big: halves, then single items
    split, bounded = best_edit_seqs(items, 2)
    assert bounded and len(bounded) < len(items)  # the small ones fit alone and stay exact
    for k, (seqs, want) in enumerate(zip(split, exact, strict=True)):
        if k not in bounded:
            assert seqs == want


def test_a_long_rewrite_scores_and_says_it_was_bounded() -> None:
    """A 300-token sentence rewritten word for word: its official lattice would have about 2*10^9 arcs."""
    rng = random.Random(0)
    src = [rng.choice(A) for _ in range(300)]
    hyp = [w + "s" for w in src]
    edits = "\n".join(f"A {i} {i + 1}|||R:NOUN|||{hyp[i]}|||REQUIRED|||-NONE-|||0" for i in (10, 20))
    block = f"S {' '.join(src)}\n{edits}\nA 40 41|||U:DET||||||REQUIRED|||-NONE-|||0"
    result = m2([" ".join(hyp)], [block])
    assert result.settings["bounded"] == 1
    assert result.counts["gold"] == 3 and result.counts["correct"] == 3  # both substitutions and the deletion
    assert result.counts["proposed"] >= 3
    assert "bounded" not in m2([" ".join(src)], [block]).settings


def test_a_line_over_the_limit_is_one_clear_error(tmp_path: Path) -> None:
    src = "a b c ."
    with pytest.raises(
        SentenceTooLong, match=f"sentence 2 has a hypothesis of 10,000 tokens.*up to {MAX_TOKENS}"
    ):
        m2([src, " ".join(["x"] * 10_000)], [f"S {src}", f"S {src}"])
    gold = tmp_path / "gold.m2"
    gold.write_text(f"S {src}\nA 0 1|||R|||A|||REQUIRED|||-NONE-|||0\n\nS {src}\n", encoding="utf-8")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text(src + "\n" + " ".join(["x"] * 600) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["score", "m2", "--gold", str(gold), "--hyp", str(hyp)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    assert f"{hyp}:2: m2: sentence 2 has a hypothesis of 600 tokens" in r.output
