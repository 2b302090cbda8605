"""The M2 scorer (Dahlmeier & Ng 2012), the official metric of CoNLL-2014, on Python 3 and fast.

The official scorer (nusnlp/m2scorer) is Python 2 only and can run for minutes on one system output;
no pip-installable Python 3 port exists, so this one is ours. It reimplements the official algorithm
(see `_m2_edits` for the per-sentence steps) and gives the same numbers:

- gold M2 blocks are parsed by `wa_hub.m2` (leniently: `strict=False`) and read the way the official
  `load_annotation` reads them, a thin layer of its quirks: `S` lines stripped, tokens split on whitespace
  as Python 2 splits (U+180E too), corrections stripped, `-NONE-` the empty correction; `noop` edits are
  dropped (their annotator still counts, with no edits); a span outside the sentence or reversed is an
  error (`wa_hub.m2.check_bounds`; the official scorer drops it and scores against the rest); a block
  without `A` lines has one annotator with no edits; a block with several `S` lines is one sentence per
  line, each given the edits whose offsets fall within the tokens up to its end;
- hypotheses and sources are split on whitespace, case and punctuation kept as given;
- per sentence, the annotator whose edits maximise the running corpus F-beta is chosen (ties: more
  correct edits, then fewer proposed + beta^2 * gold), annotators in ascending id order;
- precision, recall and F-beta are corpus-level counts, as in the official scorer (P = 1 with nothing
  proposed, R = 1 with no gold edits, F = 0 when P = R = 0), reported here on the 0-100 scale.

Bounded cost: a sentence whose official edit lattice would pass `_m2_fast.ARC_BUDGET` transitive arcs
(long sentences heavily rewritten) is scored by `_m2_bounded`, the same objective without the arcs; its
counts agree with the official algorithm's on more than 99% of tested pairs, and `settings["bounded"]`
says how many sentences were scored that way. Every sentence of up to `MAX_TOKENS` (512) tokens, source
and hypothesis, scores in a few seconds and a few hundred MB (`benchmarks/m2_speed.py --worst`); a longer
one is a one-line `SentenceTooLong` error.

`sentence_stats` gives each sentence's correct / proposed / gold counts of the annotator chosen in that
sequential pass, and `aggregate` sums them. The choice depends on the sentences before, so a resample is
scored by re-summing the chosen counts of its sentences (not by choosing again): the corpus figure is
unchanged, and a bootstrap sees each sentence with the edits it was scored with. A one-hot row is then a
sentence's own counts in the corpus score; alone, a sentence with several annotators could take another.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike

from wa_hub import m2 as codec
from wa_hub.errors import UsageError, WaHubError
from wa_hub.fileio import read_lines
from wa_hub.metrics._common import check_beta, check_not_empty
from wa_hub.metrics._m2_edits import GoldEdit, count_matches, same_ignoring_whitespace_casing
from wa_hub.metrics._m2_fast import best_edit_seqs
from wa_hub.metrics.stats import SentenceStats, f_score_aggregate
from wa_hub.schema import MetricResult

MAX_TOKENS = 512  # per sentence, source and hypothesis: what the bounds of `_m2_bounded` are measured on


class SentenceTooLong(WaHubError):
    """A sentence longer than `MAX_TOKENS`; `index` is its 0-based position (callers name file and line)."""

    def __init__(self, index: int, side: str, tokens: int) -> None:
        self.index, self.side, self.tokens = index, side, tokens
        super().__init__(
            f"m2: sentence {index + 1} has a {side} of {tokens:,} tokens; the M2 scorer supports sentences "
            f"of up to {MAX_TOKENS} tokens (source and hypothesis)"
        )


def _tokens(text: str) -> list[str]:
    # Python 2's unicode.split() also splits on U+180E (whitespace before Unicode 6.3).
    if "\u180e" in text:
        text = text.replace("\u180e", " ")
    return text.split()


Sentence = tuple[str, dict[int, list[GoldEdit]]]  # source sentence, {annotator: gold edits}


def parse_m2_block(block: str, where: str = "gold_m2", first_line: int = 1) -> list[Sentence]:
    """One M2 block -> [(source sentence, {annotator: gold edits})], one item per `S` line.

    Blocks have one `S` line in practice; several are handled as the official scorer handles them.
    `where` and `first_line` only name the place of a malformed line in the error.
    """
    parsed = codec.parse_block(block, where=where, line=first_line, strict=False)
    codec.check_bounds(parsed)
    sentences = [s.strip() for s in (parsed.source, *parsed.extra_sources)]
    all_tokens = _tokens(" ".join(sentences))
    annotations: dict[int, list[GoldEdit]] = {}
    for e in parsed.edits:
        start, end = (-1, -1) if e.type == codec.NOOP else (e.start, e.end)
        corrections = [c.strip() for c in e.alternatives]
        original = " ".join(all_tokens[start:end])
        annotations.setdefault(e.annotator, []).append((start, end, original, corrections))
    out: list[Sentence] = []
    n_tokens = 0
    for sentence in sentences:
        n_tokens += len(_tokens(sentence))
        golds = {
            ann: [e for e in edits if 0 <= e[0] <= n_tokens and 0 <= e[1] <= n_tokens]
            for ann, edits in sorted(annotations.items())
        }
        out.append((sentence, golds or {0: []}))
    return out


def gold_sentences(gold_m2: Sequence[str]) -> list[str]:
    """The source sentence of every hypothesis the blocks are scored against (one per `S` line)."""
    return [s for i, b in enumerate(gold_m2) for s, _ in parse_m2_block(b, where=f"gold_m2[{i}]")]


def read_m2_blocks(path: str | Path) -> list[str]:
    """A gold M2 file -> one block per sentence (its `S` line and `A` lines), every line and span checked."""
    return [codec.format_block(b) for b in _read_gold(path)]


def _read_gold(path: str | Path) -> list[codec.Block]:
    """A gold file's blocks as the official scorer reads them; a span outside its sentence names its line."""
    blocks = codec.read_m2(path, strict=False)
    for b in blocks:
        codec.check_bounds(b)
    return blocks


def _prf(correct: float, proposed: float, gold: float, beta: float) -> tuple[float, float, float]:
    """The official corpus-level precision, recall and F-beta (0-1)."""
    p = correct / proposed if proposed else 1.0
    r = correct / gold if gold else 1.0
    denom = beta * beta * p + r
    f = (1.0 + beta * beta) * p * r / denom if denom else 0.0
    return p, r, f


def _running_f(correct: float, proposed: float, gold: float, beta: float) -> float:
    """The official comp_f1, used to choose the annotator of each sentence."""
    denom = beta * beta * gold + proposed
    if denom == 0:
        return 1.0 if correct == 0.0 else 0.0
    return (1 + beta * beta) * correct / denom


def sentence_stats(
    hypotheses: Sequence[str],
    gold_m2: Sequence[str],
    beta: float = 0.5,
    max_unchanged_words: int = 2,
    ignore_whitespace_casing: bool = False,
) -> SentenceStats:
    """Each sentence's `correct`, `proposed` and `gold` counts (int arrays), of the annotator the official
    sequential choice takes for it (which depends on `beta`)."""
    if isinstance(hypotheses, str) or isinstance(gold_m2, str):
        raise WaHubError("m2: hypotheses and gold_m2 must be lists of strings (one item per sentence)")
    check_beta("m2", beta)
    if max_unchanged_words < 0:
        raise UsageError(
            f"m2: max_unchanged_words (--max-unchanged-words) must be >= 0, got {max_unchanged_words}"
        )
    check_not_empty("m2", len(gold_m2))
    sentences: list[Sentence] = []
    for i, block in enumerate(gold_m2):
        sentences.extend(parse_m2_block(block, where=f"gold_m2[{i}]"))
    if len(hypotheses) != len(sentences):
        raise WaHubError(
            f"m2: {len(hypotheses)} hypotheses but {len(sentences)} gold sentences; "
            "one hypothesis per gold sentence is expected"
        )
    sqbeta = beta * beta
    correct = proposed = gold_total = 0.0
    items = [
        (_tokens(source), _tokens(hyp), list(golds.values()))
        for hyp, (source, golds) in zip(hypotheses, sentences, strict=True)
    ]
    for k, (src, hyp, _) in enumerate(items):
        if max(len(src), len(hyp)) > MAX_TOKENS:
            side = "source" if len(src) > MAX_TOKENS else "hypothesis"
            raise SentenceTooLong(k, side, max(len(src), len(hyp)))
    all_seqs, bounded = best_edit_seqs(items, max_unchanged_words)
    chosen_counts = np.zeros((len(items), 3), dtype=np.int64)
    for row, ((_, _, golds_list), seqs) in enumerate(zip(items, all_seqs, strict=True)):
        best_f = -1.0
        best_correct = -1.0
        best_cost = float("inf")
        chosen = (0, 0, 0)
        for gold, seq in zip(golds_list, seqs, strict=True):
            if ignore_whitespace_casing:
                seq = [e for e in seq if not same_ignoring_whitespace_casing(e[2], e[3])]
            n_correct = count_matches(seq, gold)
            c = correct + n_correct
            p = proposed + len(seq)
            g = gold_total + len(gold)
            f = _running_f(c, p, g, beta)
            if best_f < f or (
                best_f == f and (best_correct < c or (best_correct == c and best_cost > p + sqbeta * g))
            ):
                best_f, best_correct, best_cost = f, c, p + sqbeta * g
                chosen = (n_correct, len(seq), len(gold))
        correct += chosen[0]
        proposed += chosen[1]
        gold_total += chosen[2]
        chosen_counts[row] = chosen
    return SentenceStats(
        "m2",
        len(items),
        {"correct": chosen_counts[:, 0], "proposed": chosen_counts[:, 1], "gold": chosen_counts[:, 2]},
        beta=beta,
        settings={
            "max_unchanged_words": max_unchanged_words,
            "ignore_whitespace_casing": ignore_whitespace_casing,
            **({"bounded": len(bounded)} if bounded else {}),
        },
    )


@overload
def aggregate(stats: SentenceStats, weights: None = None) -> MetricResult: ...
@overload
def aggregate(stats: SentenceStats, weights: ArrayLike) -> np.ndarray: ...
def aggregate(stats: SentenceStats, weights: ArrayLike | None = None) -> MetricResult | np.ndarray:
    """The corpus result from summed counts; with (B, n) `weights`, B F-beta scores (0-100)."""
    stats.check("m2")
    return f_score_aggregate(stats, weights, ("correct", "proposed", "gold"), _prf)


def m2(
    hypotheses: Sequence[str],
    gold_m2: Sequence[str],
    beta: float = 0.5,
    max_unchanged_words: int = 2,
    ignore_whitespace_casing: bool = False,
) -> MetricResult:
    """Score system outputs (one sentence each) against gold M2 blocks; precision, recall, F on 0-100."""
    return aggregate(sentence_stats(hypotheses, gold_m2, beta, max_unchanged_words, ignore_whitespace_casing))


def score_m2_files(gold_path: str | Path, hyp_path: str | Path, **options: Any) -> MetricResult:
    """`m2` on a gold M2 file and a hypothesis file (one sentence a line); options as for `m2`."""
    blocks = _read_gold(gold_path)
    hyps = read_lines(hyp_path)
    n_gold = sum(1 + len(b.extra_sources) for b in blocks)
    if len(hyps) != n_gold:
        raise WaHubError(
            f"m2: {len(hyps)} hypotheses but {n_gold} gold sentences ({hyp_path} has {len(hyps)} lines, "
            f"{gold_path} has {n_gold} sentences); one hypothesis per gold sentence is expected"
        )
    return m2(hyps, [codec.format_block(b) for b in blocks], **options)
