"""Reading the benchmark one set at a time: a `build-bench` folder, or the same dataset on the Hub.

A local folder is always read as itself: its manifest names each config's Parquet files, which are read
directly (never through `datasets`' cache, which keys a local folder by its base name and so can serve
another folder's rows, or a rebuilt folder's old ones). Every row is checked against `schema.BenchRow`.
How each set's outputs are tokenized before scoring comes from the benchmark's manifest (the folder's, or
the Hub repo's `manifest.json` at the revision, `bench_manifest`), read by `wa_hub.build.set_tokenize`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.locate import locate
from wa_hub.schema import BenchManifest, BenchRow, load_manifest, parse_obj
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS


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


def check_bench(bench: str, revision: str | None = None) -> None:
    """Fail before any model is loaded when --bench is neither a benchmark folder nor a Hub dataset."""
    folder = locate(bench, f"--bench {bench}", "dataset", revision)
    if folder is not None:
        local_manifest(folder)


def local_manifest(folder: Path) -> BenchManifest:
    """The manifest of a local benchmark folder, or a UsageError saying what the folder is not."""
    if not folder.is_dir():
        raise UsageError(f"--bench {folder} is a file; expected a benchmark folder or a Hub dataset id")
    if not (folder / "manifest.json").is_file():
        raise UsageError(
            f"--bench {folder}: no manifest.json; expected a folder made by `wa-hub build-bench`"
        )
    manifest = load_manifest(folder)
    if not isinstance(manifest, BenchManifest):
        raise UsageError(f"--bench {folder} is an instruction dataset ({manifest.name}), not a benchmark")
    return manifest


def hub_manifest(bench: str, revision: str | None) -> BenchManifest | None:
    """The `manifest.json` of a Hub benchmark at `revision` (None when it has none: not built by wa-hub)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hf_hub_download(bench, "manifest.json", repo_type="dataset", revision=revision)
    except EntryNotFoundError:
        return None
    except (OSError, ValueError) as e:  # not found, offline without a cached copy, a bad revision
        raise UsageError(f"cannot read manifest.json of the benchmark {bench}: {e}") from None
    manifest = load_manifest(path)
    if not isinstance(manifest, BenchManifest):
        raise UsageError(f"--bench {bench} is an instruction dataset ({manifest.name}), not a benchmark")
    return manifest


def bench_manifest(bench: str, revision: str | None = None) -> BenchManifest | None:
    """The benchmark's manifest: a local folder's own, or the Hub repo's at `revision`."""
    return local_manifest(Path(bench)) if is_local(bench) else hub_manifest(bench, revision)


def _local_rows(folder: Path, config: str) -> list[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    entry = local_manifest(folder).config(config)
    files = sorted(folder.glob(entry.path_pattern))
    if not files:
        raise UsageError(f"{folder}: no Parquet files for set {config} ({entry.path_pattern})")
    out = []
    for f in files:
        for n, row in enumerate(pq.read_table(f).to_pylist(), 1):
            out.append((f"{f} row {n}", row))
    return out


def _hub_rows(bench: str, config: str, revision: str | None) -> list[tuple[str, dict[str, Any]]]:
    import datasets

    try:
        ds = datasets.load_dataset(bench, config, split="test", revision=revision)
    except (ValueError, FileNotFoundError, ConnectionError, OSError) as e:
        raise UsageError(f"cannot load set {config!r} from {bench}: {e}") from None
    return [(f"{bench} ({config}/test) row {n}", dict(r)) for n, r in enumerate(ds, 1)]


def load_set(bench: str, config: str, revision: str | None = None) -> list[BenchRow]:
    """The rows of one benchmark set (split `test`), in benchmark order, each checked as a BenchRow."""
    raw = _local_rows(Path(bench), config) if is_local(bench) else _hub_rows(bench, config, revision)
    expected = BENCH_BY_CONFIG[config].metric
    rows = []
    for where, r in raw:
        row = parse_obj(BenchRow, r, where)
        if row.metric != expected or row.set != config:
            raise MalformedInputError(
                where, None, f"set {config!r} scored by {expected!r}", f"{row.set}/{row.metric}"
            )
        rows.append(row)
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
    return {"path_or_id": str(root), "revision": revision, "data_sha256": h.hexdigest()}
