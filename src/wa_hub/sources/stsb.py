"""Reader for the STS-B CSV files of stsb-multi-mt (`stsb-en-test.csv`): no header, columns
`sentence1,sentence2,similarity_score` with standard CSV quoting; the score is a number from 0 to 5.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import read_text

EXPECTED = "3 CSV fields: sentence1,sentence2,similarity_score (a number from 0 to 5)"


@dataclass(frozen=True)
class StsPair:
    index: int
    sentence1: str
    sentence2: str
    score: float


def _score(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 5.0 else None


def read_stsb(path: str | Path) -> list[StsPair]:
    """Every pair in file order. A record is one line: one that runs on (a quote left open) is reported
    at the line where it starts, not at the end of the file where the CSV reader stops."""
    path = Path(path)
    out: list[StsPair] = []
    reader = csv.reader(io.StringIO(read_text(path, newline="")))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise MalformedInputError(path, start, f"{EXPECTED} ({e})") from None
        if not row:
            continue
        shown = ",".join(row)
        if reader.line_num > start:
            raise MalformedInputError(
                path, start, f"{EXPECTED}, one record a line (a quote opened here is never closed)", shown
            )
        if len(row) != 3:
            raise MalformedInputError(path, start, EXPECTED, shown)
        score = _score(row[2])
        if score is None:
            raise MalformedInputError(path, start, EXPECTED, shown)
        out.append(StsPair(len(out), row[0], row[1], score))
    return out
