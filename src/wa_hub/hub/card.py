"""Model cards (template `cards/model.md.j2`) and their metadata; the version stamp on dataset cards.

Metadata is huggingface_hub's `ModelCardData` with the evaluation results as `model-index` (`EvalResult`,
dataset type = the benchmark's repo id, config = the set, split `test`, revision), so `ModelCard.load` and
the Hub read them back; the same scores also go to `.eval_results/*.yaml` (`EvalResultEntry`), the Hub's
newer format that feeds benchmark leaderboards.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from wa_hub import __version__
from wa_hub.errors import UsageError
from wa_hub.hub.backend import REPO_ID
from wa_hub.prompts import PROMPT_INPUT, TASK_PROMPTS, format_prompt
from wa_hub.study import BENCH_SETS

CITATION = """@article{zhang2023multitask,
  title   = {Multi-Task Instruction Tuning of {LLaMA} for Specific Scenarios:
             A Preliminary Study on Writing Assistance},
  author  = {Zhang, Yue and Cui, Leyang and Cai, Deng and Huang, Xinting and Fang, Tao and Bi, Wei},
  journal = {arXiv preprint arXiv:2305.13225},
  year    = {2023}
}"""

# Base model licences we know (first matching prefix); anything else is named as "the base model's licence".
BASE_LICENSES: tuple[tuple[str, str], ...] = (
    ("meta-llama/Llama-2", "Llama 2 Community License (`llama2`)"),
    ("meta-llama/", "the Meta Llama license of the base model"),
    ("huggyllama/", "the LLaMA (v1) research license: non-commercial"),
    ("HuggingFaceTB/SmolLM2", "Apache 2.0 (`apache-2.0`)"),
    ("tiny:", "Apache 2.0 (wa-hub's tiny random test model)"),
)

VERSION_START, VERSION_END = "<!-- wa-hub:version -->", "<!-- /wa-hub:version -->"

METRIC_NAMES = {"m2": "M2", "errant": "ERRANT", "gleu": "GLEU", "sari": "SARI"}


def split_ref(ref: str, what: str) -> tuple[str, str | None]:
    """`ORG/NAME[@REVISION]` -> (repo, revision)."""
    repo, _, rev = ref.partition("@")
    if not REPO_ID.match(repo):
        raise UsageError(f"{what} {ref!r}: expected ORG/NAME or ORG/NAME@REVISION")
    return repo, rev or None


def is_repo_id(value: str | None) -> bool:
    """A Hub id (`org/name`), not a local path or a `tiny:`/`package:` source."""
    return bool(value) and bool(REPO_ID.match(str(value))) and not Path(str(value)).exists()


# --- dataset cards ------------------------------------------------------------------------------------


def dataset_configs(readme: str) -> list[str]:
    """Config names from the card's YAML front matter (`configs:`), in order."""
    m = re.match(r"\A---\n(.*?)\n---\n", readme, flags=re.S)
    if not m:
        return []
    meta = yaml.safe_load(m.group(1)) or {}
    return [c["config_name"] for c in meta.get("configs", []) if isinstance(c, dict) and "config_name" in c]


def version_block(repo: str, version: str, tag: str, configs: list[str]) -> str:
    preferred = [c for c in ("mixed", "all") if c in configs] + configs
    config = preferred[0] if preferred else None
    call = f'load_dataset("{repo}"' + (f', "{config}"' if config else "") + f', revision="{tag}")'
    return (
        f"{VERSION_START}\n"
        f'**Version {version}** of `{repo}`. Pin it with `revision="{tag}"`: versions are immutable '
        f"(the tag `{tag}` is never moved; a new version gets a new tag), "
        "so this loads exactly these files:\n\n"
        f"```python\nfrom datasets import load_dataset\n\nds = {call}\n```\n"
        f"{VERSION_END}"
    )


def stamp_dataset_card(readme: str, repo: str, version: str, tag: str, name: str | None = None) -> str:
    """The dataset card with its version and the revision to pin, known only now that the repo is chosen.

    The block goes between the card's `<!-- wa-hub:version -->` `<!-- /wa-hub:version -->` markers if it
    has them, else right after its title (or front matter). The builders' placeholder repo id
    `ORG/<name>` in the card's snippets becomes the real one.
    """
    if name:
        readme = readme.replace(f"ORG/{name}", repo)
    block = version_block(repo, version, tag, dataset_configs(readme))
    if VERSION_START in readme and VERSION_END in readme:
        head, rest = readme.split(VERSION_START, 1)
        _, tail = rest.split(VERSION_END, 1)
        return head + block + tail
    front = re.match(r"\A---\n.*?\n---\n", readme, flags=re.S)
    at = front.end() if front else 0
    title = re.compile(r"^# .*\n", flags=re.M).search(readme, at)
    if title and not readme[at : title.start()].strip():
        at = title.end()
    return readme[:at] + "\n" + block + "\n\n" + readme[at:].lstrip("\n")


# --- model cards --------------------------------------------------------------------------------------


def base_model_id(base: dict[str, Any]) -> str | None:
    """The base model's Hub id for `base_model:` metadata (None for local dirs and test models)."""
    from wa_hub.models import SMOLLM2_HUB_ID, SMOLLM2_SOURCE

    if base.get("source") == SMOLLM2_SOURCE:
        return SMOLLM2_HUB_ID
    for key in ("name", "source"):
        if is_repo_id(base.get(key)):
            return str(base[key])
    return None


def base_license(base: dict[str, Any]) -> str:
    names = [str(base.get("source", "")), str(base.get("name", "")), base_model_id(base) or ""]
    for prefix, text in BASE_LICENSES:
        if any(n.startswith(prefix) for n in names):
            return text
    return "the base model's own licence (check its model card)"


def bench_ref(result: dict[str, Any], override: str | None, source: str) -> tuple[str, str | None]:
    """(benchmark repo id, revision) of a results.json, or a UsageError when it only names a local folder."""
    if override:
        return split_ref(override, "--bench-repo")
    bench = result.get("bench") or {}
    pid = bench.get("path_or_id")
    if is_repo_id(pid):
        return str(pid), bench.get("revision")
    raise UsageError(
        f"{source}: the benchmark was {pid!r}, a local folder, but a model card's results must name the "
        "published benchmark; pass --bench-repo ORG/NAME@vX.Y.Z (where that benchmark folder was pushed)"
    )


def eval_results(results: list[dict[str, Any]], benches: list[tuple[str, str | None]]) -> list[Any]:
    """`EvalResult`s (model-index) for every scored set: the headline score, plus P/R for M2 and ERRANT."""
    from huggingface_hub import EvalResult

    out = []
    many = len(results) > 1
    for result, (bench_id, bench_rev) in zip(results, benches, strict=True):
        decoding = (result.get("decoding") or {}).get("name", "")
        suffix = f" ({decoding})" if many and decoding else ""
        for s in BENCH_SETS:
            scores = (result.get("sets") or {}).get(s.config)
            if not scores or scores.get("score") is None:
                continue
            common: dict[str, Any] = dict(
                task_type="text-generation",
                task_name=s.task.capitalize(),
                dataset_type=bench_id,
                dataset_name=s.name,
                dataset_config=s.config,
                dataset_split="test",
                dataset_revision=bench_rev,
            )
            label = METRIC_NAMES[s.metric]
            if s.metric in ("m2", "errant"):
                metrics = [("f0.5", f"{label} F0.5", scores.get("f0.5", scores["score"]))]
                metrics += [(k, f"{label} {k}", scores[k]) for k in ("precision", "recall") if k in scores]
            else:
                metrics = [(s.metric, label, scores["score"])]
            for mtype, mname, value in metrics:
                out.append(
                    EvalResult(
                        metric_type=mtype, metric_name=mname + suffix, metric_value=float(value), **common
                    )
                )
    return out


def eval_results_files(
    results: list[dict[str, Any]], benches: list[tuple[str, str | None]]
) -> dict[str, bytes]:
    """`.eval_results/<benchmark>[-<decoding>].yaml`: one entry per scored set (task_id = its config)."""
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    files: dict[str, bytes] = {}
    for result, (bench_id, bench_rev) in zip(results, benches, strict=True):
        decoding = (result.get("decoding") or {}).get("name") or "default"
        entries = [
            EvalResultEntry(
                dataset_id=bench_id,
                task_id=s.config,
                value=float(result["sets"][s.config]["score"]),
                dataset_revision=bench_rev,
                date=result.get("created"),
                notes=f"{METRIC_NAMES[s.metric]}; decoding: {decoding}",
            )
            for s in BENCH_SETS
            if (result.get("sets") or {}).get(s.config, {}).get("score") is not None
        ]
        if not entries:
            continue
        name = bench_id.split("/")[-1] + ("" if len(results) == 1 else f"-{decoding}")
        text = yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False, allow_unicode=True)
        files[f".eval_results/{name}.yaml"] = text.encode()
    return files


def _duration(seconds: Any) -> str | None:
    if not isinstance(seconds, (int, float)):
        return None
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h {m:02d}m {sec:02d}s" if h else f"{m}m {sec:02d}s"


def _hardware(hw: Any) -> str | None:
    if isinstance(hw, dict):
        parts = [
            f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in hw.items()
            if v not in (None, [], "")
        ]
        return "; ".join(parts) or None
    return str(hw) if hw else None


def _git_commit(gc: Any, dirty: Any = None) -> str | None:
    """`sha` (+ a note when the checkout had uncommitted changes); run.json has it as a string or a dict."""
    if isinstance(gc, dict):
        gc, dirty = gc.get("commit") or gc.get("sha"), gc.get("dirty", dirty)
    if not gc:
        return None
    return f"`{gc}`" + (" (with uncommitted changes)" if dirty else "")


def _base_expr(base: dict[str, Any]) -> tuple[str, str]:
    """(python expression for the base model path, import line it needs)."""
    hub_id = base_model_id(base)
    source = str(base.get("source", ""))
    if source.startswith(("tiny:", "package:")):
        return f'resolve_source("{source}")', "from wa_hub.models import resolve_source\n"
    return f'"{hub_id or source}"', ""


def render_model_card(
    run: dict[str, Any],
    repo: str,
    version: str,
    tag: str,
    *,
    merged: bool,
    results: list[dict[str, Any]],
    benches: list[tuple[str, str | None]],
    result_names: list[str],
    dataset: tuple[str | None, str | None],
) -> str:
    """README.md of a model repo: YAML metadata (ModelCardData) + the body from `cards/model.md.j2`."""
    import jinja2
    from huggingface_hub import ModelCardData

    from wa_hub.resources import resource

    base = run.get("base_model") or {}
    adapter = run.get("method") == "lora" and not merged
    base_id = base_model_id(base)
    dataset_id, dataset_rev = dataset
    evals = eval_results(results, benches)
    table = None
    paper_rows = False
    if results:
        from wa_hub.paper import PAPER_ROWS
        from wa_hub.report import render_table

        paper_rows = bool(PAPER_ROWS)
        table = render_table(results, names=result_names, with_paper=True, fmt="markdown")
    tags = ["wa-hub", "writing-assistance", "grammatical-error-correction", "text-simplification", "alpaca"]
    tags += ["lora", "peft"] if adapter else []
    card_data = ModelCardData(
        model_name=repo if evals else None,
        base_model=base_id,
        datasets=[dataset_id] if dataset_id else None,
        library_name="peft" if adapter else "transformers",
        pipeline_tag="text-generation",
        language=["en"],
        license="cc-by-nc-4.0",
        tags=tags,
        eval_results=evals or None,
    )
    base_expr, base_import = _base_expr(base)
    recipe = run.get("recipe") or {}
    example = format_prompt(TASK_PROMPTS["grammaticality"], "She go to school every day .")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    template = env.from_string(resource("cards", "model.md.j2").read_text(encoding="utf-8"))
    benches_shown = sorted({f"`{b}`" + (f" @ `{r}`" if r else "") for b, r in benches})
    return template.render(
        card_data=card_data.to_yaml(),
        repo=repo,
        version=version,
        tag=tag,
        adapter=adapter,
        merged=merged,
        method=run.get("method"),
        base=base,
        base_id=base_id,
        base_expr=base_expr,
        base_import=base_import,
        base_license=base_license(base),
        dataset=run.get("dataset") or {},
        dataset_id=dataset_id,
        dataset_revision=dataset_rev,
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True).rstrip() if recipe else "",
        hardware=_hardware(run.get("hardware")),
        wall_time=_duration(run.get("wall_time_s")),
        final_loss=run.get("final_loss"),
        seed=run.get("seed"),
        git_commit=_git_commit(run.get("git_commit"), run.get("git_dirty")),
        versions=run.get("versions") or {},
        merged_from=run.get("merged_from"),
        table=table,
        paper_rows=paper_rows,
        benches=benches_shown,
        decodings=[(r.get("decoding") or {}) for r in results],
        prompt_template=PROMPT_INPUT,
        example_prompt=repr(example),
        citation=CITATION,
        wa_hub_version=__version__,
        pushed=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    )
