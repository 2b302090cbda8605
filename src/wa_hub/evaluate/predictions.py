"""Predictions on disk: `predictions/<set>.jsonl`, one `schema.PredictionRow` a line, appended per batch.

A run killed mid-way leaves at most one partial last line; reading repairs it (truncates to the last
complete line), so a rerun continues from every finished row. With several processes each one appends to
its own shard (`<set>.rank<k>.jsonl`); the main process merges shards into `<set>.jsonl` in benchmark
order at the end. A `meta.json` records what made the predictions so a rerun with another model or
decoding does not silently mix outputs.
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
                    path, n, 'a JSON object {"id", "prediction"}', line.strip()
                ) from None
            done[row.id] = row
    return done


def read_file(path: Path) -> dict[str, str]:
    """id -> prediction of one JSON-lines file (a partial last line is dropped and removed)."""
    if not path.exists():
        return {}
    _repair_tail(path)
    return {k: row.prediction for k, row in read_rows(path).items()}


def read_done(pred_dir: Path, config: str) -> dict[str, str]:
    """Every prediction already made for a set: the merged file plus any process shards."""
    done = read_file(set_file(pred_dir, config))
    for shard in sorted(pred_dir.glob(f"{config}.rank*.jsonl")):
        done.update(read_file(shard))
    return done


def _line(id_: str, prediction: str) -> str:
    return json.dumps(dump(PredictionRow(id=id_, prediction=prediction)), ensure_ascii=False) + "\n"


def append(path: Path, items: list[tuple[str, str]]) -> None:
    """Append predictions and flush them to disk (one batch at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for id_, pred in items:
            f.write(_line(id_, pred))
        f.flush()
        os.fsync(f.fileno())


def merge(pred_dir: Path, config: str, ids: list[str]) -> list[str]:
    """Write `<set>.jsonl` in benchmark order from everything predicted, remove shards; return predictions."""
    done = read_done(pred_dir, config)
    missing = [i for i in ids if i not in done]
    if missing:
        raise UsageError(
            f"{config}: {len(missing)} rows have no prediction in {pred_dir} (e.g. {missing[0]})"
        )
    preds = [done[i] for i in ids]
    lines = [_line(i, p) for i, p in zip(ids, preds, strict=True)]
    # Rows predicted by an earlier, larger run (no --limit) are kept after the requested ones.
    wanted = set(ids)
    lines += [_line(i, p) for i, p in done.items() if i not in wanted]
    atomic_write_text(set_file(pred_dir, config), "".join(lines))
    for shard in pred_dir.glob(f"{config}.rank*.jsonl"):
        shard.unlink()
    return preds


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
