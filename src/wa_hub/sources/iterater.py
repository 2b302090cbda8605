"""Reader for IteraTeR JSON lines (`sent-level.*.intents.json` of IteraTeR_v2, `test.json` of
IteraTeR_human_sent): one object a line with `before_sent`, `after_sent` and `labels` (the edit intent:
fluency, clarity, coherence, style or meaning-changed; a string, or a one-item list in some dumps).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import read_text


@dataclass(frozen=True)
class Revision:
    index: int  # 0-based line index in the file
    before: str
    after: str
    label: str


def _label(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def read_iterater(path: str | Path) -> list[Revision]:
    """Every revision of the file, in order (blank lines are skipped but keep their index)."""
    path = Path(path)
    out: list[Revision] = []
    expected = 'a JSON object with string fields "before_sent", "after_sent" and "labels"'
    for n, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise MalformedInputError(path, n, expected, line.strip()) from None
        if not isinstance(obj, dict):
            raise MalformedInputError(path, n, expected, line.strip())
        before, after, label = obj.get("before_sent"), obj.get("after_sent"), _label(obj.get("labels"))
        if not isinstance(before, str) or not isinstance(after, str) or label is None:
            raise MalformedInputError(path, n, expected, line.strip())
        out.append(Revision(n - 1, before, after, label))
    return out


def filter_intent(revisions: list[Revision], intent: str) -> list[Revision]:
    """The revisions labelled `intent` whose `after_sent` is not empty (the study's filter)."""
    return [r for r in revisions if r.label == intent and r.after.strip()]
