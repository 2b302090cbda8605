"""Putting a system's ordinary text into the tokenization of a benchmark's gold.

The CoNLL-2014 and BEA-2019 golds (M2) and JFLEG's references are tokenized ("What is genetic risk ?"), but
the models users evaluate write ordinary text ("What is genetic risk?"). Scored as it is, every attached
punctuation mark is a false edit: CoNLL-14 annotator 0's own corrections score F0.5 99.0 tokenized and
50.4 once detokenized. The study's numbers were necessarily computed on outputs in the gold's tokenization.

Methods (`--tokenize`):
- `none`: the hypothesis as given (the official scorers' behaviour; for already tokenized output).
- `spacy`: spaCy's rule-based English tokenizer, tokens joined by spaces (what BEA-2019 used for ERRANT).
  NUCLE's tokenization differs from spaCy's, so on CoNLL-14 this gets the corrections back only to 93.9,
  and it makes spurious edits on unchanged sentences (F0.5 1.3 for the unchanged source).
- `auto`: aligned to the gold's own source sentence, which a rewrite mostly repeats:
  1. hypothesis tokens (split on whitespace) equal to source tokens, in an LCS alignment of the two token
     sequences, are kept as they are (so an unchanged sentence is exactly the source);
  2. in each edited region between those anchors, the characters are aligned (LCS) to the region's source
     tokens, and a source token whose characters all reappear consecutively keeps its boundaries there
     ("do n't" from "don't", "risk ?" from "risk?");
  3. the rest is split where the hypothesis has whitespace and where spaCy's tokenizer splits it, but
     never between two letters or digits unless spaCy does (contractions) — a rewrite that joins two
     source tokens ("super market" -> "supermarket") stays joined;
  4. hyphen and slash compounds ("full-time", "he/she") are split only when the gold's sources split them,
     inferred from the set's sources (CoNLL-14 and JFLEG keep them whole; spaCy-tokenized BEA-2019 splits).
  Measured on /work/shared/data (see docs/metrics.md): CoNLL-14 annotator 0's corrections detokenized with
  sacremoses score F0.5 98.69 with `auto`, the unchanged source exactly 0, already tokenized corrections
  within 0.3 of `none`; JFLEG reference 0 detokenized scores GLEU 61.32 against the other three (61.34
  tokenized, 44.30 as is).

Hand-written: no installable library puts ordinary text into a given gold's tokenization (sacremoses and
spaCy tokenize by their own rules; ERRANT's `-tok` is plain spaCy). The alignments use rapidfuzz's LCS
(Indel) opcodes, the fallback tokenizer is spaCy's blank English pipeline (no model download).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from wa_hub.errors import UsageError
from wa_hub.schema import Tokenize

TOKENIZE_METHODS: tuple[str, ...] = get_args(Tokenize)

_COMPOUND = {"-": re.compile(r"[^\W\d_]-[^\W\d_]"), "/": re.compile(r"[^\W\d_]/[^\W\d_]")}


@dataclass(frozen=True)
class Style:
    """What the gold does that spaCy's defaults do not decide: split compounds at `-` and `/`."""

    split_hyphens: bool = True
    split_slashes: bool = True


def infer_style(sources: Sequence[str]) -> Style:
    """The gold's way with compounds, from its tokenized sources: whole tokens vs standalone `-` / `/`."""
    whole = Counter[str]()
    split = Counter[str]()
    for sentence in sources:
        tokens = sentence.split()
        for i, tok in enumerate(tokens):
            for mark, pattern in _COMPOUND.items():
                between_words = 0 < i < len(tokens) - 1 and tokens[i - 1][-1:].isalpha()
                if pattern.search(tok):
                    whole[mark] += 1
                elif tok == mark and between_words and tokens[i + 1][:1].isalpha():
                    split[mark] += 1
    return Style(split_hyphens=split["-"] >= whole["-"], split_slashes=split["/"] >= whole["/"])


@cache
def _nlp(style: Style) -> Any:
    """spaCy's blank English tokenizer, without the compound infixes the style keeps whole."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp: Any = spacy.blank("en")
    drop = ("-" if not style.split_hyphens else "") + ("/" if not style.split_slashes else "")
    if drop:
        defaults: list[str] = list(nlp.Defaults.infixes)
        infixes = [p for p in defaults if not any(mark in p for mark in drop)]
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def spacy_tokens(text: str, style: Style = Style()) -> list[str]:
    """spaCy's tokens of `text` (whitespace tokens dropped)."""
    return [t.text for t in _nlp(style)(text) if not t.is_space]


def _squeeze(text: str) -> tuple[str, set[int]]:
    """`text` without whitespace, and the positions (in that string) where whitespace was."""
    chars: list[str] = []
    spaces: set[int] = set()
    pending = False
    for ch in text:
        if ch.isspace():
            pending = True
            continue
        if pending and chars:
            spaces.add(len(chars))
        pending = False
        chars.append(ch)
    return "".join(chars), spaces


def _boundaries(tokens: Sequence[str]) -> set[int]:
    """Token boundaries as positions in the tokens' concatenation (whitespace inside tokens removed)."""
    out: set[int] = set()
    n = 0
    for t in tokens:
        size = len("".join(t.split()))
        if not size:
            continue
        if n:
            out.add(n)
        n += size
    return out


def _images(source: Sequence[str], s_join: str, h_join: str) -> list[tuple[int, int]]:
    """For each source token whose characters all reappear consecutively in the hypothesis: its span there."""
    from rapidfuzz.distance import Indel

    where: dict[int, int] = {}
    if s_join and h_join:
        for block in Indel.opcodes(s_join, h_join).as_matching_blocks():
            for k in range(block.size):
                where[block.a + k] = block.b + k
    out = []
    pos = 0
    for tok in source:
        first = where.get(pos)
        if first is not None and all(where.get(pos + k) == first + k for k in range(len(tok))):
            out.append((first, first + len(tok)))
        pos += len(tok)
    return out


def _retokenize_region(hyp_tokens: Sequence[str], source: Sequence[str], style: Style) -> list[str]:
    """Step 2-3 of `auto` for one edited region (hypothesis tokens vs the source tokens they replace)."""
    text = " ".join(hyp_tokens)
    h_join, spaces = _squeeze(text)
    spacy_cuts = _boundaries(spacy_tokens(text, style))
    images = _images(source, "".join(source), h_join)
    inside = {k for a, b in images for k in range(a + 1, b)}
    starts = Counter(a for a, _ in images)
    ends = Counter(b for _, b in images)
    cuts = spacy_cuts - inside
    for a, b in images:  # a kept source token's edges, where spaCy or its neighbour agrees
        for k, neighbour in ((a, ends), (b, starts)):
            if 0 < k < len(h_join) and (neighbour[k] or k in spacy_cuts):
                cuts.add(k)

    def allowed(k: int) -> bool:  # never split inside a word unless spaCy does (contractions)
        return k in spacy_cuts or not (h_join[k - 1].isalnum() and h_join[k].isalnum())

    cuts = spaces | {k for k in cuts if allowed(k)}
    out, prev = [], 0
    for k in sorted(cuts):
        out.append(h_join[prev:k])
        prev = k
    out.append(h_join[prev:])
    return [t for t in out if t]


def retokenize(hypothesis: str, source: str, style: Style = Style()) -> str:
    """`auto` for one sentence: the hypothesis in the tokenization of its (tokenized) `source`."""
    from rapidfuzz.distance import Indel

    src, hyp = source.split(), hypothesis.split()
    out: list[str] = []
    i = j = 0
    for block in Indel.opcodes(src, hyp).as_matching_blocks():  # step 1: anchors on equal tokens
        if block.b > j:
            out += _retokenize_region(hyp[j : block.b], src[i : block.a], style)
        out += hyp[block.b : block.b + block.size]
        i, j = block.a + block.size, block.b + block.size
    return " ".join(out)


def check_method(method: str) -> Tokenize:
    if method not in TOKENIZE_METHODS:
        raise UsageError(f"--tokenize must be one of {', '.join(TOKENIZE_METHODS)}, got {method!r}")
    return method  # type: ignore[return-value]


def tokenize(method: str, hypotheses: Sequence[str], sources: Sequence[str]) -> list[str]:
    """The hypotheses as the metric should see them (`sources`: the gold's tokenized source sentences)."""
    method = check_method(method)
    if method == "none":
        return list(hypotheses)
    if len(hypotheses) != len(sources):
        raise UsageError(f"tokenize: {len(hypotheses)} hypotheses but {len(sources)} source sentences")
    style = infer_style(sources)
    if method == "spacy":
        return [" ".join(spacy_tokens(h, Style())) for h in hypotheses]
    return [retokenize(h, s, style) for h, s in zip(hypotheses, sources, strict=True)]
