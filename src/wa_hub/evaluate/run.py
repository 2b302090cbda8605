"""`evaluate`: generate a response for every benchmark row, save as we go, score each set, write results.json.

The steps, in the order `evaluate` runs them (as lighteval's Pipeline): resolve the settings and load the
model (`Evaluation.__init__`), check or start the predictions folder (`start`), then per set: load its rows
(`load_set`), generate the rows that have no prediction yet (`generate`), score it (`score`); finally
assemble and write `results.json` (`finish`).

Resumable by construction: predictions are appended per batch to `predictions/<set>.jsonl` beside the
results file, and a rerun generates only the rows that have none. Launched over several processes
(`evaluate(..., layout=...)`, wa_hub.evaluate.launch) each set's batches are dealt out whole (each process
appends to its own shard); when every set is generated, the main process merges, scores and writes
results.json (atomically, at the end). One process runs in place.
"""

from __future__ import annotations

import datetime as _dt
import statistics
import time
from pathlib import Path
from typing import Any

from wa_hub import __version__, provenance
from wa_hub.analysis import set_analysis
from wa_hub.distributed import Layout, launched_machines, run_launch
from wa_hub.errors import UsageError
from wa_hub.evaluate import bench as bench_mod
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.generation import decoding_settings, generate_responses, plan_batches, resolve_engine
from wa_hub.evaluate.launch import launch_command, plan_evaluate
from wa_hub.evaluate.scoring import choose_tokenize, debug_predictions, detailed_rows, set_stats
from wa_hub.fileio import check_parents
from wa_hub.metrics import get_metric
from wa_hub.metrics.m2 import SentenceTooLong
from wa_hub.models import LoadedModel, check_source, load_model, read_run
from wa_hub.prompts import format_prompt
from wa_hub.schema import (
    BenchInfo,
    BenchRow,
    DecodingInfo,
    EvalHardware,
    EvalSettings,
    ModelInfo,
    PredictionRow,
    PredictionsMeta,
    Results,
    SetResult,
    Tokenize,
    as_dict,
    load_model_file,
    write_model,
)
from wa_hub.study import BENCH_BY_CONFIG, BENCH_SETS

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "datasets", "sacrebleu", "errant", "spacy")
AUTO_BUDGET = "auto (1.5 x input tokens + 16, <= 512)"


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape generation and scores."""
    return provenance.library_versions(LIBRARIES)


def decoding_info(settings: EvalSettings) -> DecodingInfo:
    """The decoding a run uses, as results.json records it."""
    budget: int | str = settings.max_new_tokens if settings.max_new_tokens is not None else AUTO_BUDGET
    return DecodingInfo(
        name=settings.decoding,
        **decoding_settings(settings.decoding),
        max_new_tokens=budget,
        batch_size=settings.batch_size,
        engine=resolve_engine(settings.engine, settings.decoding),
        seed=settings.seed,
    )


def _model_identity(settings: EvalSettings) -> dict[str, str | None]:
    """What model made predictions, from the settings alone (a run dir is resolved to its path)."""
    if settings.predictions_from is not None:
        return {"source": f"predictions-from:{settings.predictions_from}", "adapter": None, "revision": None,
                "adapter_revision": None, "run": None}  # fmt: skip
    local = Path(settings.model)
    is_run = not settings.model.startswith(("package:", "tiny:")) and read_run(local) is not None
    return {
        "source": settings.model,
        "adapter": settings.adapter,
        "revision": settings.model_revision,
        "adapter_revision": settings.adapter_revision,
        "run": str(local.resolve()) if is_run else None,
    }


def predictions_meta(settings: EvalSettings) -> PredictionsMeta:
    """What the predictions of these settings are made with: the check a resume (and the demo) makes."""
    bench = str(Path(settings.bench).resolve()) if bench_mod.is_local(settings.bench) else settings.bench
    return PredictionsMeta(
        model=_model_identity(settings),
        bench={"path_or_id": bench, "revision": settings.revision},
        decoding=decoding_info(settings).identity(),
    )


def score_rows(
    config: str, rows: list[BenchRow], preds: list[PredictionRow], tokenize: Tokenize
) -> tuple[dict[str, Any], list[PredictionRow]]:
    """A set's SetResult fields (the metric's result and its analysis: CI, diagnostics) from one pass of
    per-sentence statistics, and the prediction rows with what was scored (`detailed_rows`)."""
    metric_name = BENCH_BY_CONFIG[config].metric
    try:
        stats = set_stats(
            metric_name, [r.model_dump() for r in rows], [p.prediction for p in preds], tokenize
        )
    except SentenceTooLong as e:  # name the row whose prediction it is
        raise UsageError(f"{config} row {rows[e.index].id}: {e}") from None
    metric = get_metric(metric_name).aggregate(stats)
    extra = set_analysis(config, stats, [r.input for r in rows], list(stats.hypotheses), [r.m2 for r in rows])
    return {**as_dict(metric), **extra}, detailed_rows(stats, metric, preds)


def summary(sets: dict[str, SetResult], complete_rows: bool) -> tuple[float | None, bool]:
    """(average, complete): complete when all ten sets were scored on all their rows, and only then the
    mean of their scores (the study's "All")."""
    complete = all(s.config in sets for s in BENCH_SETS) and complete_rows
    average = round(statistics.fmean(sets[s.config].score for s in BENCH_SETS), 4) if complete else None
    return average, complete


def _dtype(name: str, cuda: bool) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
    )


def check_inputs(settings: EvalSettings, loaded: LoadedModel | None = None) -> None:
    """Every input exists (local, or on the Hub) and --out can be written, before any work."""
    s, out = settings, Path(settings.out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a directory; expected the path of a results.json file")
    check_parents(out)
    bench_mod.check_bench(s.bench, s.revision)
    if s.predictions_from is None and loaded is None:
        check_source(s.model, "model", s.model_revision)
        if s.adapter is not None:
            check_source(s.adapter, "--adapter", s.adapter_revision)


class Evaluation:
    """One evaluation of one model on one benchmark, run step by step by `evaluate`."""

    def __init__(self, settings: EvalSettings, loaded: LoadedModel | None = None) -> None:
        self.settings = settings
        self.configs = bench_mod.parse_sets(settings.sets)
        self.out = Path(settings.out)
        check_inputs(settings, loaded)
        import torch
        from accelerate import PartialState
        from transformers import set_seed

        self.pred_dir = self.out.parent / "predictions"
        # cpu=True is what makes accelerate join CPU processes of a launch (gloo); on GPUs it is NCCL
        self.state = PartialState(cpu=not torch.cuda.is_available())
        set_seed(settings.seed + self.state.process_index)
        self.decoding = decoding_info(settings)
        self.manifest = bench_mod.bench_manifest(settings.bench, settings.revision)
        self.loaded = loaded if settings.predictions_from is None else None
        if settings.predictions_from is None and self.loaded is None:
            self.loaded = load_model(
                settings.model,
                adapter=settings.adapter,
                revision=settings.model_revision,
                adapter_revision=settings.adapter_revision,
                dtype=_dtype(settings.dtype, self.state.device.type == "cuda"),
            )
            if self.state.device.type != "cpu":
                self.loaded.model.to(self.state.device)
        self.model_info = self._model_info()

    @property
    def is_main(self) -> bool:
        return bool(self.state.is_main_process)

    def _model_info(self) -> ModelInfo:
        if self.loaded is None:
            kind = self.settings.predictions_from
            return ModelInfo(source=f"predictions-from:{kind}", name=kind)
        info = {k: v for k, v in self.loaded.info.items() if k in ModelInfo.model_fields}
        model = ModelInfo(**info)
        if model.name is None:
            model.name = Path(model.run).name if model.run else model.source
        return model

    def start(self) -> None:
        """Check (or start) the predictions folder: a rerun continues only what the same settings made."""
        if self.is_main:
            self.pred_dir.mkdir(parents=True, exist_ok=True)
            pred_mod.check_meta(self.pred_dir, predictions_meta(self.settings), self.settings.overwrite)
        self.state.wait_for_everyone()

    def load_set(self, config: str) -> tuple[list[BenchRow], int]:
        """The set's rows (the first `limit` of them) and how many the set has in all."""
        rows = bench_mod.load_set(self.settings.bench, config, self.settings.revision)
        total = len(rows)
        if self.settings.limit is not None:
            rows = rows[: self.settings.limit]
        return rows, total

    def generate(self, config: str, rows: list[BenchRow], bar: Any) -> int:
        """Predict every row that has no prediction yet, saving each batch; returns how many were pending.

        The set's batches are planned over all its rows (`plan_batches`); the ones with a row still to do
        are dealt out whole, round robin, to the processes, each appending to its own shard. So every
        batch is the one a single, uninterrupted run makes, and so are its outputs: a batch cut off by a
        kill is generated again whole (only its missing rows are saved).
        """
        state = self.state
        done = pred_mod.read_done(self.pred_dir, config)
        state.wait_for_everyone()  # every process has read the set's predictions before any adds to them
        pending = [r for r in rows if r.id not in done]
        if not pending:
            return 0
        if self.settings.predictions_from is not None:
            if self.is_main:
                preds = debug_predictions(self.settings.predictions_from, [r.model_dump() for r in pending])
                items = [PredictionRow(id=r.id, prediction=p) for r, p in zip(pending, preds, strict=True)]
                pred_mod.append(pred_mod.set_file(self.pred_dir, config), items)
            return len(pending)
        assert self.loaded is not None
        target = (
            pred_mod.shard_file(self.pred_dir, config, state.process_index)
            if state.num_processes > 1
            else pred_mod.set_file(self.pred_dir, config)
        )
        prompts = [format_prompt(r.instruction, r.input) for r in rows]
        plan = plan_batches(self.loaded.tokenizer, prompts, self.settings.batch_size)
        todo = [b for b in plan if any(rows[i].id not in done for i in b)]
        mine = todo[state.process_index :: state.num_processes]
        mine_pending = sum(rows[i].id not in done for b in mine for i in b)
        task = bar.add_task(f"{BENCH_BY_CONFIG[config].abbrev:6}", total=mine_pending)  # the main's share

        def save(idx: list[int], preds: list[str], raw: list[str]) -> None:
            items = [
                PredictionRow(id=rows[i].id, prediction=p, raw=t)
                for i, p, t in zip(idx, preds, raw, strict=True)
                if rows[i].id not in done
            ]
            pred_mod.append(target, items)
            bar.advance(task, len(items))

        if mine:
            generate_responses(
                self.loaded.model,
                self.loaded.tokenizer,
                prompts,
                inputs=[r.input for r in rows],
                decoding=self.settings.decoding,
                batch_size=self.settings.batch_size,
                engine=self.settings.engine,
                max_new_tokens=self.settings.max_new_tokens,
                on_batch=save,
                batches=mine,
            )
        return len(pending)

    def score(
        self, config: str, rows: list[BenchRow], total: int, generated: int, started: float
    ) -> SetResult:
        """Score the set's predictions (in benchmark order) with its metric and write them back with what
        was scored (`<set>.jsonl`, shards merged)."""
        preds = pred_mod.collect(self.pred_dir, config, [r.id for r in rows])
        tokenize = choose_tokenize(self.settings.tokenize, self.manifest, config)
        fields, detailed = score_rows(config, rows, preds, tokenize)
        pred_mod.write_set(self.pred_dir, config, detailed)
        return SetResult(
            **fields,
            rows=total,
            tokenize=tokenize,
            generated=generated,
            reused=len(rows) - generated,
            seconds=round(time.perf_counter() - started, 3),
        )

    def finish(self, sets: dict[str, SetResult], complete_rows: bool) -> Results:
        """Assemble results.json (the average only when every row of all ten sets was scored) and write it."""
        average, complete = summary(sets, complete_rows)
        results = Results(
            wa_hub_version=__version__,
            model=self.model_info,
            bench=BenchInfo(
                **bench_mod.bench_info(self.settings.bench, self.settings.revision, self.configs)
            ),
            decoding=self.decoding,
            versions=library_versions(),
            hardware=self._hardware(),
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            limit=self.settings.limit,
            predictions=str(self.pred_dir.resolve()),
            sets=sets,
            average=average,
            complete=complete,
        )
        write_model(self.out, results)
        return results

    def _hardware(self) -> EvalHardware:
        import torch

        hw = EvalHardware(
            device=str(self.state.device),
            num_processes=self.state.num_processes,
            num_machines=launched_machines(),
        )
        if torch.cuda.is_available():
            hw.gpu = torch.cuda.get_device_name(self.state.device)
        else:
            hw.cpu_threads = torch.get_num_threads()
        return hw


def evaluate(
    settings: EvalSettings, loaded: LoadedModel | None = None, layout: Layout | None = None
) -> Results | None:
    """Evaluate `settings.model` (or the already `loaded` one) on `settings.bench`; returns the results.

    `settings.predictions_from` ("references" | "source") skips the model and scores the benchmark's own
    first references or inputs through the same saving and scoring path (a sanity check of the pipeline).
    With `layout`'s processes or machines this re-launches itself under `accelerate launch` and waits
    (wa_hub.evaluate.launch). Only the main process (machine 0) returns the results; the others None.
    """
    plan = plan_evaluate(layout)
    if plan.launched:
        if loaded is not None:
            raise UsageError("a model loaded in this process cannot be launched in others; pass its source")
        if plan.layout.machine_rank == 0:
            check_inputs(settings)
        run_launch(launch_command(plan, settings), "run the same command again to continue")
        return load_model_file(settings.out, Results) if plan.layout.machine_rank == 0 else None
    run = Evaluation(settings, loaded)
    run.start()
    generated: list[tuple[str, list[BenchRow], int, int, float]] = []
    with _progress(settings.progress and run.is_main) as bar:
        for config in run.configs:
            started = time.perf_counter()
            rows, total = run.load_set(config)
            n = run.generate(config, rows, bar)
            generated.append((config, rows, total, n, time.perf_counter() - started))
    run.state.wait_for_everyone()  # every shard is complete; the main process alone scores
    if not run.is_main:
        return None
    sets = {
        config: run.score(config, rows, total, n, time.perf_counter() - seconds)
        for config, rows, total, n, seconds in generated
    }
    return run.finish(sets, all(len(rows) == total for _, rows, total, _, _ in generated))
