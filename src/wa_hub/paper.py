"""The study's own numbers (Zhang et al. 2023, arXiv 2305.13225, Table 3), for `wa-hub report --with-paper`.

Each row is `{"name", "scores": {config: float}, "average": float | None}` with configs as in
`wa_hub.study.BENCH_SETS`. Only numbers read from the paper belong here, each row with the paper version
it was read from (v1 and v2 differ in wording; their tables may differ too).

Status: the table itself could not be read in this environment (the stored copies of the ar5iv and
arxiv-vanity renderings of 2305.13225 only expose the paper's first page). The only figure recorded is
the one the study states in its text: Writing-Alpaca-7B averages 48.65 over the ten sets. Add the per-set
rows from Table 3 of a cited version rather than estimating them; 48.65 is the check on a transcription.
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

# Rows in the paper's order; filled only from the paper itself (see the module docstring). The one figure we
# have from the study's text is Writing-Alpaca-7B's average over the ten sets (48.65); its per-set scores stay
# empty until they are transcribed from Table 3.
PAPER_ROWS: list[dict[str, Any]] = [
    {"name": "Writing-Alpaca-7B", "scores": {}, "average": 48.65},
]
