"""A small benchmark folder in the exact `build-bench` layout (Parquet + README configs), built here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wa_hub.prompts import task_prompt
from wa_hub.study import BENCH_SETS

# Real-looking gold M2 blocks (CoNLL-2014 style: two annotators; BEA style: ERRANT types, one annotator).
CONLL_BLOCKS = [
    (
        "S Keeping the Secret of Genetic Testing\n"
        "A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n"
        "A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||1"
    ),
    (
        "S What is genetic risk ?\n"
        "A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0\n"
        "A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||1"
    ),
    (
        "S In this essay , I will discussed whether people should tell their relative about it .\n"
        "A 5 6|||Vform|||discuss|||REQUIRED|||-NONE-|||0\n"
        "A 12 13|||Nn|||relatives|||REQUIRED|||-NONE-|||0\n"
        "A 5 6|||Vform|||discuss|||REQUIRED|||-NONE-|||1\n"
        "A 12 13|||Nn|||relatives|||REQUIRED|||-NONE-|||1"
    ),
    (
        "S The patient have a right to know the result of the test .\n"
        "A 2 3|||SVA|||has|||REQUIRED|||-NONE-|||0\n"
        "A 9 10|||Nn|||results|||REQUIRED|||-NONE-|||1\n"
        "A 2 3|||SVA|||has|||REQUIRED|||-NONE-|||1"
    ),
]
BEA_BLOCKS = [
    (
        "S My town is a medium size city with eighty thousand inhabitants .\n"
        "A 5 6|||R:NOUN|||sized|||REQUIRED|||-NONE-|||0"
    ),
    (
        "S It has a high density population because its small territory .\n"
        "A 7 7|||M:PREP|||of|||REQUIRED|||-NONE-|||0"
    ),
    (
        "S Despite of it is an industrial city , there are many shops .\n"
        "A 1 2|||U:PREP||||||REQUIRED|||-NONE-|||0"
    ),
    ("S I would like to visit it again next year .\nA -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0"),
]
PAIRS = {
    "jfleg": [
        (
            "New and new technology has been introduced to the society .",
            [
                "New technology has been introduced to society .",
                "Newer and newer technology has been introduced into society .",
            ],
        ),
        (
            "One possible outcome is that an environmentally-induced reduction in motorization levels .",
            [
                "One possible outcome is an environmentally-induced reduction in motorization levels .",
                "One possible outcome is that there is an environmentally-induced reduction in motorization"
                " levels .",
            ],
        ),
        (
            "Every person need to know a bit about math .",
            ["Every person needs to know a bit about math .", "Everyone needs to know a bit about math ."],
        ),
    ],
    "itr-f": [
        (
            "The result shows that the method are effective in most case.",
            ["The results show that the method is effective in most cases."],
        ),
        ("We has evaluated the model on three dataset.", ["We have evaluated the model on three datasets."]),
    ],
    "itr-l": [
        (
            "In order to be able to make the process faster, we decided to make use of caching.",
            ["To speed up the process, we used caching."],
        ),
        (
            "There are many people who think that the plan is a good one.",
            ["Many people think the plan is good."],
        ),
    ],
    "itr-o": [
        ("He was tired. He kept working.", ["He was tired, but he kept working."]),
        (
            "The city grew quickly. Housing became expensive.",
            ["The city grew quickly, so housing became expensive."],
        ),
    ],
    "turk": [
        (
            "The town is situated on the banks of the river, which provides water for irrigation.",
            [
                "The town is on the river, which gives water for farms.",
                "The town is next to the river.",
                "The town is on the river banks.",
            ],
        ),
        (
            "He was appointed as the chief executive officer in 1998.",
            ["He became the boss in 1998.", "He was made chief executive in 1998.", "In 1998 he became CEO."],
        ),
    ],
    "asset": [
        (
            "The commission was established in order to investigate the allegations of corruption.",
            [
                "The commission was set up to look into claims of corruption.",
                "The group was created to investigate corruption claims.",
            ],
        ),
        (
            "Subsequently, the building was demolished and replaced by a car park.",
            [
                "Later, the building was torn down and replaced by a car park.",
                "The building was then knocked down for a car park.",
            ],
        ),
    ],
    "wnc": [
        ("the brilliant scientist published a groundbreaking paper .", ["the scientist published a paper ."]),
        (
            "the notorious dictator ruled the country for decades .",
            ["the dictator ruled the country for decades ."],
        ),
    ],
    "sts": [
        ("A man is playing a guitar.", ["A man plays the guitar."]),
        ("A woman is slicing an onion.", ["A woman cuts an onion."]),
    ],
}


def _apply(block: str) -> str:
    from wa_hub.evaluate.scoring import apply_m2_edits

    return apply_m2_edits(block)


def bench_rows() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for spec in BENCH_SETS:
        rows = []
        if spec.metric in ("m2", "errant"):
            blocks = CONLL_BLOCKS if spec.config == "conll14" else BEA_BLOCKS
            for i, block in enumerate(blocks):
                source = block.splitlines()[0][2:]
                # CoNLL carries its corrected sentence as a reference; BEA leaves references empty.
                refs = [_apply(block)] if spec.config == "conll14" else []
                rows.append((source, refs, block))
                del i
        else:
            rows = [(src, refs, "") for src, refs in PAIRS[spec.config]]
        out[spec.config] = [
            {
                "id": f"{spec.config}-{i:04d}",
                "set": spec.config,
                "task": spec.task,
                "instruction": task_prompt(spec.task),
                "input": src,
                "references": refs,
                "metric": spec.metric,
                "m2": m2,
            }
            for i, (src, refs, m2) in enumerate(rows)
        ]
    return out


def write_bench(root: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write `rows` (default: bench_rows()) as a benchmark folder: data/<config>/test-*.parquet + README."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = rows or bench_rows()
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("set", pa.string()),
            ("task", pa.string()),
            ("instruction", pa.string()),
            ("input", pa.string()),
            ("references", pa.list_(pa.string())),
            ("metric", pa.string()),
            ("m2", pa.string()),
        ]
    )
    yaml = ["---", "configs:"]
    all_rows: list[dict[str, Any]] = []
    for set_rows in rows.values():
        all_rows += set_rows
    for config, set_rows in [*rows.items(), ("all", all_rows)]:
        d = root / "data" / config
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(set_rows, schema=schema), d / "test-00000-of-00001.parquet")
        yaml += [
            f"- config_name: {config}",
            "  data_files:",
            "  - split: test",
            f"    path: data/{config}/test-*",
        ]
    yaml += ["---", "", "# test benchmark", ""]
    (root / "README.md").write_text("\n".join(yaml), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bench(tmp_path_factory.mktemp("bench"))
