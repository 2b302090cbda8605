"""The study's own numbers (Zhang et al. 2023, arXiv 2305.13225, Table 3), for `wa-hub report --with-paper`.

Each row is `{"name", "scores": {config: float}, "average": float | None}` with configs as in
`wa_hub.study.BENCH_SETS`. Only numbers read from the paper belong here, each row with the paper version
it was read from (v1 and v2 differ in wording; their tables may differ too).

Status: the table itself could not be read in this environment (the stored copies of the ar5iv and
arxiv-vanity renderings of 2305.13225 only expose the paper's first page), so no row is filled in yet:
add rows here, copied from Table 3 of the cited version, rather than estimating them. The study reports
48.65 as Writing-Alpaca-7B's average over the ten sets, a check on any transcription.
"""

from __future__ import annotations

from typing import Any

PAPER = {
    "title": (
        "Multi-Task Instruction Tuning of LLaMa for Specific Scenarios: "
        "A Preliminary Study on Writing Assistance"
    ),
    "authors": "Yue Zhang, Leyang Cui, Deng Cai, Xinting Huang, Tao Fang, Wei Bi",
    "arxiv": "2305.13225",
    "table": "Table 3",
}

# Rows in the paper's order; filled only from the paper itself (see the module docstring).
PAPER_ROWS: list[dict[str, Any]] = []
