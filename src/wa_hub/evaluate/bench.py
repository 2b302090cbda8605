"""Reading the benchmark (`build-bench` output, or the same dataset on the Hub) one set at a time."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS

COLUMNS = ("id", "set", "task", "instruction", "input", "references", "metric", "m2")


def parse_sets(sets: str | list[str] | None) -> list[str]:
    """`conll14,jfleg` (or a list) -> configs in the study's order; None -> all ten."""
    if sets is None:
        return [s.config for s in BENCH_SETS]
    names = [s.strip() for s in sets.split(",")] if isinstance(sets, str) else list(sets)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in BENCH_BY_CONFIG]
    if unknown or not names:
        raise UsageError(
            f"unknown set(s) {', '.join(unknown) or '(none given)'}; "
            f"expected some of {', '.join(s.config for s in BENCH_SETS)}"
        )
    return [s.config for s in BENCH_SETS if s.config in names]


def is_local(bench: str) -> bool:
    return Path(bench).exists()


def check_bench(bench: str) -> None:
    """Fail before any model is loaded when --bench is a path that does not exist (not a Hub id)."""
    if not is_local(bench) and (bench.startswith(("/", ".", "~")) or bench.count("/") > 1):
        raise UsageError(
            f"--bench {bench}: no such folder; expected a `wa-hub build-bench` folder "
            "or a Hub dataset id ORG/NAME"
        )


def load_set(bench: str, config: str, revision: str | None = None) -> list[dict[str, Any]]:
    """The rows of one benchmark set (split `test`) as plain dicts, in benchmark order."""
    import datasets

    local = is_local(bench)
    if local and not Path(bench).is_dir():
        raise UsageError(f"--bench {bench} is a file; expected a benchmark folder or a Hub dataset id")
    try:
        # A local folder is re-read every time: datasets' cache can serve a folder's old contents after it
        # was rebuilt in place (seen with datasets 5.2), and reading Parquet is cheap.
        ds = datasets.load_dataset(
            str(Path(bench).resolve()) if local else bench,
            config,
            split="test",
            revision=None if local else revision,
            download_mode="force_redownload" if local else None,
        )
    except ValueError as e:
        raise UsageError(f"cannot load set {config!r} from {bench}: {e}") from None
    except FileNotFoundError as e:
        raise UsageError(f"cannot load set {config!r} from {bench}: {e}") from None
    missing = [c for c in COLUMNS if c not in ds.column_names]
    if missing:
        raise MalformedInputError(
            f"{bench} ({config}/test)", None, f"columns {', '.join(COLUMNS)}", f"no {', '.join(missing)}"
        )
    rows = [dict(r) for r in ds]
    expected = BENCH_BY_CONFIG[config].metric
    for n, r in enumerate(rows, 1):
        if r["metric"] != expected:
            raise MalformedInputError(
                f"{bench} ({config}/test)", n, f"metric {expected!r}", f"{r['metric']!r}"
            )
    return rows


def bench_info(bench: str, revision: str | None, configs: list[str]) -> dict[str, Any]:
    """What identifies the benchmark: path or Hub id, revision, and for a folder a sha256 of its data."""
    if not is_local(bench):
        return {"path_or_id": bench, "revision": revision}
    root = Path(bench).resolve()
    h = hashlib.sha256()
    for config in configs:
        for f in sorted((root / "data" / config).glob("*.parquet")):
            h.update(f"{config}/{f.name}\n".encode())
            h.update(f.read_bytes())
    info: dict[str, Any] = {"path_or_id": str(root), "revision": revision, "data_sha256": h.hexdigest()}
    return info
