"""`evaluate`: generate a response for every benchmark row, save as we go, score each set, write results.json.

Resumable by construction: predictions are appended per batch to `predictions/<set>.jsonl` beside the
results file, and a rerun generates only the rows that have none. With `accelerate launch` the pending
rows of a set are split across processes (each appends to its own shard); the main process merges,
scores and writes results.json (atomically, at the end). One process works without `accelerate launch`.
"""

from __future__ import annotations

import datetime as _dt
import statistics
import time
from pathlib import Path
from typing import Any

from wa_hub import __version__, provenance
from wa_hub.errors import UsageError
from wa_hub.evaluate import bench as bench_mod
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.generation import decoding_settings, generate_responses
from wa_hub.evaluate.scoring import PREDICTIONS_FROM, debug_predictions, score_set
from wa_hub.fileio import write_json
from wa_hub.models import LoadedModel, load_model
from wa_hub.prompts import format_prompt
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "datasets", "sacrebleu", "errant", "spacy")


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape generation and scores."""
    return provenance.library_versions(LIBRARIES)


def _model_info(info: dict[str, Any]) -> dict[str, Any]:
    model = {"source": None, "adapter": None, "revision": None, "run": None, **info}
    if model.get("name") is None:
        model["name"] = Path(model["run"]).name if model["run"] else None
    return model


def _dtype(name: str, cuda: bool) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise UsageError(f"unknown --dtype {name!r}; expected auto, float32, bfloat16 or float16") from None


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
    )


def evaluate(
    model: str | LoadedModel,
    bench: str | Path,
    out: str | Path = "results.json",
    *,
    revision: str | None = None,
    adapter: str | None = None,
    adapter_revision: str | None = None,
    model_revision: str | None = None,
    decoding: str = "greedy",
    batch_size: int = 16,
    max_new_tokens: int | None = None,
    limit: int | None = None,
    sets: str | list[str] | None = None,
    seed: int = 0,
    dtype: str = "auto",
    predictions_from: str | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate `model` (a model source string or a loaded model) on `bench`; returns the results dict.

    `revision` is the benchmark's revision (Hub datasets); `model_revision`/`adapter_revision` pin the
    model. `predictions_from` ("references" | "source") skips the model and scores the benchmark's own
    first references or inputs, through the same saving and scoring path (a sanity check of the pipeline).
    Only the main process returns the results (others return {}).
    """
    from accelerate import PartialState
    from transformers import set_seed

    bench = str(bench)
    configs = bench_mod.parse_sets(sets)
    decoding_settings(decoding)  # validates the name
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise UsageError(f"--max-new-tokens must be at least 1, got {max_new_tokens}")
    if predictions_from is not None and predictions_from not in PREDICTIONS_FROM:
        raise UsageError(f"--predictions-from must be one of {', '.join(PREDICTIONS_FROM)}")
    bench_mod.check_bench(bench)
    out = Path(out)
    pred_dir = out.parent / "predictions"
    state = PartialState()
    set_seed(seed + state.process_index)

    loaded: LoadedModel | None = None
    if predictions_from is not None:
        info: dict[str, Any] = {"source": f"predictions-from:{predictions_from}", "name": predictions_from}
    elif isinstance(model, LoadedModel):
        loaded = model
        info = dict(model.info)
    else:
        cuda = state.device.type == "cuda"
        loaded = load_model(
            model,
            adapter=adapter,
            revision=model_revision,
            adapter_revision=adapter_revision,
            dtype=_dtype(dtype, cuda),
        )
        if state.device.type != "cpu":
            loaded.model.to(state.device)
        info = dict(loaded.info)
    model_info = _model_info(info)
    budget: int | str = (
        max_new_tokens if max_new_tokens is not None else "auto (1.5 x input tokens + 16, <= 512)"
    )
    decoding_info = {
        "name": decoding,
        **decoding_settings(decoding),
        "stop": ["eos", "###"],
        "max_new_tokens": budget,
        "batch_size": batch_size,
        "seed": seed,
    }
    meta = {
        "model": {k: model_info.get(k) for k in ("source", "adapter", "revision", "adapter_revision", "run")},
        "bench": {
            "path_or_id": str(Path(bench).resolve()) if bench_mod.is_local(bench) else bench,
            "revision": revision,
        },
        "decoding": {k: v for k, v in decoding_info.items() if k != "batch_size"},
    }
    if state.is_main_process:
        pred_dir.mkdir(parents=True, exist_ok=True)
        pred_mod.check_meta(pred_dir, meta, overwrite)
    state.wait_for_everyone()

    results_sets: dict[str, dict[str, Any]] = {}
    complete = limit is None
    with _progress(progress and state.is_main_process) as bar:
        for config in configs:
            spec = BENCH_BY_CONFIG[config]
            t0 = time.perf_counter()
            rows = bench_mod.load_set(bench, config, revision)
            if limit is not None:
                complete = complete and len(rows) <= limit
                rows = rows[:limit]
            ids = [str(r["id"]) for r in rows]
            done = pred_mod.read_done(pred_dir, config)
            pending = [r for r in rows if str(r["id"]) not in done]
            if predictions_from is not None:
                if state.is_main_process and pending:
                    preds = debug_predictions(predictions_from, pending)
                    pred_mod.append(
                        pred_mod.set_file(pred_dir, config),
                        [(str(r["id"]), p) for r, p in zip(pending, preds, strict=True)],
                    )
            elif pending:
                assert loaded is not None
                target = (
                    pred_mod.shard_file(pred_dir, config, state.process_index)
                    if state.num_processes > 1
                    else pred_mod.set_file(pred_dir, config)
                )
                task = bar.add_task(f"{spec.abbrev:6}", total=len(pending))
                with state.split_between_processes(pending) as mine:
                    mine = list(mine)

                    def save(
                        idx: list[int],
                        preds: list[str],
                        mine: list[dict[str, Any]] = mine,
                        target: Path = target,
                        task: Any = task,
                    ) -> None:
                        items = [(str(mine[i]["id"]), p) for i, p in zip(idx, preds, strict=True)]
                        pred_mod.append(target, items)
                        bar.advance(task, len(idx) * state.num_processes)

                    if mine:
                        generate_responses(
                            loaded.model,
                            loaded.tokenizer,
                            [format_prompt(r["instruction"], r["input"]) for r in mine],
                            inputs=[r["input"] for r in mine],
                            decoding=decoding,
                            batch_size=batch_size,
                            max_new_tokens=max_new_tokens,
                            on_batch=save,
                        )
            state.wait_for_everyone()
            if not state.is_main_process:
                continue
            preds = pred_mod.merge(pred_dir, config, ids)
            scores = score_set(spec.metric, rows, preds)
            results_sets[config] = {
                **scores,
                "metric": spec.metric,
                "score": scores["score"],
                "n": len(rows),
                "generated": len(pending),
                "reused": len(rows) - len(pending),
                "seconds": round(time.perf_counter() - t0, 3),
            }
    if not state.is_main_process:
        return {}
    all_ten = all(s.config in results_sets for s in BENCH_SETS)
    results: dict[str, Any] = {
        "wa_hub_version": __version__,
        "model": model_info,
        "bench": bench_mod.bench_info(bench, revision, configs),
        "decoding": decoding_info,
        "versions": library_versions(),
        "hardware": _hardware(state),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "limit": limit,
        "predictions": str(pred_dir.resolve()),
        "sets": results_sets,
    }
    if all_ten:
        results["average"] = round(statistics.fmean(results_sets[s.config]["score"] for s in BENCH_SETS), 4)
    results["complete"] = all_ten and complete
    write_json(out, results)
    return results


def _hardware(state: Any) -> dict[str, Any]:
    import torch

    hw: dict[str, Any] = {"device": str(state.device), "num_processes": state.num_processes}
    if torch.cuda.is_available():
        hw["gpu"] = torch.cuda.get_device_name(state.device)
    else:
        hw["cpu_threads"] = torch.get_num_threads()
    return hw
