"""Builders: a YAML spec + raw files -> Hub-ready dataset folder (Parquet shards, card, manifest).

`build_data` makes the instruction dataset (`builders/writing-instruct.yaml`), `build_bench` the
benchmark (`builders/writing-bench.yaml`). Both build in a temp dir beside OUT and rename it into place
(wa_hub.fileio.atomic_dir), write one Parquet file per config, and declare the configs in the card's
YAML front matter, which is how `datasets.load_dataset(path_or_repo, config)` finds them (no loading
script). Same raw files + seed give byte-identical Parquet: row selection uses seeded `random.Random`
instances keyed by task and source, and rows keep their source-file order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from wa_hub import __version__, cards
from wa_hub.errors import UsageError, WaHubError
from wa_hub.fileio import atomic_dir, check_out, read_yaml, sha256_file
from wa_hub.prompts import TASK_PROMPTS, TASKS, task_prompt
from wa_hub.resources import resource
from wa_hub.schema import (
    BenchManifest,
    BenchRow,
    ConfigEntry,
    InstructionManifest,
    InstructionRow,
    Manifest,
    Record,
    Split,
    TaskPartUsed,
    Tokenize,
    TrainTestOverlap,
    arrow_schema,
    columns,
    parse_obj,
    write_model,
)
from wa_hub.sources.example import Example
from wa_hub.sources.registry import Source, get_source, require_files
from wa_hub.study import BENCH_SETS, BenchSet

DEFAULT_VERSION = "1.0.0"
DEFAULT_DATA_OUT = Path("build/writing-instruct")
DEFAULT_BENCH_OUT = Path("build/writing-bench")


def sample_raw_dir() -> Path:
    """The sample raw files shipped inside the package (one folder per source id, original names)."""
    return Path(__file__).resolve().parent / "samples" / "raw"


def default_out(kind: str, sample: bool) -> Path:
    """build/writing-instruct, build/writing-bench; `-sample` appended for --sample builds."""
    base = DEFAULT_DATA_OUT if kind == "data" else DEFAULT_BENCH_OUT
    return base.with_name(base.name + "-sample") if sample else base


# --- specs --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskPart(_Strict):
    source: str
    rows: int = Field(gt=0)


class GenericPart(_Strict):
    config: str
    source: str
    optional: bool = False
    expected_rows: int | None = None


class DataSample(_Strict):
    per_task: int = Field(gt=0)
    tasks: dict[str, int] = {}
    generic: int | None = None


class DataSpec(_Strict):
    name: str
    pretty_name: str
    seed: int = 42
    per_task: int = Field(gt=0)
    tasks: dict[str, list[TaskPart]]
    generic: list[GenericPart] = []
    sample: DataSample


class BenchSetSpec(_Strict):
    source: str
    intent: str | None = None
    min_score: float | None = None
    tokenize: Tokenize = "none"  # how `evaluate` puts ordinary-text outputs into the gold's tokenization


class BenchSample(_Strict):
    rows_per_set: int = Field(gt=0)


class BenchSpec(_Strict):
    name: str
    pretty_name: str
    sets: dict[str, BenchSetSpec]
    sample: BenchSample


def _load_yaml(name_or_path: str | Path) -> tuple[dict[str, Any], Path]:
    path = Path(name_or_path)
    if not path.suffix:
        path = resource("builders", f"{name_or_path}.yaml")
    if not path.is_file():
        raise UsageError(f"builder spec {path} not found")
    data = read_yaml(path, "a builder spec")
    if not isinstance(data, dict):
        raise WaHubError(f"{path}: expected a YAML mapping")
    return data, path


S = TypeVar("S", DataSpec, BenchSpec)


def _load_spec(model: type[S], name_or_path: str | Path) -> tuple[S, Path]:
    data, path = _load_yaml(name_or_path)
    return parse_obj(model, data, path), path


def load_data_spec(name_or_path: str | Path = "writing-instruct") -> DataSpec:
    spec, path = _load_spec(DataSpec, name_or_path)
    for task in spec.tasks:
        if task not in TASK_PROMPTS:
            raise WaHubError(f"{path}: unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return spec


def load_bench_spec(name_or_path: str | Path = "writing-bench") -> BenchSpec:
    spec, path = _load_spec(BenchSpec, name_or_path)
    known = [s.config for s in BENCH_SETS]
    if list(spec.sets) != known:
        raise WaHubError(f"{path}: `sets` must be exactly {', '.join(known)} in that order")
    return spec


def set_tokenize(manifest: BenchManifest | None, config: str) -> Tokenize:
    """How a benchmark says a set's outputs are tokenized before scoring (its manifest's `tokenize`); one
    that does not record it (built before wa-hub recorded it, or not by wa-hub) gets the shipped spec's."""
    if manifest is not None and config in manifest.tokenize:
        return manifest.tokenize[config]
    return load_bench_spec().sets[config].tokenize


# --- shared steps -------------------------------------------------------------------------------------


def _raw_dir(raw_dir: str | Path | None, sample: bool) -> Path:
    """The raw folder to read: the given one, or the shipped samples with --sample."""
    if raw_dir is None:
        if not sample:
            raise UsageError("--raw-dir is required (or pass --sample to build from the shipped samples)")
        raw_dir = sample_raw_dir()
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise UsageError(f"raw dir {raw} does not exist")
    return raw


def _check_version(version: str) -> str:
    """X.Y.Z as `wa_hub.versions` reads it (the check `push` makes too), without a leading `v`."""
    from wa_hub.versions import parse_version

    return str(parse_version(version))


def _raw_hashes(raw_dir: Path, sources: list[Source]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in sources:
        for p in s.paths(raw_dir):
            key = f"{s.id}/{p.name}"
            if key not in out:
                out[key] = sha256_file(p)
    return out


@contextmanager
def _progress(enabled: bool, description: str, total: int) -> Iterator[Any]:
    """A rich progress bar on stderr (one task), or a no-op one; yields `(bar, task)`."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    ) as bar:
        yield bar, bar.add_task(description, total=total)


def _write_parquet(path: Path, rows: list[Record], model: type[Record]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(model)
    table = pa.table(
        {c: pa.array([getattr(r, c) for r in rows], type=schema.field(c).type) for c in columns(model)},
        schema=schema,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=50_000)


def _configs(rows: dict[str, list[Any]], split: Split, default: str) -> list[ConfigEntry]:
    return [ConfigEntry(name=c, split=split, rows=len(r), default=c == default) for c, r in rows.items()]


def write_dataset_folder(
    out: str | Path,
    manifest: Manifest,
    rows: dict[str, list[Any]],
    row_model: type[Record],
    overwrite: bool = False,
    keep: list[Path] | None = None,
) -> Path:
    """Parquet per config (`manifest.configs`), manifest.json and the card rendered from the manifest as
    written (wa_hub.cards), built aside and renamed in; `keep`: the inputs (raw dir) it never replaces."""
    with atomic_dir(out, overwrite=overwrite, keep=keep or []) as tmp:
        for c in manifest.configs:
            _write_parquet(tmp / c.file, rows[c.name], row_model)
        write_model(tmp / "manifest.json", manifest)
        cards.write_dataset_card(tmp)
    return Path(out)


# --- build-data ---------------------------------------------------------------------------------------


def _scaled(parts: list[TaskPart], total: int) -> list[int]:
    """Split `total` over the parts in proportion to their `rows` (remainder to the last part)."""
    base = sum(p.rows for p in parts)
    counts = [round(p.rows * total / base) for p in parts[:-1]]
    return [*counts, total - sum(counts)]


def _pick(examples: list[Example], n: int, seed: int, key: str) -> list[Example]:
    """A seeded random subset of `n` examples, kept in source order."""
    if n >= len(examples):
        return list(examples)
    idx = sorted(random.Random(f"{seed}:{key}").sample(range(len(examples)), n))
    return [examples[i] for i in idx]


def _data_row(e: Example) -> InstructionRow:
    return InstructionRow(
        id=e.id,
        task=e.task,
        instruction=e.instruction or task_prompt(e.task),
        input=e.input,
        output=e.output,
        source=e.source,
    )


@dataclass(frozen=True)
class _DataPlan:
    """What build-data will read and how many rows it takes, checked before any file is read."""

    spec: DataSpec
    raw: Path
    seed: int
    sample: bool
    task_counts: dict[str, int]
    generic_rows: int | None
    train_sources: list[Source]
    generic: list[tuple[GenericPart, Source]]  # present on disk


def _plan_data(
    raw_dir: str | Path | None,
    spec: str | Path,
    seed: int | None,
    per_task: int | None,
    generic: int | None,
    sample: bool,
) -> _DataPlan:
    s = load_data_spec(spec)
    raw = _raw_dir(raw_dir, sample)
    task_counts: dict[str, int] = {}
    for task in s.tasks:
        default = (s.sample.tasks.get(task, s.sample.per_task)) if sample else s.per_task
        task_counts[task] = default if per_task is None else per_task
        if task_counts[task] <= 0:
            raise UsageError(f"--per-task must be positive, got {task_counts[task]}")
    generic_n = generic if generic is not None else (s.sample.generic if sample else None)
    if generic_n is not None and generic_n < 0:
        raise UsageError(f"--generic must be >= 0, got {generic_n}")
    train_sources = list(dict.fromkeys(get_source(p.source, "train") for ps in s.tasks.values() for p in ps))
    gen_parts = [(g, get_source(g.source, "generic")) for g in s.generic]
    require_files(raw, train_sources + [src for g, src in gen_parts if not g.optional])
    present = [(g, src) for g, src in gen_parts if all(p.is_file() for p in src.paths(raw))]
    return _DataPlan(
        spec=s,
        raw=raw,
        seed=s.seed if seed is None else seed,
        sample=sample,
        task_counts=task_counts,
        generic_rows=generic_n,
        train_sources=train_sources,
        generic=present,
    )


def _task_rows(
    plan: _DataPlan, advance: Any
) -> tuple[dict[str, list[InstructionRow]], dict[str, list[TaskPartUsed]]]:
    """Each writing task's rows: a seeded pick from each of its sources, in the spec's proportions."""
    from wa_hub.sources.load import train_examples_by_task

    s, raw, seed = plan.spec, plan.raw, plan.seed
    configs: dict[str, list[InstructionRow]] = {}
    parts_used: dict[str, list[TaskPartUsed]] = {}
    cache: dict[tuple[str, str], list[Example]] = {}
    for task, parts in s.tasks.items():
        rows: list[InstructionRow] = []
        parts_used[task] = []
        for part, n in zip(parts, _scaled(parts, plan.task_counts[task]), strict=True):
            src = get_source(part.source, "train")
            advance(f"reading {src.id} ({task})")
            key = (src.id, task)
            if key not in cache:  # a source read once for all its tasks (IteraTeR feeds three)
                wanted = [t for t, ps in s.tasks.items() if any(p.source == src.id for p in ps)]
                for t, exs in train_examples_by_task(src, raw, wanted, seed).items():
                    cache[(src.id, t)] = exs
            pool = cache.pop(key)
            if len(pool) < n:
                raise WaHubError(
                    f"source {src.id} has {len(pool)} usable {task} rows under {raw / src.id}, "
                    f"but {n} were requested; pass a smaller --per-task or check the raw files"
                )
            rows += [_data_row(e) for e in _pick(pool, n, seed, f"{task}:{src.id}")]
            parts_used[task].append(TaskPartUsed(source=src.id, rows=n, available=len(pool)))
        configs[task] = rows
    return configs, parts_used


def _generic_rows(plan: _DataPlan, advance: Any) -> tuple[dict[str, list[InstructionRow]], list[str]]:
    """Each present generic source (Alpaca, and its GPT-4 variant when present): all rows or a pick."""
    from wa_hub.sources.load import train_examples

    configs: dict[str, list[InstructionRow]] = {}
    warnings: list[str] = []
    n = plan.generic_rows
    for g, src in plan.generic:
        advance(f"reading {src.id}")
        pool = train_examples(src, plan.raw, "generic", plan.seed)
        if not pool:
            raise WaHubError(f"source {src.id} has no rows under {plan.raw / src.id}")
        if n is None and g.expected_rows is not None and len(pool) != g.expected_rows and not plan.sample:
            warnings.append(f"{src.id} has {len(pool)} rows; the study used {g.expected_rows}")
        if n is not None and n > len(pool):
            raise WaHubError(
                f"source {src.id} has {len(pool)} rows under {plan.raw / src.id}, but --generic {n} "
                "was requested"
            )
        chosen = pool if n is None else _pick(pool, n, plan.seed, f"generic:{src.id}")
        configs[g.config] = [_data_row(e) for e in chosen]
    return configs, warnings


def _data_configs(
    tasks: dict[str, list[InstructionRow]], generic: dict[str, list[InstructionRow]]
) -> dict[str, list[InstructionRow]]:
    """All configs in card order: writing, generic, mixed, one per task, then the GPT-4 variants."""
    writing = [r for rows in tasks.values() for r in rows]
    found: dict[str, list[InstructionRow]] = {"writing": writing, **tasks}
    for config, rows in generic.items():
        found[config] = rows
        found["mixed" + config[len("generic") :]] = writing + rows
    order = ["writing", "generic", "mixed", *tasks, "generic-gpt4", "mixed-gpt4"]
    order += [c for c in found if c not in order]
    return {c: found[c] for c in order if c in found}


def build_data(
    raw_dir: str | Path | None,
    out: str | Path,
    *,
    version: str = DEFAULT_VERSION,
    seed: int | None = None,
    per_task: int | None = None,
    generic: int | None = None,
    sample: bool = False,
    overwrite: bool = False,
    spec: str | Path = "writing-instruct",
    progress: bool = False,
    bench: str | Path | None = None,
) -> Path:
    """Build the instruction dataset folder at `out` and return its path.

    `raw_dir=None` with `sample=True` reads the sample raw files shipped in the package. `per_task`,
    `generic` and `seed` override the spec (in sample mode, the spec's `sample:` counts are the defaults).
    Steps: plan (validate options, check every file is there), read each task's sources and pick rows,
    read the generic sources, assemble the configs, compare them with the benchmark (`bench`, a build-bench
    folder, else the benchmark's raw sources when the raw dir has them: `wa_hub.overlap`), hash the raw
    files, write the folder.
    """
    version = _check_version(version)
    if bench is not None:
        from wa_hub.evaluate.bench import local_manifest

        local_manifest(Path(bench))
    plan = _plan_data(raw_dir, spec, seed, per_task, generic, sample)
    check_out(out, overwrite, keep=[plan.raw])
    n_steps = sum(len(p) for p in plan.spec.tasks.values()) + len(plan.generic) + 3
    with _progress(progress, "building writing-instruct", n_steps) as (bar, step):

        def advance(description: str) -> None:
            bar.update(step, description=description, advance=1)

        tasks, parts = _task_rows(plan, advance)
        generic_configs, warnings = _generic_rows(plan, advance)
        configs = _data_configs(tasks, generic_configs)
        used_sources = plan.train_sources + [src for _, src in plan.generic]
        advance("comparing with the benchmark")
        found = _overlap(plan, configs, bench)
        warnings += [w for w in [_overlap_warning(found)] if w]
        advance("hashing raw files")
        manifest = InstructionManifest(
            name=plan.spec.name,
            pretty_name=plan.spec.pretty_name,
            version=version,
            wa_hub_version=__version__,
            builder=plan.spec.model_dump(),
            seed=plan.seed,
            sample=sample,
            per_task=plan.task_counts,
            generic_rows=plan.generic_rows,
            parts=parts,
            raw_files=_raw_hashes(plan.raw, used_sources),
            configs=_configs(configs, "train", "mixed"),
            columns=list(columns(InstructionRow)),
            sources=[s.key for s in used_sources],
            warnings=warnings,
            overlap=found,
        )
        advance("writing Parquet")
        write_dataset_folder(out, manifest, configs, InstructionRow, overwrite, keep=[plan.raw])
    return Path(out)


def _overlap(
    plan: _DataPlan, configs: dict[str, list[InstructionRow]], bench: str | Path | None
) -> TrainTestOverlap | None:
    """Training inputs the benchmark also has: the given build-bench folder's sets, else the sets the
    benchmark's raw sources in the raw dir give (as build-bench would build them), else not checked."""
    from wa_hub import overlap

    rows = [r for config_rows in configs.values() for r in config_rows]
    if bench is not None:
        from wa_hub.evaluate.bench import load_set, local_manifest

        folder = Path(bench)
        m = local_manifest(folder)
        sets = {bs.config: load_set(str(folder), bs.config) for bs in BENCH_SETS if bs.config in m.counts}
        return overlap.find(rows, sets, f"{folder} ({m.name} v{m.version})")
    bench_spec = load_bench_spec()
    sources = list(dict.fromkeys(get_source(x.source, "test") for x in bench_spec.sets.values()))
    if not all(p.is_file() for src in sources for p in src.paths(plan.raw)):
        return None
    sets, _ = _read_bench_sets(bench_spec, plan.raw, plan.sample, lambda _: None)
    return overlap.find(rows, sets, f"the benchmark's raw sources in {plan.raw}")


def _overlap_warning(found: TrainTestOverlap | None) -> str | None:
    if found is None:
        return (
            "train/test overlap not checked: the raw dir has not all the benchmark's sources; pass --bench "
            "with a build-bench folder"
        )
    from wa_hub.overlap import warning

    return warning(found)


# --- build-bench --------------------------------------------------------------------------------------


def _bench_rows(bs: BenchSet, examples: list[Example]) -> list[BenchRow]:
    from wa_hub.metrics import get_metric

    instruction = task_prompt(bs.task)
    needs_m2 = get_metric(bs.metric).inputs == "m2"
    return [
        BenchRow(
            id=e.id,
            set=bs.config,
            task=bs.task,
            instruction=instruction,
            input=e.input,
            references=list(e.references),
            metric=bs.metric,  # type: ignore[arg-type]
            m2=e.m2 if needs_m2 else "",
        )
        for e in examples
    ]


def _read_bench_sets(
    spec: BenchSpec, raw: Path, sample: bool, advance: Any
) -> tuple[dict[str, list[BenchRow]], list[str]]:
    """Every set's rows (the first `rows_per_set` with --sample) and how their sizes differ from Table 2."""
    from wa_hub.sources.load import bench_examples

    rows: dict[str, list[BenchRow]] = {}
    mismatches: list[str] = []
    for bs in BENCH_SETS:
        x = spec.sets[bs.config]
        src = get_source(x.source, "test")
        advance(f"reading {bs.config} ({src.id})")
        examples = bench_examples(src, raw, bs.config, bs.task, intent=x.intent, min_score=x.min_score)
        if not examples:  # a set nothing can be scored on: an error now, not when evaluate reaches it
            files = ", ".join(str(p) for p in src.paths(raw))
            kept = " kept by the spec's intent/min_score" if x.intent or x.min_score is not None else ""
            raise WaHubError(f"benchmark set {bs.config}: no rows{kept} in {files}; Table 2 has {bs.size}")
        if sample:
            examples = examples[: spec.sample.rows_per_set]
        elif len(examples) != bs.size:
            mismatches.append(
                f"{bs.config}: {len(examples)} rows from {raw / src.id}, the study's Table 2 has {bs.size}"
            )
        rows[bs.config] = _bench_rows(bs, examples)
    return rows, mismatches


def build_bench(
    raw_dir: str | Path | None,
    out: str | Path,
    *,
    version: str = DEFAULT_VERSION,
    sample: bool = False,
    allow_size_mismatch: bool = False,
    overwrite: bool = False,
    spec: str | Path = "writing-bench",
    progress: bool = False,
) -> Path:
    """Build the ten-set benchmark folder at `out` and return its path.

    Steps: load the spec and check every raw file is there; read the ten sets; check each set's size
    against the study's Table 2 (wa_hub.study.BENCH_SETS) unless `sample` (a mismatch is an error unless
    `allow_size_mismatch`, and then it is recorded in the manifest and card); add `all`; write the folder.
    """
    version = _check_version(version)
    s = load_bench_spec(spec)
    raw = _raw_dir(raw_dir, sample)
    sources = list(dict.fromkeys(get_source(x.source, "test") for x in s.sets.values()))
    require_files(raw, sources)
    check_out(out, overwrite, keep=[raw])
    with _progress(progress, "building writing-bench", len(BENCH_SETS) + 2) as (bar, step):

        def advance(description: str) -> None:
            bar.update(step, description=description, advance=1)

        rows, mismatches = _read_bench_sets(s, raw, sample, advance)
        if mismatches and not allow_size_mismatch:
            raise WaHubError(
                "benchmark set sizes differ from the study's: "
                + "; ".join(mismatches)
                + "; check the raw files, or pass --allow-size-mismatch to build anyway"
            )
        configs: dict[str, list[BenchRow]] = {
            **rows,
            "all": [r for bs in BENCH_SETS for r in rows[bs.config]],
        }
        advance("hashing raw files")
        manifest = BenchManifest(
            name=s.name,
            pretty_name=s.pretty_name,
            version=version,
            wa_hub_version=__version__,
            builder=s.model_dump(),
            sample=sample,
            raw_files=_raw_hashes(raw, sources),
            configs=_configs(configs, "test", "all"),
            columns=list(columns(BenchRow)),
            sources=[src.key for src in sources],
            references_per_row={c: sorted({len(r.references) for r in rows[c]}) for c in rows},
            tokenize={c: x.tokenize for c, x in s.sets.items()},
            size_mismatches=mismatches,
        )
        advance("writing Parquet")
        write_dataset_folder(out, manifest, configs, BenchRow, overwrite, keep=[raw])
    return Path(out)
