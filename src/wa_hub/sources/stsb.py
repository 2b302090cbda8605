"""Reader for the STS-B CSV files of stsb-multi-mt (`stsb-en-test.csv`): no header, columns
`sentence1,sentence2,similarity_score` with standard CSV quoting.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError


@dataclass(frozen=True)
class StsPair:
    index: int
    sentence1: str
    sentence2: str
    score: float


def read_stsb(path: str | Path) -> list[StsPair]:
    path = Path(path)
    out: list[StsPair] = []
    expected = "3 CSV fields: sentence1,sentence2,similarity_score (a number from 0 to 5)"
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            n = reader.line_num
            if not row:
                continue
            if len(row) != 3:
                raise MalformedInputError(path, n, expected, ",".join(row))
            try:
                score = float(row[2])
            except ValueError:
                raise MalformedInputError(path, n, expected, ",".join(row)) from None
            out.append(StsPair(len(out), row[0], row[1], score))
    return out
