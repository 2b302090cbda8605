"""The M2 scorer (Dahlmeier & Ng 2012), the official metric of CoNLL-2014, on Python 3 and fast.

The official scorer (nusnlp/m2scorer) is Python 2 only and can run for minutes on one system output;
no pip-installable Python 3 port exists, so this one is ours. It reimplements the official algorithm
(see `_m2_edits` for the per-sentence steps) and gives the same numbers:

- gold M2 blocks are read as the official `load_annotation` reads them: `S` lines (stripped), `A` lines
  `start end|||type|||corr1||corr2|||REQUIRED|||-NONE-|||annotator`; `noop` edits and spans outside the
  sentence are dropped (their annotator still counts as one with no edits), `-NONE-` means "delete";
  a block without `A` lines has one annotator with no edits;
- hypotheses and sources are split on whitespace, case and punctuation kept as given;
- per sentence, the annotator whose edits maximise the running corpus F-beta is chosen (ties: more
  correct edits, then fewer proposed + beta^2 * gold), annotators in ascending id order;
- precision, recall and F-beta are corpus-level counts, as in the official scorer (P = 1 with nothing
  proposed, R = 1 with no gold edits, F = 0 when P = R = 0), reported here on the 0-100 scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, WaHubError
from wa_hub.fileio import read_text
from wa_hub.metrics._m2_edits import GoldEdit, count_matches, same_ignoring_whitespace_casing
from wa_hub.metrics._m2_fast import best_edit_seqs

_A_FORMAT = "an edit line 'A start end|||type|||correction|||REQUIRED|||-NONE-|||annotator'"


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
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in block.strip("\n").split("\n")]
    if not lines or not lines[0].startswith("S "):
        got = lines[0] if lines else ""
        raise MalformedInputError(where, first_line, "a sentence line 'S tokens ...'", got)
    sentences = [ln[2:].strip() for ln in lines if ln.startswith("S ")]
    all_tokens = _tokens(" ".join(sentences))
    annotations: dict[int, list[GoldEdit]] = {}
    for offset, line in enumerate(lines[1:], start=1):
        if line.startswith(("S ", "I ")):
            continue
        lineno = first_line + offset
        if not line.startswith("A "):
            raise MalformedInputError(where, lineno, _A_FORMAT, line)
        fields = line[2:].split("|||")
        try:
            span = fields[0].split()
            start, end = int(span[0]), int(span[1])
            etype = fields[1]
            raw_corrections = fields[2].split("||")
            annotator = int(fields[5])
        except (IndexError, ValueError):
            raise MalformedInputError(where, lineno, _A_FORMAT, line) from None
        if etype == "noop":
            start, end = -1, -1
        corrections = [c.strip() if c != "-NONE-" else "" for c in raw_corrections]
        original = " ".join(all_tokens[start:end])
        annotations.setdefault(annotator, []).append((start, end, original, corrections))
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


def read_m2_blocks(path: str | Path) -> list[str]:
    """A gold M2 file -> one block per sentence (its `S` line and `A` lines), checking every line."""
    p = Path(path)
    text = read_text(p)
    blocks: list[str] = []
    current: list[str] = []
    start_line = 1
    lines = text.split("\n")
    for lineno, raw in enumerate([*lines, ""], start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.strip():
            if not current:
                start_line = lineno
            current.append(line)
            continue
        if current:
            block = "\n".join(current)
            parse_m2_block(block, str(p), start_line)  # raises on a malformed line, naming it
            blocks.append(block)
            current = []
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


def m2(
    hypotheses: Sequence[str],
    gold_m2: Sequence[str],
    beta: float = 0.5,
    max_unchanged_words: int = 2,
    ignore_whitespace_casing: bool = False,
) -> dict[str, Any]:
    """Score system outputs (one sentence each) against gold M2 blocks; precision, recall, F on 0-100."""
    if isinstance(hypotheses, str) or isinstance(gold_m2, str):
        raise WaHubError("m2: hypotheses and gold_m2 must be lists of strings (one item per sentence)")
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
    all_seqs = best_edit_seqs(items, max_unchanged_words)
    for (_, _, golds_list), seqs in zip(items, all_seqs, strict=True):
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
    p, r, f = _prf(correct, proposed, gold_total, beta)
    return {
        "metric": "m2",
        "precision": 100.0 * p,
        "recall": 100.0 * r,
        f"f{beta:g}": 100.0 * f,
        "correct": int(correct),
        "proposed": int(proposed),
        "gold": int(gold_total),
        "n": len(sentences),
        "beta": beta,
        "max_unchanged_words": max_unchanged_words,
        "ignore_whitespace_casing": ignore_whitespace_casing,
    }


def read_hypotheses(path: str | Path) -> list[str]:
    """One hypothesis a line, split on "\\n" only (as the official scorer reads them)."""
    p = Path(path)
    text = read_text(p)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def score_m2_files(gold_path: str | Path, hyp_path: str | Path, **options: Any) -> dict[str, Any]:
    """`m2` on a gold M2 file and a hypothesis file (one sentence a line); options as for `m2`."""
    blocks = read_m2_blocks(gold_path)
    hyps = read_hypotheses(hyp_path)
    n_gold = sum(len(parse_m2_block(b)) for b in blocks)
    if len(hyps) != n_gold:
        raise WaHubError(
            f"m2: {len(hyps)} hypotheses but {n_gold} gold sentences ({hyp_path} has {len(hyps)} lines, "
            f"{gold_path} has {n_gold} sentences); one hypothesis per gold sentence is expected"
        )
    return m2(hyps, blocks, **options)
