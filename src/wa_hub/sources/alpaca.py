"""Reader for Stanford Alpaca style data (`alpaca_data.json`, `alpaca_gpt4_data.json`): a JSON list of
`{"instruction", "input", "output"}` objects. An empty `input` means the no-input Alpaca prompt
(wa_hub.prompts.format_prompt picks it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import read_text


@dataclass(frozen=True)
class AlpacaRecord:
    index: int
    instruction: str
    input: str
    output: str


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_alpaca(path: str | Path) -> list[AlpacaRecord]:
    path = Path(path)
    text = read_text(path)
    expected = 'a JSON list of objects with string fields "instruction", "input" and "output"'
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise MalformedInputError(path, e.lineno, f"valid JSON ({e.msg})") from None
    if not isinstance(data, list):
        raise MalformedInputError(path, 1, expected, type(data).__name__)
    out: list[AlpacaRecord] = []
    for i, obj in enumerate(data):
        ok = isinstance(obj, dict) and all(isinstance(obj.get(k), str) for k in ("instruction", "output"))
        ok = ok and isinstance(obj.get("input", ""), str)
        if not ok:
            raise MalformedInputError(path, None, f"{expected} (record {i})", json.dumps(obj)[:120])
        out.append(AlpacaRecord(i, obj["instruction"], obj.get("input", ""), obj["output"]))
    return out
