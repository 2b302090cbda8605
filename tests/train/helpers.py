"""Small instruction dataset folders in the `wa-hub build-data` layout, written here (not by build-data)."""

from __future__ import annotations

from pathlib import Path

COLUMNS = ("id", "task", "instruction", "input", "output", "source")

_WRITING = [
    (
        "grammaticality",
        "Fix grammatical errors in the text.",
        "She go to school every day .",
        "She goes to school every day .",
    ),
    (
        "simplification",
        "Simplify the text.",
        "The council approved a controversial plan to build a stadium.",
        "The council approved a plan for a stadium.",
    ),
    (
        "fluency",
        "Make the text more fluent.",
        "The dog does not mind at all of it.",
        "The dog does not mind at all.",
    ),
    ("paraphrasing", "Paraphrase the text.", "Regular exercise improves memory.", "Exercise helps memory."),
]
_GENERIC = [
    ("generic", "Give three tips for staying healthy.", "", "Eat well, exercise, and sleep enough."),
    ("generic", "What is the capital of France?", "", "The capital of France is Paris."),
]


def write_dataset_folder(out: Path, configs: dict[str, list[dict[str, str]]]) -> Path:
    """Parquet under data/<config>/train-00000-of-00001.parquet + README.md with YAML `configs`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:"]
    for name, rows in configs.items():
        d = out / "data" / name
        d.mkdir(parents=True, exist_ok=True)
        table = pa.table({c: [r[c] for r in rows] for c in COLUMNS})
        pq.write_table(table, d / "train-00000-of-00001.parquet")
        lines += [
            f"- config_name: {name}",
            "  data_files:",
            "  - split: train",
            f"    path: data/{name}/train-*.parquet",
        ]
    lines += ["---", "", "# test instruction data", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return out


def sample_rows(n: int) -> list[dict[str, str]]:
    pool = _WRITING + _GENERIC
    rows = []
    for i in range(n):
        task, ins, inp, outp = pool[i % len(pool)]
        rows.append(
            {
                "id": f"row-{i}",
                "task": task,
                "instruction": ins,
                "input": inp,
                "output": outp,
                "source": "test",
            }
        )
    return rows


def sample_folder(out: Path, n: int = 64) -> Path:
    rows = sample_rows(n)
    return write_dataset_folder(out, {"mixed": rows, "writing": [r for r in rows if r["task"] != "generic"]})
