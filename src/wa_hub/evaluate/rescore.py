"""`wa-hub evaluate --rescore RESULTS`: score the saved predictions of an evaluation again, without a model.

For another `--tokenize`, a fixed metric, or results written by an older wa-hub: every set of RESULTS is
scored again from `predictions/<set>.jsonl` beside it, against the same benchmark (a local folder must
still hold the data it was evaluated on: its sha256 is checked), on the same rows (the first `n` of each
set). The new results.json keeps what made the predictions (model, decoding) and says how they were scored
now; the predictions files get the new per-row details. Written over RESULTS by default, or to `--out`
(then the predictions are copied to `predictions/` beside it).
"""

from __future__ import annotations

import datetime as _dt
import shutil
import time
from pathlib import Path

from wa_hub import __version__
from wa_hub.errors import UsageError
from wa_hub.evaluate import bench as bench_mod
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.run import library_versions, score_rows, summary
from wa_hub.evaluate.scoring import choose_tokenize
from wa_hub.schema import Results, SetResult, Tokenize, load_model_file, write_model


def _source_predictions(path: Path, results: Results) -> Path:
    """The predictions folder of a results file: beside it, else where the results say they were."""
    candidates = [path.parent / "predictions", *([Path(results.predictions)] if results.predictions else [])]
    for folder in candidates:
        if (folder / "meta.json").is_file():
            return folder
    raise UsageError(
        f"{path}: no predictions/ (with meta.json) beside it to rescore; expected evaluate's output"
    )


def _check_bench(results: Results, path: Path) -> None:
    """A local benchmark must hold the very data the predictions were scored on."""
    bench = results.bench
    if not bench_mod.is_local(bench.path_or_id):
        if bench.path_or_id.startswith(("/", ".", "~")):
            raise UsageError(f"{path}: its benchmark folder {bench.path_or_id} is gone; rescoring needs it")
        return
    now = bench_mod.bench_info(bench.path_or_id, bench.revision, list(results.sets))
    if bench.data_sha256 and now.get("data_sha256") != bench.data_sha256:
        raise UsageError(
            f"{path}: the benchmark folder {bench.path_or_id} no longer holds the data these predictions "
            "were scored on (its sha256 differs); rescore against that data, or evaluate again"
        )


def _target(path: Path, out: Path | None, source: Path, overwrite: bool) -> tuple[Path, Path]:
    """(results file, predictions folder) to write; another folder gets a copy of the predictions."""
    out = path if out is None else out
    if out.is_dir():
        raise UsageError(f"--out {out} is a directory; expected the path of a results.json file")
    pred_dir = out.parent / "predictions"
    if pred_dir.resolve() == source.resolve():
        return out, source
    if out.exists() and not overwrite:
        raise UsageError(f"--out {out} already exists; pass --overwrite to replace it")
    if pred_dir.exists():
        if not overwrite:
            raise UsageError(f"{pred_dir} already exists; pass --overwrite to replace its predictions")
        pred_mod.check_meta(pred_dir, pred_mod.read_meta(source), overwrite=True)  # type: ignore[arg-type]
    pred_dir.mkdir(parents=True, exist_ok=True)
    for f in [source / "meta.json", *sorted(source.glob("*.jsonl"))]:
        shutil.copyfile(f, pred_dir / f.name)
    return out, pred_dir


def rescore(
    results_path: str | Path, *, tokenize: Tokenize | None = None, out: str | Path | None = None,
    overwrite: bool = False,
) -> Results:  # fmt: skip
    """Score the predictions of `results_path` again; `tokenize`: as `evaluate --tokenize` (None: each set's
    own setting in the benchmark). Returns the new results (written to `out`, default `results_path`)."""
    path = Path(results_path)
    results = load_model_file(path, Results)
    if not results.sets:
        raise UsageError(f"{path}: no set was scored; nothing to rescore")
    source = _source_predictions(path, results)
    _check_bench(results, path)
    target, pred_dir = _target(path, Path(out) if out is not None else None, source, overwrite)
    bench, revision = results.bench.path_or_id, results.bench.revision
    manifest = bench_mod.bench_manifest(bench, revision)
    sets: dict[str, SetResult] = {}
    for config, old in results.sets.items():
        started = time.perf_counter()
        rows = bench_mod.load_set(bench, config, revision)
        scored = rows[: old.n]
        method = choose_tokenize(tokenize, manifest, config)
        preds = pred_mod.collect(pred_dir, config, [r.id for r in scored])
        fields, detailed = score_rows(config, scored, preds, method)
        pred_mod.write_set(pred_dir, config, detailed)
        sets[config] = SetResult(
            **fields,
            rows=len(rows),
            tokenize=method,
            generated=0,
            reused=len(scored),
            seconds=round(time.perf_counter() - started, 3),
        )
    average, complete = summary(sets, all(s.n == s.rows for s in sets.values()))
    new = results.model_copy(
        update={
            "wa_hub_version": __version__,
            "versions": library_versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "predictions": str(pred_dir.resolve()),
            "sets": sets,
            "average": average,
            "complete": complete,
        }
    )
    write_model(target, new)
    return new
