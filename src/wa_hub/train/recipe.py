"""Training recipes: a pydantic schema, YAML loading, and `--set key=value` overrides.

A recipe is the whole description of one training run of the study (model, data, LoRA, optimisation,
launcher). Unknown keys are errors that name the key and the file, so a typo never silently falls back to
a default.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wa_hub.errors import MalformedInputError, UsageError
from wa_hub.fileio import read_yaml


class _Strict(BaseModel):
    """Unknown keys are errors, and so are inf and nan (`learning_rate: .inf` would pass `gt=0`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _known_to_transformers(value: str, what: str, module: str, enum: str) -> str:
    """`value` is one of the names of a transformers enum (checked where transformers is installed)."""
    if importlib.util.find_spec("transformers") is None:
        return value
    names = [m.value for m in getattr(importlib.import_module(module), enum)]
    if value not in names:
        raise ValueError(f"unknown {what} {value!r}; transformers knows {', '.join(names)}")
    return value


class ModelSpec(_Strict):
    name: str = Field(description="Hub id of the base model (what the study used); recorded in run.json")
    path: str | None = Field(
        default=None, description="local override: a dir, or a wa-hub model source such as tiny:llama"
    )
    revision: str | None = None
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    attn_implementation: str | None = None

    @property
    def source(self) -> str:
        """The model source string to load (wa_hub.models.resolve_source understands it)."""
        return self.path or self.name


class DataSpec(_Strict):
    path: str = Field(description="a `wa-hub build-data` folder or a Hub dataset id")
    config: str | None = "mixed"
    revision: str | None = None
    split: str = "train"
    max_samples: int | None = Field(
        default=None, ge=1, description="use only the first N rows (demos, tests)"
    )
    cutoff_len: int = Field(default=256, ge=8, description="tokens per example; longer rows are truncated")
    train_on_inputs: bool = False
    packing: bool = False


class LoraSpec(_Strict):
    r: int = Field(default=8, ge=1)
    alpha: int = 16
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    bias: Literal["none", "all", "lora_only"] = "none"


def _default_report_to() -> list[Literal["tensorboard", "wandb"]]:
    return ["tensorboard"]


class TrainingSpec(_Strict):
    global_batch_size: int = Field(
        default=128, ge=1, description="= per_device_batch_size * grad_accum * world size"
    )
    per_device_batch_size: int = Field(default=4, ge=1)
    num_epochs: float = Field(default=3.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="optimizer steps; overrides num_epochs")
    learning_rate: float = Field(default=3e-4, gt=0)
    lr_scheduler: str = "linear"
    warmup_steps: int = Field(default=0, ge=0)
    warmup_ratio: float | None = Field(default=None, ge=0, lt=1)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optim: str = "adamw_torch"
    bf16: bool = False
    fp16: bool = False
    gradient_checkpointing: bool = False
    logging_steps: int = Field(default=10, ge=1)
    save_steps: int = Field(default=200, ge=1)
    save_total_limit: int | None = Field(default=3, ge=1)
    seed: int = 42
    report_to: list[Literal["tensorboard", "wandb"]] = Field(default_factory=_default_report_to)
    verify_saves: bool = True

    @field_validator("lr_scheduler")
    @classmethod
    def _scheduler(cls, value: str) -> str:
        return _known_to_transformers(value, "lr_scheduler", "transformers.trainer_utils", "SchedulerType")

    @field_validator("optim")
    @classmethod
    def _optimizer(cls, value: str) -> str:
        return _known_to_transformers(value, "optim", "transformers.training_args", "OptimizerNames")

    @model_validator(mode="after")
    def _one_precision(self) -> TrainingSpec:
        if self.bf16 and self.fp16:
            raise ValueError("bf16 and fp16 are both true; choose one")
        if self.warmup_ratio is not None and self.warmup_steps:
            raise ValueError("set warmup_steps or warmup_ratio, not both")
        return self


class LaunchSpec(_Strict):
    launcher: Literal["ddp", "fsdp", "deepspeed-zero3"] = "ddp"
    num_gpus: int | None = Field(default=None, ge=0, description="GPUs to use; default: all visible")


class Recipe(_Strict):
    name: str
    description: str = ""
    paper_row: str | None = Field(
        default=None, description="the study's Table 3 row this recipe reproduces (a row of wa_hub.paper)"
    )
    method: Literal["lora", "full"]
    model: ModelSpec
    data: DataSpec
    lora: LoraSpec | None = None
    training: TrainingSpec = Field(default_factory=lambda: TrainingSpec())
    launch: LaunchSpec = Field(default_factory=lambda: LaunchSpec())
    output_dir: str | None = Field(default=None, description="default: runs/<name>")

    @field_validator("paper_row")
    @classmethod
    def _a_study_row(cls, v: str | None) -> str | None:
        from wa_hub.paper import TABLE3

        if v is not None and v not in {r["name"] for r in TABLE3.rows}:
            raise ValueError(
                f"not a row of the study's Table 3 ({'; '.join(r['name'] for r in TABLE3.rows)})"
            )
        return v

    @model_validator(mode="after")
    def _lora_matches_method(self) -> Recipe:
        if self.method == "lora" and self.lora is None:
            self.lora = LoraSpec()
        if self.method == "full" and self.lora is not None:
            raise ValueError("method is 'full' but a `lora:` section is given; remove it or use method: lora")
        return self

    def resolved(self) -> dict[str, Any]:
        """The recipe as a plain dict with every default filled in (what run.json records)."""
        return self.model_dump(mode="json")


def recipes_dir() -> Path:
    from wa_hub.resources import resource

    return resource("recipes")


def shipped_recipes() -> list[str]:
    """Names of the recipes in recipes/*.yaml."""
    return sorted(p.stem for p in recipes_dir().glob("*.yaml"))


def find_recipe(name_or_path: str) -> Path:
    """A recipe file from a path or a shipped recipe name (`lora-7b`)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise UsageError(f"recipe file {p} does not exist")
        return p
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name_or_path):
        raise UsageError(f"{name_or_path!r} is neither a recipe file nor a recipe name")
    shipped = recipes_dir() / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise UsageError(
            f"no recipe named {name_or_path!r}; shipped recipes: {', '.join(shipped_recipes())} "
            "(or pass a path to a .yaml file)"
        )
    return shipped


def parse_override(item: str) -> tuple[list[str], Any]:
    """`training.learning_rate=1e-4` -> (["training", "learning_rate"], 0.0001); values are YAML scalars."""
    if "=" not in item:
        raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. --set training.max_steps=10")
    key, _, raw = item.partition("=")
    key = key.strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
        raise UsageError(f"--set {item!r}: {key!r} is not a dotted key such as data.path")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        raise UsageError(f"--set {item!r}: the value is not valid YAML ({e})") from None
    return key.split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of the raw recipe dict with each `--set` applied (validation happens afterwards)."""
    out = copy.deepcopy(raw)
    for item in overrides:
        keys, value = parse_override(item)
        node = out
        for k in keys[:-1]:
            if node.get(k) is None:
                node[k] = {}
            if not isinstance(node[k], dict):
                raise UsageError(f"--set {item!r}: {k!r} is not a section")
            node = node[k]
        node[keys[-1]] = value
    return out


def _explain(e: ValidationError, where: str) -> str:
    """Every problem of a recipe, on one line: `FILE: invalid recipe: unknown key 'x'; lora.r: ...`."""
    problems = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key {loc!r} (check the spelling; see recipes/README.md)")
        elif err["type"] == "missing":
            problems.append(f"missing key {loc!r}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{loc or '(recipe)'}: {msg} (got {err.get('input')!r})")
    return f"{where}: invalid recipe: " + "; ".join(problems)


def load_recipe(name_or_path: str | Path, overrides: list[str] | None = None) -> tuple[Recipe, Path]:
    """Read, override and validate a recipe; returns it with the file it came from."""
    path = find_recipe(str(name_or_path))
    raw = read_yaml(path, "a recipe")
    if not isinstance(raw, dict):
        raise MalformedInputError(path, 1, "a YAML mapping (name, method, model, data, ...)")
    raw.setdefault("name", path.stem)
    raw = apply_overrides(raw, list(overrides or []))
    try:
        recipe = Recipe.model_validate(raw)
    except ValidationError as e:
        where = str(path) + (f" (with --set {' '.join(overrides)})" if overrides else "")
        raise UsageError(_explain(e, where)) from None
    return recipe, path
