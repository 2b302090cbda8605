"""Predictions on disk: `predictions/<set>.jsonl`, one `schema.PredictionRow` a line, appended per batch.

Generation writes each row's raw output and cleaned prediction; scoring rewrites the file with what the
metric compared (the tokenized hypothesis) and the row's own score and edit counts.

A run killed mid-way leaves at most one partial last line; reading repairs it (truncates to the last
complete line), so a rerun continues from every finished row. With several processes each one appends to
its own shard (`<set>.rank<k>.jsonl`); the main process merges shards into `<set>.jsonl` in benchmark
order at the end (`collect`, then `write_set` with the scores). A `meta.json` records what made the
predictions so a rerun with another model or decoding does not silently mix outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import ValidationError

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.fileio import atomic_write_text
from wa_hub.schema import PredictionRow, PredictionsMeta, dump, load_model_file, write_model


def set_file(pred_dir: Path, config: str) -> Path:
    return pred_dir / f"{config}.jsonl"


def shard_file(pred_dir: Path, config: str, rank: int) -> Path:
    return pred_dir / f"{config}.rank{rank}.jsonl"


def _repair_tail(path: Path) -> None:
    """Drop a partial last line (a write cut off by a kill), keeping every complete line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with open(path, "r+b") as f:
            f.truncate(keep)


def read_rows(path: Path) -> dict[str, PredictionRow]:
    """id -> row of one JSON-lines file, as it is (a bad or cut-off line is an error naming file and line)."""
    done: dict[str, PredictionRow] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = PredictionRow.model_validate_json(line)
            except ValidationError:
                raise MalformedInputError(
                    path, n, 'a JSON object {"id", "prediction", ...}', line.strip()
                ) from None
            done[row.id] = row
    return done


def read_file(path: Path) -> dict[str, PredictionRow]:
    """id -> row of one JSON-lines file of a run (a partial last line, a write cut off by a kill, is dropped
    and removed)."""
    if not path.exists():
        return {}
    _repair_tail(path)
    return read_rows(path)


def read_done(pred_dir: Path, config: str) -> dict[str, PredictionRow]:
    """Every prediction already made for a set: the merged file plus any process shards."""
    done = read_file(set_file(pred_dir, config))
    for shard in sorted(pred_dir.glob(f"{config}.rank*.jsonl")):
        done.update(read_file(shard))
    return done


def _line(row: PredictionRow) -> str:
    return json.dumps(dump(row), ensure_ascii=False) + "\n"


def append(path: Path, rows: list[PredictionRow]) -> None:
    """Append predictions and flush them to disk (one batch at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for row in rows:
            f.write(_line(row))
        f.flush()
        os.fsync(f.fileno())


def write_set(pred_dir: Path, config: str, rows: list[PredictionRow]) -> None:
    """Rewrite `<set>.jsonl` atomically: `rows` in their order, then the file's other rows (an earlier,
    larger run's, kept for a rerun without --limit); the set's process shards are removed."""
    done = read_done(pred_dir, config)
    wanted = {r.id for r in rows}
    lines = [_line(r) for r in rows] + [_line(r) for i, r in done.items() if i not in wanted]
    atomic_write_text(set_file(pred_dir, config), "".join(lines))
    for shard in pred_dir.glob(f"{config}.rank*.jsonl"):
        shard.unlink()


def collect(pred_dir: Path, config: str, ids: list[str]) -> list[PredictionRow]:
    """The rows of `ids`, in that order, from the set's file and shards (every one must be there)."""
    done = read_done(pred_dir, config)
    missing = [i for i in ids if i not in done]
    if missing:
        raise UsageError(
            f"{config}: {len(missing)} rows have no prediction in {pred_dir} (e.g. {missing[0]})"
        )
    return [done[i] for i in ids]


def read_meta(pred_dir: Path) -> PredictionsMeta | None:
    """What made the predictions in `pred_dir` (None when it has none yet)."""
    path = pred_dir / "meta.json"
    return load_model_file(path, PredictionsMeta) if path.exists() else None


def differences(old: PredictionsMeta, new: PredictionsMeta) -> list[str]:
    """The parts (model, bench, decoding) in which two predictions' origins differ."""
    a, b = dump(old), dump(new)
    return sorted(k for k in a if a[k] != b[k])


def check_meta(pred_dir: Path, meta: PredictionsMeta, overwrite: bool) -> None:
    """Refuse to resume predictions made with another model, bench or decoding (unless `overwrite`)."""
    path = pred_dir / "meta.json"
    if overwrite and pred_dir.exists():
        for f in list(pred_dir.glob("*.jsonl")) + [path]:
            f.unlink(missing_ok=True)
    old = read_meta(pred_dir)
    if old is None:
        write_model(path, meta)
    elif diff := differences(old, meta):
        raise UsageError(
            f"{pred_dir} holds predictions made with a different {', '.join(diff)}; "
            "write results elsewhere (--out) or pass --overwrite to start over"
        )
