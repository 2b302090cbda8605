"""The study's own numbers (Zhang et al. 2023, arXiv 2305.13225): Tables 3, 4, 7 and 8, as printed.

Transcribed by hand from the paper (its text is `../shared/study/paper-2305.13225.txt`; the same numbers as
`../shared/study/tables.json`), never read at run time. `tests/test_paper.py` checks every Table 3 row's mean
against its printed average. Row names are the paper's, with `->` for its arrows.

- `TABLE3`: the main results, one row per model of the study, ten sets and the average ("All"); the
  recipes name the row they reproduce (`paper_row:` in `recipes/*.yaml`). `PAPER_ROWS` holds the same rows
  as `{"name", "scores": {config: float}, "average": float}`, configs as in `wa_hub.study.BENCH_SETS`.
- `TABLE4`: other instruction-following models on the same sets, one decimal, no average; the rows marked *
  in the paper are EditEval's figures (`"from"`), "which may not be directly comparable".
- `TABLE7`: Writing-Alpaca-7B's CoNLL-2014 and BEA-2019 precision, recall and F0.5 per decoding strategy.
- `TABLE8`: models fine-tuned on CLang8 (about 2.3M GEC sentence pairs), the same six columns, one decimal.

Each table is a `PaperTable` (`TABLES[number]`): its caption, column keys and labels, the decimals it
prints, and rows `{"name", "values": {column: float | None}, "from": str}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wa_hub.study import BENCH_SETS

PAPER = {
    "title": (
        "Multi-Task Instruction Tuning of LLaMa for Specific Scenarios: "
        "A Preliminary Study on Writing Assistance"
    ),
    "authors": "Yue Zhang, Leyang Cui, Deng Cai, Xinting Huang, Tao Fang, Wei Bi",
    "arxiv": "2305.13225",
}

CONFIGS = tuple(s.config for s in BENCH_SETS)
GEC_COLUMNS = ("conll14 P", "conll14 R", "conll14 F0.5", "bea19 P", "bea19 R", "bea19 F0.5")
_EDITEVAL = "EditEval (Dwivedi-Yu et al. 2022)"


@dataclass(frozen=True)
class PaperTable:
    """One of the study's tables. `columns` are the keys of each row's `values`: benchmark configs and
    `average` (Tables 3, 4), or `<config> P|R|F0.5` (Tables 7, 8); `labels` are their headers."""

    number: int
    caption: str
    columns: tuple[str, ...]
    labels: tuple[str, ...]
    decimals: int  # as printed
    rows: tuple[dict[str, Any], ...]  # {"name", "values": {column: float | None}, "from": str}
    note: str = ""

    def row(self, name: str) -> dict[str, Any]:
        """The row called `name`, or a KeyError listing the table's rows."""
        for r in self.rows:
            if r["name"] == name:
                return r
        names = ", ".join(r["name"] for r in self.rows)
        raise KeyError(f"the study's Table {self.number} has no row {name!r}; its rows: {names}")


def _table(
    number: int,
    caption: str,
    columns: tuple[str, ...],
    labels: tuple[str, ...],
    decimals: int,
    rows: Mapping[str, Sequence[float | None]],
    sources: dict[str, str] | None = None,
    note: str = "",
) -> PaperTable:
    """A table from `{row name: its values in column order}`; `sources`: rows the paper took elsewhere."""
    cells = tuple(
        {
            "name": name,
            "values": dict(zip(columns, values, strict=True)),
            "from": (sources or {}).get(name, ""),
        }
        for name, values in rows.items()
    )
    return PaperTable(number, caption, columns, labels, decimals, cells, note)


_TEN_LABELS = tuple(s.abbrev for s in BENCH_SETS)
TABLE3 = _table(
    3,
    "Main experimental results for seven writing tasks",
    (*CONFIGS, "average"),
    (*_TEN_LABELS, "Avg"),
    2,
    {
        "LLaMa-7B": [19.21, 22.42, 41.14, 35.17, 34.12, 34.88, 30.87, 25.13, 31.13, 32.34, 30.64],
        "Alpaca-7B": [52.86, 36.19, 59.30, 48.54, 35.48, 37.98, 40.33, 43.91, 34.89, 41.19, 43.07],
        "7B->13B": [53.23, 37.52, 61.05, 52.01, 34.70, 36.17, 41.15, 43.02, 35.71, 42.99, 43.76],
        "GPT3.5->GPT4 data": [50.97, 36.31, 59.13, 52.35, 35.10, 36.31, 40.22, 44.84, 33.24, 39.64, 42.81],
        "Writing-Alpaca-7B": [55.88, 46.35, 59.93, 52.79, 39.44, 37.12, 42.67, 44.57, 64.43, 43.30, 48.65],
        "- Generic instruction data": [
            56.31,
            46.99,
            60.70,
            56.12,
            38.11,
            36.66,
            40.83,
            42.26,
            63.36,
            27.79,
            46.91,
        ],
        "LoRA->Full Finetuning": [
            56.94,
            47.66,
            61.89,
            57.35,
            38.18,
            43.31,
            42.24,
            44.66,
            70.95,
            42.02,
            50.52,
        ],
    },
)
TABLE4 = _table(
    4,
    "Comparisons with other instruction-based models",
    CONFIGS,
    _TEN_LABELS,
    1,
    {
        "OPT-175B": [None, None, 47.5, 34.7, 31.5, 27.6, 32.6, 31.8, 31.2, 29.1],
        "GPT3-175B": [None, None, 51.8, 32.1, 33.5, 26.9, 33.0, 30.5, 31.7, 27.2],
        "InstructGPT-175B": [51.5, 40.2, 59.3, 48.8, 35.1, 35.9, 38.8, 38.0, 35.4, 42.5],
        "ChatGPT": [53.3, 42.7, 62.4, 50.9, 31.5, 31.0, 39.9, 47.0, 36.3, 40.9],
        "Writing-Alpaca-7B": [55.9, 46.4, 59.9, 52.8, 39.4, 37.1, 42.7, 44.6, 64.4, 43.3],
    },
    sources=dict.fromkeys(("OPT-175B", "GPT3-175B", "InstructGPT-175B"), _EDITEVAL),
    note=f"OPT-175B, GPT3-175B and InstructGPT-175B are {_EDITEVAL}'s figures, which the paper says may not "
    "be directly comparable with its own.",
)
_GEC_LABELS = ("CoNLL P", "CoNLL R", "CoNLL F0.5", "BEA P", "BEA R", "BEA F0.5")
# Tables 7 and 8: CoNLL-2014 and BEA-2019 precision, recall and F0.5.
TABLE7, TABLE8 = (
    _table(number, caption, GEC_COLUMNS, _GEC_LABELS, decimals, rows)
    for number, caption, decimals, rows in (
        (
            7,
            "The effects of different decoding strategies on the grammatical task (Writing-Alpaca-7B)",
            2,
            {
                "Greedy": [67.97, 32.65, 55.88, 53.46, 30.26, 46.35],
                "Beam (4 beams)": [69.01, 31.95, 56.02, 54.13, 30.02, 46.64],
                "Top-P (p 0.7, T 0.2)": [67.75, 32.84, 55.87, 53.52, 29.73, 46.14],
            },
        ),
        (
            8,
            "Comparison of different models fine-tuned on large-scale CLang8 GEC training data (about 2.3M "
            "pairs)",
            1,
            {
                "Roberta-Large (GECToR)": [75.6, 44.5, 66.3, 66.0, 33.8, 55.5],
                "T5-Large": [72.2, 51.4, 66.8, 60.5, 43.1, 56.0],
                "LLaMa-7B-LoRA": [70.3, 50.7, 65.2, 58.5, 43.1, 54.6],
            },
        ),
    )
)
TABLES: dict[int, PaperTable] = {t.number: t for t in (TABLE3, TABLE4, TABLE7, TABLE8)}

# Table 3 in the shape the report and the cards read: {"name", "scores": {config: float}, "average"}.
PAPER_ROWS: list[dict[str, Any]] = [
    {"name": r["name"], "scores": {c: r["values"][c] for c in CONFIGS}, "average": r["values"]["average"]}
    for r in TABLE3.rows
]
