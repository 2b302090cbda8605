"""Fault injection: `build-bench` and `evaluate` SIGKILLed at random points, as a real kill would land.

Each command runs as a subprocess and is killed after a random delay (seeded: `WA_HUB_FAULT_SEED`, printed
on failure), a few times in a row. After every kill the output holds the old state or the new one, never
a mix, and the only leftovers are the killed processes' own temp names (a run killed before its sweep
leaves the earlier kills' names too), which the next run removes; the
run after the kills finishes as an uninterrupted run does: the same folder, the same scores and predictions.
(Kills of `push` at each git step are in tests/hub/test_faults.py.)
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from wa_hub.evaluate import evaluate
from wa_hub.schema import EvalSettings, PredictionRow

SEED = int(os.environ.get("WA_HUB_FAULT_SEED", "16"))
KILLS = 3
CLI = [sys.executable, "-c", "from wa_hub.cli import app; app()"]


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) with its sha256: the folder's state."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _leftovers(parent: Path, names: set[str]) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name not in names)


def _run_and_kill(args: list[str], delay: float, started: Path | None = None) -> int:
    """Start the CLI, wait for `started` to appear (if given), then `delay` seconds, then SIGKILL it."""
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while started is not None and not started.exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "the command never started its work"
        time.sleep(0.01)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.pid


def _owned_by(name: str, pid: int) -> bool:
    """A temp name the killed process `pid` made (`.NAME.tmp-PID-*`, `.NAME.old-PID-*`)."""
    return f".tmp-{pid}-" in name or f".old-{pid}-" in name


def test_build_killed_at_random_points_leaves_the_old_folder_or_the_new_one(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    out = tmp_path / "bench"
    states = {}
    for version in ("1.0.0", "1.0.1"):
        args = ["build-bench", "--sample", "--version", version, "--overwrite", "--out", str(out)]
        started = time.monotonic()
        subprocess.run([*CLI, *args], check=True, capture_output=True)
        states[version] = (_tree(out), args, time.monotonic() - started)
    assert states["1.0.0"][0] != states["1.0.1"][0]
    current = "1.0.1"
    killed: list[int] = []  # a run killed before its sweep leaves the earlier kills' temp names too
    for i in range(KILLS):
        target = "1.0.0" if current == "1.0.1" else "1.0.1"
        old, (new, args, seconds) = states[current][0], states[target]
        delay = rng.uniform(0, seconds)
        killed.append(_run_and_kill(args, delay))
        where = f"kill {i} at {delay:.2f} s (seed {SEED})"
        now = _tree(out)
        assert now in (old, new), f"{where}: {out} holds neither the old build nor the new one"
        left = _leftovers(tmp_path, {"bench"})
        assert all(any(_owned_by(n, pid) for pid in killed) for n in left), f"{where}: {left}"
        current = current if now == old else target
    target = "1.0.0" if current == "1.0.1" else "1.0.1"
    subprocess.run([*CLI, *states[target][1]], check=True, capture_output=True)
    assert _tree(out) == states[target][0]
    assert _leftovers(tmp_path, {"bench"}) == []  # what the kills left is swept


def _predictions(folder: Path) -> dict[str, dict[str, str]]:
    """id -> prediction of each set's complete lines (a partial last line is what resume repairs)."""
    out: dict[str, dict[str, str]] = {}
    for f in sorted(folder.glob("*.jsonl")):
        lines = f.read_bytes().split(b"\n")[:-1]
        rows = [PredictionRow.model_validate_json(x) for x in lines if x]
        out[f.name.split(".")[0]] = {r.id: r.prediction for r in rows}
    return out


def _scores(results: dict[str, Any]) -> dict[str, Any]:
    return {k: {f: v[f] for f in ("score", "n", "counts", "components")} for k, v in results["sets"].items()}


def test_evaluate_killed_at_random_points_resumes_to_the_uninterrupted_results(
    sample_bench: Path, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 1)
    sets, limit = "jfleg,asset,wnc", 4
    options = ["--sets", sets, "--limit", str(limit), "--batch-size", "1", "--max-new-tokens", "8"]
    reference = tmp_path / "reference" / "results.json"
    settings = EvalSettings(
        model="tiny:llama", bench=str(sample_bench), out=reference, sets=sets, limit=limit, batch_size=1,
        max_new_tokens=8,
    )  # fmt: skip
    started = time.monotonic()
    expected = evaluate(settings)
    assert expected is not None
    work = time.monotonic() - started  # the part after the model is loaded, roughly
    want_preds = _predictions(reference.parent / "predictions")
    want_scores = _scores(json.loads(reference.read_text()))
    want_files = sorted(p.name for p in (reference.parent / "predictions").iterdir())

    out = tmp_path / "run" / "results.json"
    args = ["evaluate", "tiny:llama", "--bench", str(sample_bench), *options, "--out", str(out)]
    meta = out.parent / "predictions" / "meta.json"
    killed: list[int] = []
    for i in range(KILLS):
        delay = rng.uniform(0, work)
        killed.append(_run_and_kill(args, delay, started=meta))
        where = f"kill {i} at {delay:.2f} s after start (seed {SEED})"
        if out.exists():  # results.json is whole or absent
            assert _scores(json.loads(out.read_text())) == want_scores, where
        for name, rows in _predictions(out.parent / "predictions").items():
            assert rows.items() <= want_preds[name].items(), f"{where}: {name} differs from the reference"
        left = _leftovers(out.parent, {"results.json", "predictions"})
        left += _leftovers(out.parent / "predictions", set(want_files))
        assert all(any(_owned_by(n, pid) for pid in killed) for n in left), f"{where}: {left}"
    result = subprocess.run([*CLI, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _scores(json.loads(out.read_text())) == want_scores
    assert _predictions(out.parent / "predictions") == want_preds
    assert _leftovers(out.parent, {"results.json", "predictions"}) == []
    assert sorted(p.name for p in (out.parent / "predictions").iterdir()) == want_files
