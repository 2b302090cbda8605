"""Reader for the Wiki Neutrality Corpus TSV files (`biased.word.{train,dev,test}`): columns id, src_tok,
tgt_tok, src_raw, tgt_raw, src_POS_tags, tgt_parse_tags. wa-hub uses the raw (untokenized) columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MalformedInputError
from wa_hub.fileio import read_lines


@dataclass(frozen=True)
class WncPair:
    index: int
    rev_id: str
    biased: str  # src_raw
    neutral: str  # tgt_raw


def read_wnc(path: str | Path) -> list[WncPair]:
    path = Path(path)
    out: list[WncPair] = []
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 7:
            raise MalformedInputError(
                path,
                n,
                "7 tab-separated columns (id, src_tok, tgt_tok, src_raw, tgt_raw, src_POS_tags, "
                "tgt_parse_tags)",
                f"{len(cols)} column(s): {line}",
            )
        out.append(WncPair(len(out), cols[0], cols[3], cols[4]))
    return out
