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
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from wa_hub import __version__
from wa_hub.errors import UsageError, WaHubError
from wa_hub.fileio import atomic_dir, sha256_file, write_json
from wa_hub.prompts import PROMPT_INPUT, PROMPT_NO_INPUT, TASK_PROMPTS, TASKS, task_prompt
from wa_hub.resources import resource
from wa_hub.sources.example import Example
from wa_hub.sources.registry import Source, get_source, require_files
from wa_hub.study import BENCH_SETS

DATA_COLUMNS = ("id", "task", "instruction", "input", "output", "source")
BENCH_COLUMNS = ("id", "set", "task", "instruction", "input", "references", "metric", "m2")
DEFAULT_VERSION = "1.0.0"
DEFAULT_DATA_OUT = Path("build/writing-instruct")
DEFAULT_BENCH_OUT = Path("build/writing-bench")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


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
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise WaHubError(f"{path}: expected a YAML mapping")
    return data, path


def load_data_spec(name_or_path: str | Path = "writing-instruct") -> DataSpec:
    data, path = _load_yaml(name_or_path)
    try:
        spec = DataSpec.model_validate(data)
    except Exception as e:
        raise WaHubError(f"{path}: invalid builder spec: {e}") from None
    for task in spec.tasks:
        if task not in TASK_PROMPTS:
            raise WaHubError(f"{path}: unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return spec


def load_bench_spec(name_or_path: str | Path = "writing-bench") -> BenchSpec:
    data, path = _load_yaml(name_or_path)
    try:
        spec = BenchSpec.model_validate(data)
    except Exception as e:
        raise WaHubError(f"{path}: invalid builder spec: {e}") from None
    known = [s.config for s in BENCH_SETS]
    if list(spec.sets) != known:
        raise WaHubError(f"{path}: `sets` must be exactly {', '.join(known)} in that order")
    return spec


# --- shared helpers -----------------------------------------------------------------------------------


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
    v = version[1:] if version.startswith("v") else version
    if not _SEMVER.match(v):
        raise UsageError(f"--version must look like X.Y.Z (e.g. 1.0.0), got {version!r}")
    return v


def _raw_hashes(raw_dir: Path, sources: list[Source]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in sources:
        for p in s.paths(raw_dir):
            key = f"{s.id}/{p.name}"
            if key not in out:
                out[key] = sha256_file(p)
    return out


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
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
        yield bar


def _write_parquet(
    path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...], list_cols: set[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [
        pa.field(c, pa.list_(pa.string()) if c in list_cols else pa.string(), nullable=False) for c in columns
    ]
    schema = pa.schema(fields)
    table = pa.table(
        {c: pa.array([r[c] for r in rows], type=schema.field(c).type) for c in columns}, schema=schema
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=50_000)


def _front_matter(configs: list[str], split: str, default: str, extra: dict[str, Any]) -> str:
    meta = dict(extra)
    meta["configs"] = [
        {
            "config_name": c,
            "data_files": [{"split": split, "path": f"data/{c}/{split}-*.parquet"}],
            **({"default": True} if c == default else {}),
        }
        for c in configs
    ]
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)


def _render_card(template: str, context: dict[str, Any]) -> str:
    import jinja2

    path = resource("cards", template)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(path.name).render(**context)


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


def _data_row(e: Example) -> dict[str, Any]:
    return {
        "id": e.id,
        "task": e.task,
        "instruction": e.instruction or task_prompt(e.task),
        "input": e.input,
        "output": e.output,
        "source": e.source,
    }


# --- build-data ---------------------------------------------------------------------------------------


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
) -> Path:
    """Build the instruction dataset folder at `out` and return its path.

    `raw_dir=None` with `sample=True` reads the sample raw files shipped in the package. `per_task`,
    `generic` and `seed` override the spec (in sample mode, the spec's `sample:` counts are the defaults).
    """
    from wa_hub.sources.load import train_examples, train_examples_by_task

    version = _check_version(version)
    s = load_data_spec(spec)
    raw = _raw_dir(raw_dir, sample)
    seed = s.seed if seed is None else seed
    task_counts: dict[str, int] = {}
    for task in s.tasks:
        default = (s.sample.tasks.get(task, s.sample.per_task)) if sample else s.per_task
        task_counts[task] = default if per_task is None else per_task
        if task_counts[task] <= 0:
            raise UsageError(f"--per-task must be positive, got {task_counts[task]}")
    generic_n = generic if generic is not None else (s.sample.generic if sample else None)
    if generic_n is not None and generic_n < 0:
        raise UsageError(f"--generic must be >= 0, got {generic_n}")

    train_sources = [get_source(p.source, "train") for parts in s.tasks.values() for p in parts]
    train_sources = list(dict.fromkeys(train_sources))
    gen_parts = [(g, get_source(g.source, "generic")) for g in s.generic]
    required = train_sources + [src for g, src in gen_parts if not g.optional]
    require_files(raw, required)
    present_generic = [(g, src) for g, src in gen_parts if all(p.is_file() for p in src.paths(raw))]

    configs: dict[str, list[dict[str, Any]]] = {}
    parts_used: dict[str, list[dict[str, Any]]] = {}
    warnings: list[str] = []
    cache: dict[tuple[str, str], list[Example]] = {}
    n_steps = sum(len(p) for p in s.tasks.values()) + len(present_generic) + 2
    with _progress(progress) as bar:
        step = bar.add_task("building writing-instruct", total=n_steps)
        writing: list[dict[str, Any]] = []
        for task, parts in s.tasks.items():
            rows: list[dict[str, Any]] = []
            parts_used[task] = []
            for part, n in zip(parts, _scaled(parts, task_counts[task]), strict=True):
                src = get_source(part.source, "train")
                bar.update(step, description=f"reading {src.id} ({task})")
                key = (src.id, task)
                if key not in cache:
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
                parts_used[task].append({"source": src.id, "rows": n, "available": len(pool)})
                bar.advance(step)
            configs[task] = rows
            writing += rows
        configs["writing"] = writing
        for g, src in present_generic:
            bar.update(step, description=f"reading {src.id}")
            pool = train_examples(src, raw, "generic", seed)
            if (
                generic_n is None
                and g.expected_rows is not None
                and len(pool) != g.expected_rows
                and not sample
            ):
                warnings.append(f"{src.id} has {len(pool)} rows; the study used {g.expected_rows}")
            if generic_n is not None and generic_n > len(pool):
                raise WaHubError(
                    f"source {src.id} has {len(pool)} rows under {raw / src.id}, but --generic {generic_n} "
                    "was requested"
                )
            chosen = pool if generic_n is None else _pick(pool, generic_n, seed, f"generic:{src.id}")
            rows = [_data_row(e) for e in chosen]
            configs[g.config] = rows
            suffix = g.config[len("generic") :]
            configs[f"mixed{suffix}"] = writing + rows
            bar.advance(step)
        order = ["writing", "generic", "mixed", *s.tasks, "generic-gpt4", "mixed-gpt4"]
        order += [c for c in configs if c not in order]
        names = [c for c in order if c in configs]

        used_sources = train_sources + [src for _, src in present_generic]
        bar.update(step, description="hashing raw files")
        hashes = _raw_hashes(raw, used_sources)
        bar.advance(step)
        counts = {c: len(configs[c]) for c in names}
        manifest = {
            "name": s.name,
            "kind": "instruction-data",
            "version": version,
            "wa_hub_version": __version__,
            "builder": s.model_dump(),
            "seed": seed,
            "sample": sample,
            "per_task": task_counts,
            "generic_rows": generic_n,
            "parts": parts_used,
            "raw_files": hashes,
            "counts": counts,
            "columns": list(DATA_COLUMNS),
            "warnings": warnings,
        }
        bar.update(step, description="writing Parquet")
        with atomic_dir(out, overwrite=overwrite) as tmp:
            for c in names:
                _write_parquet(
                    tmp / "data" / c / "train-00000-of-00001.parquet", configs[c], DATA_COLUMNS, set()
                )
            write_json(tmp / "manifest.json", manifest)
            card = _render_card(
                "dataset.md.j2",
                {
                    "front_matter": _front_matter(
                        names,
                        "train",
                        "mixed",
                        {
                            "pretty_name": s.pretty_name,
                            "language": ["en"],
                            "license": "other",
                            "license_name": "mixed-non-commercial",
                            "task_categories": ["text-generation"],
                            "tags": ["writing-assistance", "instruction-tuning", "alpaca", "wa-hub"],
                            "size_categories": [_size_category(max(counts.values(), default=0))],
                        },
                    ),
                    "spec": s,
                    "version": version,
                    "sample": sample,
                    "seed": seed,
                    "counts": counts,
                    "configs": names,
                    "parts": parts_used,
                    "task_prompts": {t: task_prompt(t) for t in s.tasks},
                    "sources": used_sources,
                    "prompt_input": PROMPT_INPUT,
                    "prompt_no_input": PROMPT_NO_INPUT,
                    "wa_hub_version": __version__,
                    "warnings": warnings,
                },
            )
            (tmp / "README.md").write_text(card, encoding="utf-8")
        bar.advance(step)
    return Path(out)


def _size_category(n: int) -> str:
    for limit, name in [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ]:
        if n < limit:
            return name
    return "1M<n<10M"


# --- build-bench --------------------------------------------------------------------------------------


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

    Each set's size is checked against the study's Table 2 (wa_hub.study.BENCH_SETS) unless `sample`;
    a mismatch is an error unless `allow_size_mismatch`, and then it is recorded in the manifest and card.
    """
    from wa_hub.sources.load import bench_examples

    version = _check_version(version)
    s = load_bench_spec(spec)
    raw = _raw_dir(raw_dir, sample)
    sources = list(dict.fromkeys(get_source(x.source, "test") for x in s.sets.values()))
    require_files(raw, sources)

    configs: dict[str, list[dict[str, Any]]] = {}
    mismatches: list[str] = []
    with _progress(progress) as bar:
        step = bar.add_task("building writing-bench", total=len(BENCH_SETS) + 2)
        for bs in BENCH_SETS:
            x = s.sets[bs.config]
            src = get_source(x.source, "test")
            bar.update(step, description=f"reading {bs.config} ({src.id})")
            examples = bench_examples(src, raw, bs.config, bs.task, intent=x.intent, min_score=x.min_score)
            if sample:
                examples = examples[: s.sample.rows_per_set]
            elif len(examples) != bs.size:
                mismatches.append(
                    f"{bs.config}: {len(examples)} rows from {raw / src.id}, "
                    f"the study's Table 2 has {bs.size}"
                )
            instruction = task_prompt(bs.task)
            configs[bs.config] = [
                {
                    "id": e.id,
                    "set": bs.config,
                    "task": bs.task,
                    "instruction": instruction,
                    "input": e.input,
                    "references": list(e.references),
                    "metric": bs.metric,
                    "m2": e.m2 if bs.metric in ("m2", "errant") else "",
                }
                for e in examples
            ]
            bar.advance(step)
        if mismatches and not allow_size_mismatch:
            raise WaHubError(
                "benchmark set sizes differ from the study's:\n  - "
                + "\n  - ".join(mismatches)
                + "\ncheck the raw files, or pass --allow-size-mismatch to build anyway"
            )
        configs["all"] = [r for bs in BENCH_SETS for r in configs[bs.config]]
        names = [bs.config for bs in BENCH_SETS] + ["all"]
        bar.update(step, description="hashing raw files")
        hashes = _raw_hashes(raw, sources)
        bar.advance(step)
        counts = {c: len(configs[c]) for c in names}
        n_refs = {bs.config: sorted({len(r["references"]) for r in configs[bs.config]}) for bs in BENCH_SETS}
        manifest = {
            "name": s.name,
            "kind": "benchmark",
            "version": version,
            "wa_hub_version": __version__,
            "builder": s.model_dump(),
            "sample": sample,
            "raw_files": hashes,
            "counts": counts,
            "references_per_row": n_refs,
            "size_mismatches": mismatches,
            "columns": list(BENCH_COLUMNS),
        }
        bar.update(step, description="writing Parquet")
        with atomic_dir(out, overwrite=overwrite) as tmp:
            for c in names:
                _write_parquet(
                    tmp / "data" / c / "test-00000-of-00001.parquet",
                    configs[c],
                    BENCH_COLUMNS,
                    {"references"},
                )
            write_json(tmp / "manifest.json", manifest)
            card = _render_card(
                "benchmark.md.j2",
                {
                    "front_matter": _front_matter(
                        names,
                        "test",
                        "all",
                        {
                            "pretty_name": s.pretty_name,
                            "language": ["en"],
                            "license": "other",
                            "license_name": "mixed-non-commercial",
                            "task_categories": ["text-generation"],
                            "tags": [
                                "writing-assistance",
                                "grammatical-error-correction",
                                "simplification",
                                "wa-hub",
                            ],
                            "size_categories": [_size_category(counts["all"])],
                        },
                    ),
                    "sets": [
                        {
                            "set": bs,
                            "rows": counts[bs.config],
                            "refs": n_refs[bs.config],
                            "source": get_source(s.sets[bs.config].source, "test"),
                            "instruction": task_prompt(bs.task),
                        }
                        for bs in BENCH_SETS
                    ],
                    "sources": sources,
                    "version": version,
                    "sample": sample,
                    "counts": counts,
                    "mismatches": mismatches,
                    "wa_hub_version": __version__,
                    "paper_rows": _paper_rows(),
                },
            )
            (tmp / "README.md").write_text(card, encoding="utf-8")
        bar.advance(step)
    return Path(out)


def _paper_rows() -> list[dict[str, Any]]:
    """The study's Table 3 rows (wa_hub.paper.PAPER_ROWS) when that module exists, for the card."""
    try:
        from wa_hub.paper import PAPER_ROWS  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    return list(PAPER_ROWS)
