"""Every card wa-hub writes, rendered one way, and card front matter read back with huggingface_hub.

Four templates under `cards/`: `dataset.md.j2` (build-data), `benchmark.md.j2` (build-bench),
`model.md.j2` (`wa-hub push` of a run dir; its metadata and body values come from `wa_hub.hub.card`) and
`details.md.j2` (the details dataset of `push --details`, from its `details.json`).
`render(card_class, template, card_data, **values)` is the one rendering path for all of them.

Why not `RepoCard.from_template`: it renders with a bare `jinja2.Template`, so a misspelt or missing value
renders as nothing, and every `{% %}` line leaves a blank line behind. wa-hub renders all three templates
with ONE `jinja2.Environment` of its own (`StrictUndefined`: a missing value is an error, never a silently
empty card; `trim_blocks` + `lstrip_blocks`: block tags leave no blank lines; trailing newline kept) under
from_template's convention (the template gets `card_data`, the YAML of the card data object, and that
object's fields as variables), then hands the text to the card class (`DatasetCard` / `ModelCard`), which
parses the front matter back: what is written is exactly what `DatasetCard.load` and the Hub read.

A dataset card is a pure function of the folder's `manifest.json` and the repo it is published as:
`render_dataset_card(manifest)` at build time (its snippets load the local folder), and
`render_dataset_card(manifest, repo)` at push time (its snippets load `repo` at the version's tag). So is
a benchmark's `eval.yaml` (`eval_yaml`, the Hub's Benchmark declaration); `repo_files` gives both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wa_hub import schema
from wa_hub.errors import MalformedInputError, UsageError

if TYPE_CHECKING:
    import jinja2
    from huggingface_hub import CardData, DatasetCard, RepoCard

C = TypeVar("C", bound="RepoCard")

LICENSE_NAME = "mixed-non-commercial"  # the sources' terms combined (cc-by-nc, W&I+LOCNESS, share-alike)
DATA_TAGS = ["writing-assistance", "instruction-tuning", "alpaca", "wa-hub"]
BENCH_TAGS = ["writing-assistance", "grammatical-error-correction", "simplification", "wa-hub"]
LOCAL_FOLDER = "path/to/this/folder"  # what snippets load before the folder has a repo
EVALUATION_FRAMEWORK = "wa-hub"  # eval.yaml's `evaluation_framework`
LICENSE_FILE = "LICENSE.md"  # `license_link` of every dataset card (`license: other` needs one)
TASK_IDS = ["text-simplification"]  # the Hub's task ids that apply (text-generation's subtasks)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    from wa_hub.resources import resource

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource("cards"))),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(card_class: type[C], template: str | Path, card_data: CardData, **values: Any) -> C:
    """`cards/<template>` rendered with `card_data` (its YAML, and its fields as variables) and `values`.

    A Path is a user's own template (`push --card-template`): rendered the same way, its `{% include %}`s
    find its own folder first, then the shipped partials; its mistakes are one line naming the file."""
    context = {**card_data.to_dict(), **values, "card_data": card_data.to_yaml()}
    if isinstance(template, str):
        return card_class(_environment().get_template(template).render(**context))
    return card_class(_render_user_template(template, context))


def _render_user_template(path: Path, context: dict[str, Any]) -> str:
    import jinja2

    if not path.is_file():
        raise UsageError(f"card template {path} not found")
    base = _environment()
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(path.parent)), base.loader])  # type: ignore[list-item]
    try:
        return base.overlay(loader=loader).get_template(path.name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise MalformedInputError(e.filename or path, e.lineno, "a Jinja template", e.message) from None
    except jinja2.TemplateError as e:  # StrictUndefined: a variable the card does not have
        raise UsageError(
            f"{path}: {e.message}; a model card template gets {', '.join(sorted(context))}"
        ) from None


def read_card(path: str | Path, card_class: type[C]) -> C:
    """A README.md as a card, front matter parsed by huggingface_hub; bad YAML: one line naming the file."""
    import yaml

    from wa_hub.fileio import read_text

    text = read_text(path)
    try:
        return card_class(text)
    except (yaml.YAMLError, ValueError) as e:
        got = " ".join(str(e).split())
        raise MalformedInputError(
            path, None, "a YAML front matter mapping between `---` lines", got
        ) from None


def card_configs(readme: str | Path) -> dict[str, dict[str, list[str]]]:
    """`configs:` of a dataset card's front matter as `{config: {split: [file patterns]}}`, in order.

    Read the way `datasets` reads them (`MetadataConfigs`, `sanitize_patterns`: a bare pattern is the
    `train` split), so a folder loads here as `load_dataset(folder, config)` would load it.
    """
    from datasets.data_files import sanitize_patterns
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    data = read_card(readme, DatasetCard).data
    try:
        configs = MetadataConfigs.from_dataset_card_data(data)
        return {
            name: {split: list(p) for split, p in sanitize_patterns(c.get("data_files") or []).items()}
            for name, c in configs.items()
        }
    except (ValueError, TypeError) as e:
        got = " ".join(str(e).split())
        raise MalformedInputError(
            readme, None, "`configs:` entries with config_name and data_files", got
        ) from None


# --- dataset and benchmark cards ------------------------------------------------------------------------


def size_category(n: int) -> str:
    """The Hub's `size_categories` bucket of a row count."""
    for limit, name in [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ]:
        if n < limit:
            return name
    return "1M<n<10M"


def dataset_info(row_model: type[schema.Record], splits: dict[str, tuple[str, int]]) -> Any:
    """`dataset_info:` as `datasets` writes it (features from the row model's Arrow schema; per config its
    split and rows), without the byte sizes a manifest does not record."""
    import datasets
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from huggingface_hub import DatasetCardData

    features = datasets.Features.from_arrow_schema(schema.arrow_schema(row_model))
    infos = DatasetInfosDict(
        {
            config: DatasetInfo(
                features=features,
                splits=SplitDict({split: SplitInfo(split, num_examples=rows)}),
                config_name=config,
            )
            for config, (split, rows) in splits.items()
        }
    )
    holder = DatasetCardData()
    infos.to_dataset_card_data(holder)
    info = holder.to_dict()["dataset_info"]
    for entry in info if isinstance(info, list) else [info]:
        for split in entry.get("splits", []):
            split.pop("num_bytes", None)
        for key in ("download_size", "dataset_size"):
            entry.pop(key, None)
    return info


def source_datasets(sources: list[Any]) -> list[str]:
    """`source_datasets:`: `extended|<Hub id>` for sources on the Hub, else `extended|<registry id>`."""
    out = []
    for s in sources:
        hub = next((f.hub_repo for f in s.files if f.hub_repo), None)
        out.append(f"extended|{hub or s.id}")
    return list(dict.fromkeys(out))


def gating(sources: list[Any]) -> dict[str, Any]:
    """The access prompt of a gated dataset (`extra_gated_prompt` / `_fields`, as the Hub reads them)."""
    restricted = [s.name for s in sources if not s.redistribute]
    prompt = (
        "This dataset is for non-commercial research use only, under each source's licence (LICENSE.md)."
        + (
            f" {', '.join(restricted)} may not be redistributed: ask for access only if you hold the rights "
            "holders' licence for it."
            if restricted
            else ""
        )
    )
    fields: dict[str, str] = {
        "Affiliation": "text",
        "I will use it for non-commercial research only": "checkbox",
    }
    if restricted:
        fields[f"I hold the licence of {', '.join(restricted)}"] = "checkbox"
    return {"extra_gated_prompt": prompt, "extra_gated_fields": fields}


def restricted_sources(manifest: schema.Manifest) -> list[Any]:
    """Sources whose licence forbids redistribution, in a build of their real text (not a sample build)."""
    return [] if manifest.sample else [s for s in _sources(manifest) if not s.redistribute]


def dataset_card_data(manifest: schema.Manifest, gated: bool = False) -> Any:
    """The front matter: licence (+ `LICENSE.md`), tasks, sources, size, `dataset_info`, `configs:` (one per
    manifest config, its Parquet files) and, for a gated repo, its access prompt."""
    from huggingface_hub import DatasetCardData

    sources = _sources(manifest)
    row_model = schema.BenchRow if manifest.kind == "benchmark" else schema.InstructionRow
    return DatasetCardData(
        pretty_name=manifest.pretty_name or manifest.name,
        language=["en"],
        license="other",
        license_name=LICENSE_NAME,
        license_link=LICENSE_FILE,
        task_categories=["text-generation"],
        task_ids=TASK_IDS,
        tags=BENCH_TAGS if manifest.kind == "benchmark" else DATA_TAGS,
        size_categories=[size_category(max(manifest.counts.values(), default=0))],
        source_datasets=source_datasets(sources),
        dataset_info=dataset_info(row_model, {c.name: (c.split, c.rows) for c in manifest.configs}),
        configs=[
            {
                "config_name": c.name,
                "data_files": [{"split": c.split, "path": c.path_pattern}],
                **({"default": True} if c.default else {}),
            }
            for c in manifest.configs
        ],
        **(gating(sources) if gated else {}),
    )


def _default_config(manifest: schema.Manifest) -> schema.ConfigEntry:
    return next((c for c in manifest.configs if c.default), manifest.configs[0])


def _sources(manifest: schema.Manifest) -> list[Any]:
    """The registry entries of the sources the build read (`manifest.sources`: `<id>:<role>` keys)."""
    from wa_hub.sources.registry import get_source

    out = []
    for key in manifest.sources:
        source_id, _, role = key.partition(":")
        out.append(get_source(source_id, role))
    return out


def render_dataset_card(
    manifest: schema.Manifest, repo: str | None = None, gated: bool = False
) -> DatasetCard:
    """The README.md of a build-data or build-bench folder, from its manifest alone.

    `repo=None`: the folder as built (snippets load it from disk); `repo`: the card of version
    `manifest.version` of `repo`, pinned to its tag `v<version>`; `gated`: with the access prompt.
    """
    from huggingface_hub import DatasetCard

    from wa_hub.prompts import PROMPT_INPUT, PROMPT_NO_INPUT, task_prompt

    common = dict(
        m=manifest,
        repo=repo,
        load_from=repo or LOCAL_FOLDER,
        tag=f"v{manifest.version}",
        default=_default_config(manifest),
        sources=_sources(manifest),
        restricted=restricted_sources(manifest),
        gated=gated,
    )
    data = dataset_card_data(manifest, gated)
    if isinstance(manifest, schema.BenchManifest):
        from wa_hub.build import set_tokenize
        from wa_hub.paper import PAPER_ROWS
        from wa_hub.sources.registry import get_source
        from wa_hub.study import BENCH_SETS

        sets = [
            {
                "set": bs,
                "rows": manifest.counts.get(bs.config, 0),
                "refs": manifest.references_per_row.get(bs.config, []),
                "source": get_source(manifest.builder["sets"][bs.config]["source"], "test"),
                "instruction": task_prompt(bs.task),
                "tokenize": set_tokenize(manifest, bs.config),
            }
            for bs in BENCH_SETS
        ]
        return render(DatasetCard, "benchmark.md.j2", data, sets=sets, paper_rows=PAPER_ROWS, **common)
    return render(
        DatasetCard,
        "dataset.md.j2",
        data,
        task_prompts={t: task_prompt(t) for t in manifest.parts},
        prompt_input=PROMPT_INPUT,
        prompt_no_input=PROMPT_NO_INPUT,
        **common,
    )


def render_details_card(
    manifest: schema.DetailsManifest, repo: str, bench_tag: str | None, gated: bool = False
) -> DatasetCard:
    """README.md of a details dataset (`wa-hub push --details`): links to the model, the benchmark commit."""
    from huggingface_hub import DatasetCard, DatasetCardData, constants

    from wa_hub.metrics import get_metric

    data = DatasetCardData(
        pretty_name=f"Details of {manifest.model} v{manifest.version}",
        language=["en"],
        license="other",
        license_name=LICENSE_NAME,
        # the rows hold the benchmark's text: its card, at the commit they come from, states the terms
        license_link=f"{constants.ENDPOINT}/datasets/{manifest.bench}/blob/{manifest.bench_revision}/README.md",
        task_categories=["text-generation"],
        tags=["wa-hub", "evaluation", "details"],
        size_categories=[size_category(max((s.rows for s in manifest.sets.values()), default=0))],
        source_datasets=[f"extended|{manifest.bench}"],
        dataset_info=dataset_info(schema.DetailsRow, {c: ("test", s.rows) for c, s in manifest.sets.items()}),
        configs=[
            {"config_name": c, "data_files": [{"split": "test", "path": f"data/{c}/test-*.parquet"}]}
            for c in manifest.sets
        ],
        **(gating([]) if gated else {}),
    )
    labels = {c: get_metric(s.metric).label for c, s in manifest.sets.items()}
    return render(
        DatasetCard,
        "details.md.j2",
        data,
        m=manifest,
        repo=repo,
        bench_tag=bench_tag if bench_tag != manifest.bench_revision else None,
        first=next(iter(manifest.sets)),
        labels=labels,
        endpoint=constants.ENDPOINT,
    )


def eval_yaml(manifest: schema.BenchManifest) -> str:
    """`eval.yaml`, the Hub's declaration of a Benchmark dataset: one task per set (id = config, split test).

    Its `evaluation_framework` is wa-hub; results in model repos (`.eval_results/<set>.yaml`) name a task by
    its id. See docs/publishing.md for the Hub's allow-list.
    """
    import yaml

    from wa_hub.metrics import get_metric
    from wa_hub.study import BENCH_SETS

    sets = [bs for bs in BENCH_SETS if bs.config in manifest.counts]
    scored = "; ".join(f"{bs.name} ({bs.task}, {get_metric(bs.metric).label})" for bs in sets)
    spec = {
        "name": manifest.pretty_name or manifest.name,
        "description": (
            "The test sets of the Writing-Alpaca study (Zhang et al. 2023, Multi-Task Instruction Tuning of "
            f"LLaMA for Specific Scenarios, https://arxiv.org/abs/2305.13225): {scored}. Scores are 0-100, "
            "higher is better; `wa-hub evaluate MODEL --bench THIS_REPO` generates and scores every set."
            + (
                " A SAMPLE BUILD from wa-hub's sample raw files: not the real test sets."
                if manifest.sample
                else ""
            )
        ),
        "evaluation_framework": EVALUATION_FRAMEWORK,
        "tasks": [{"id": bs.config, "config": bs.config, "split": "test"} for bs in sets],
    }
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110)


def render_license(manifest: schema.Manifest) -> str:
    """LICENSE.md (the card's `license_link`): each source's licence, its link, whether copies may be made."""
    return (
        _environment()
        .get_template("license.md.j2")
        .render(m=manifest, sources=_sources(manifest), restricted=restricted_sources(manifest))
    )


def repo_files(manifest: schema.Manifest, repo: str | None = None, gated: bool = False) -> dict[str, str]:
    """The files of a dataset folder made from its manifest alone: the card, LICENSE.md, and a benchmark's
    eval.yaml."""
    files = {
        "README.md": str(render_dataset_card(manifest, repo, gated)),
        LICENSE_FILE: render_license(manifest),
    }
    if isinstance(manifest, schema.BenchManifest):
        files["eval.yaml"] = eval_yaml(manifest)
    return files


def write_dataset_card(folder: Path, repo: str | None = None) -> Path:
    """Render `folder/README.md` (and a benchmark's `eval.yaml`) from `folder/manifest.json` alone."""
    from wa_hub.fileio import atomic_write_text

    for name, text in repo_files(schema.load_manifest(folder), repo).items():
        atomic_write_text(folder / name, text)
    return folder / "README.md"
