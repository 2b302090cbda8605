"""spaCy parses of pre-tokenized sentences for ERRANT, as `nlp.pipe` makes them, with a faster attribute
ruler.

`errant_parallel` (without `-tok`) builds each Doc from the sentence's words and runs the pipeline on it;
so does `parse`, through each component's own `pipe` in the pipeline's order, except the attribute ruler:
spaCy's runs its Matcher (179 patterns in `en_core_web_sm`) on every token, a fifth of the parse. Its
patterns here are plain conditions on a few token attributes (equal to, in, not in), so `FastRuler` finds
the same matches from those attributes read once per Doc, memoised per distinct attribute row, and sets the
same attributes in the same order as `AttributeRuler.set_annotations` (matches sorted by rule, then start).
A ruler with any other kind of pattern (operators, regexes, other attributes) is run as spaCy's own.
`tests/metrics/test_errant_cache.py` checks the Docs equal `nlp.pipe`'s, byte for byte, on real data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Token attributes a condition may test: the Matcher compares them as the ids `Doc.to_array` gives.
_STRING_ATTRS = ("ORTH", "LOWER", "TAG", "DEP")
_FLAG_ATTRS = ("IS_SPACE",)

Condition = tuple[int, str, Any]  # (column, "eq" | "in" | "not_in" | "regex", id, ids or pattern)


class FastRuler:
    """An `AttributeRuler`'s effect on a Doc, from its patterns compiled to conditions on attribute ids."""

    def __init__(self, ruler: Any) -> None:
        from spacy import attrs

        strings = ruler.vocab.strings
        self.ruler = ruler
        self.columns: list[str] = []
        # Per rule (in the ruler's order): its token index and its patterns, each a list of conditions
        # per token.
        self.rules: list[tuple[int, list[list[list[Condition]]]]] = []
        for i in range(len(ruler.attrs)):
            _, patterns = ruler.matcher.get(str(i))
            compiled = [[self._conditions(tok, strings) for tok in p] for p in patterns]
            self.rules.append((ruler.indices[i], compiled))
        self.attr_ids = [attrs.IDS[c] for c in self.columns]
        # The longer patterns, as (rule, conditions per token).
        self.multi = [(r, p) for r, (_, ps) in enumerate(self.rules) for p in ps if len(p) > 1]
        # The one-token patterns, filed under one of their "equal to" conditions (column, id) when they
        # have one, so that a row is tested only against those it could match.
        self.by_value: dict[tuple[int, int], list[tuple[int, list[Condition]]]] = {}
        self.unfiled: list[tuple[int, list[Condition]]] = []
        for r, (_, ps) in enumerate(self.rules):
            for p in ps:
                if len(p) == 1:
                    eq = [(col, value) for col, kind, value in p[0] if kind == "eq"]
                    target = self.by_value.setdefault(eq[0], []) if eq else self.unfiled
                    target.append((r, p[0]))
        # attribute row -> (the one-token rules it matches, for each longer pattern which tokens it fits)
        self._memo: dict[tuple[int, ...], tuple[list[int], list[list[bool]]]] = {}

    def _conditions(self, token: dict[str, Any], strings: Any) -> list[Condition]:
        out: list[Condition] = []
        for key, value in token.items():
            if key not in _STRING_ATTRS + _FLAG_ATTRS:
                raise NotImplementedError(key)
            if key not in self.columns:
                self.columns.append(key)
            col = self.columns.index(key)
            if isinstance(value, dict):
                if not value or set(value) - {"IN", "NOT_IN", "REGEX"}:
                    raise NotImplementedError(value)
                for pred, values in value.items():
                    if pred == "REGEX" and key in _STRING_ATTRS and isinstance(values, str):
                        out.append((col, "regex", re.compile(values)))  # searched in the string
                        continue
                    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                        raise NotImplementedError(values)
                    ids = frozenset(strings.add(v) for v in values)
                    out.append((col, "in" if pred == "IN" else "not_in", ids))
            elif key in _FLAG_ATTRS and isinstance(value, bool):
                out.append((col, "eq", int(value)))
            elif key in _STRING_ATTRS and isinstance(value, str):
                out.append((col, "eq", strings.add(value)))
            else:
                raise NotImplementedError(value)
        return out

    def _holds(self, conditions: list[Condition], row: tuple[int, ...]) -> bool:
        for col, kind, value in conditions:
            x = row[col]
            if kind == "eq":
                if x != value:
                    return False
            elif kind == "regex":
                if not value.search(self.ruler.vocab.strings[x]):
                    return False
            elif (x in value) != (kind == "in"):
                return False
        return True

    def _row(self, row: tuple[int, ...]) -> tuple[list[int], list[list[bool]]]:
        candidates = list(self.unfiled)
        for col, x in enumerate(row):
            candidates += self.by_value.get((col, x), ())
        single = sorted({r for r, conditions in candidates if self._holds(conditions, row)})
        return single, [[self._holds(c, row) for c in p] for _, p in self.multi]

    def __call__(self, doc: Any) -> Any:
        from spacy.tokens._retokenize import set_token_attrs

        n = len(doc)
        if not n:
            return doc
        memo = self._memo
        found = []
        for row in map(tuple, doc.to_array(self.attr_ids).reshape(n, -1).tolist()):
            hit = memo.get(row)
            if hit is None:
                hit = memo[row] = self._row(row)
            found.append(hit)
        matches = {(r, s, s + 1) for s, (single, _) in enumerate(found) for r in single}
        for m, (r, p) in enumerate(self.multi):
            size = len(p)
            for s in range(n - size + 1):
                if found[s][1][m][0] and all(found[s + k][1][m][k] for k in range(1, size)):
                    matches.add((r, s, s + size))
        for r, s, e in sorted(matches):  # AttributeRuler.match's order: later rules take precedence
            index = self.rules[r][0]
            k = s + index if index >= 0 else e + index
            if not s <= k < e:
                raise ValueError(f"attribute ruler index {index} outside its match {s}:{e}")
            set_token_attrs(doc[k], self.ruler.attrs[r])
        return doc


def fast_ruler(ruler: Any) -> FastRuler | None:
    """The ruler's `FastRuler` (made once per set of rules and kept on it), or None when its patterns are
    not plain ones."""
    n_rules, fast = getattr(ruler, "_wa_hub_fast", (-1, None))
    if n_rules != len(ruler.attrs):  # first use, or rules added since
        try:
            fast = FastRuler(ruler)
        except NotImplementedError:
            fast = None
        ruler._wa_hub_fast = (len(ruler.attrs), fast)
    return fast if isinstance(fast, FastRuler) else None


def _run(name: str, proc: Any, docs: Iterable[Any], batch_size: int) -> Iterator[Any]:
    from spacy.pipeline import AttributeRuler

    fast = fast_ruler(proc) if isinstance(proc, AttributeRuler) else None
    if fast is not None:
        return (fast(doc) for doc in docs)
    if hasattr(proc, "pipe"):
        return proc.pipe(docs, batch_size=batch_size)  # type: ignore[no-any-return]
    return (proc(doc) for doc in docs)


def parse(sentences: Sequence[str], nlp: Any, *, fast: bool = True) -> list[Any]:
    """Docs of the sentences split on spaces, through every component of `nlp` (as `nlp.pipe`); `fast=False`
    is `nlp.pipe` itself."""
    from spacy.tokens import Doc

    docs: Iterable[Any] = (Doc(nlp.vocab, s.split()) for s in sentences)
    if not fast:
        return list(nlp.pipe(docs))
    for name, proc in nlp.pipeline:
        docs = _run(name, proc, docs, nlp.batch_size)
    return list(docs)
