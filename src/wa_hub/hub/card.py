"""Model cards: their Hub metadata and the values of `cards/model.md.j2` (rendered by `wa_hub.cards`).

Metadata is huggingface_hub's `ModelCardData` with the evaluation results as `model-index` (`EvalResult`,
dataset type = the benchmark's repo id, config = the set, split `test`, revision), so `ModelCard.load` and
the Hub read them back; the same scores also go to `.eval_results/*.yaml` (`EvalResultEntry`), the Hub's
newer format that feeds benchmark leaderboards. Inputs are the schema objects of `run.json`
(`schema.RunRecord`) and `results.json` (`schema.Results`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from wa_hub import __version__, schema
from wa_hub.errors import UsageError
from wa_hub.hub import backend
from wa_hub.metrics import get_metric
from wa_hub.prompts import PROMPT_INPUT, TASK_PROMPTS, format_prompt
from wa_hub.study import BENCH_SETS, BenchSet

REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")  # a tag, branch or commit sha

if TYPE_CHECKING:
    from huggingface_hub import EvalResult, ModelCard

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


def split_ref(ref: str, what: str) -> tuple[str, str | None]:
    """`ORG/NAME[@REVISION]` -> (repo, revision)."""
    repo, _, rev = ref.partition("@")
    if not backend.is_repo_id(repo) or (rev and not REVISION.fullmatch(rev)):
        raise UsageError(f"{what} {ref!r}: expected ORG/NAME or ORG/NAME@REVISION")
    return repo, rev or None


def is_repo_id(value: str | None) -> bool:
    """A Hub id (`org/name`), not a local path or a `tiny:`/`package:` source."""
    return bool(value) and backend.is_repo_id(str(value)) and not Path(str(value)).exists()


# --- model cards --------------------------------------------------------------------------------------


def base_model_id(base: schema.BaseModelRef) -> str | None:
    """The base model's Hub id for `base_model:` metadata (None for local dirs and test models)."""
    from wa_hub.models import SMOLLM2_HUB_ID, SMOLLM2_SOURCE

    if base.source == SMOLLM2_SOURCE:
        return SMOLLM2_HUB_ID
    return next((ref for ref in (base.name, base.source) if is_repo_id(ref)), None)


def base_license(base: schema.BaseModelRef) -> str:
    names = [base.source, base.name, base_model_id(base) or ""]
    for prefix, text in BASE_LICENSES:
        if any(n.startswith(prefix) for n in names):
            return text
    return "the base model's own licence (check its model card)"


@dataclass(frozen=True)
class BenchRef:
    """The published benchmark a results.json was scored on: repo id, the revision given, its commit sha."""

    repo: str
    revision: str | None
    sha: str | None = None  # resolved on the hub the push goes to


def bench_ref(result: schema.Results, override: str | None, source: str) -> BenchRef:
    """The benchmark of a results.json (or --bench-repo); a UsageError when it only names a local folder."""
    if override:
        return BenchRef(*split_ref(override, "--bench-repo"))
    if is_repo_id(result.bench.path_or_id):
        return BenchRef(result.bench.path_or_id, result.bench.revision)
    raise UsageError(
        f"{source}: the benchmark was {result.bench.path_or_id!r}, a local folder, but a model card's "
        "results must name the published benchmark; pass --bench-repo ORG/NAME@vX.Y.Z (where that "
        "benchmark folder was pushed)"
    )


@dataclass(frozen=True)
class Headline:
    """One set's published score: the entry of the headline results.json that scored it, and where it is."""

    set: BenchSet
    entry: schema.SetResult
    result: schema.Results
    bench: BenchRef
    source_url: str  # the results.json in the model repo


def is_partial(result: schema.Results, config: str) -> bool:
    """A set scored on part of its rows (`evaluate --limit`): not a score of the set."""
    entry = result.sets[config]
    return entry.n < entry.rows if entry.rows is not None else result.limit is not None


def headlines(
    results: list[schema.Results], benches: list[BenchRef], source_urls: list[str]
) -> list[Headline]:
    """One score per set, in the study's order: from the greedy results when they scored the whole set (the
    study's decoding), else from the first results file that did. A leaderboard lists each task once, and
    only scores of whole sets (a `--limit` run's are in the card's table, not here)."""
    out = []
    for s in BENCH_SETS:
        i = pick(results, s.config, whole=True)
        if i is not None:
            out.append(Headline(s, results[i].sets[s.config], results[i], benches[i], source_urls[i]))
    return out


def pick(results: list[schema.Results], config: str, *, whole: bool) -> int | None:
    """The results file a set's published score comes from: greedy first, then in the order given; `whole`:
    only files that scored every row of the set."""
    order = sorted(range(len(results)), key=lambda i: results[i].decoding.name != "greedy")
    found = [i for i in order if config in results[i].sets and not (whole and is_partial(results[i], config))]
    return found[0] if found else None


def _scored(result: schema.Results) -> list[tuple[Any, schema.SetResult]]:
    """(study set, its entry) for every set of the study that `result` scored, in the study's order."""
    return [(s, result.sets[s.config]) for s in BENCH_SETS if s.config in result.sets]


def _f_label(entry: schema.MetricResult) -> str:
    """`F0.5` for an F-score entry (from its own beta)."""
    return f"F{entry.beta:g}"


def _notes(h: Headline) -> str:
    """What the number is and how it was made: metric, decoding, tokenization, the wa-hub that scored it."""
    spec = get_metric(h.entry.metric)
    what = f"{spec.label} {_f_label(h.entry)}" if h.entry.f_beta is not None else spec.label
    how = f"decoding: {h.result.decoding.name}"
    how += f"; tokenize: {h.entry.tokenize}" if spec.tokenized else ""
    return f"{what}; {how}; wa-hub {h.result.wa_hub_version}"


def eval_results(rows: list[Headline]) -> list[EvalResult]:
    """`EvalResult`s (model-index, the legacy format): each headline score, plus P/R for F-score metrics."""
    from huggingface_hub import EvalResult

    out = []
    for h in rows:
        entry, label = h.entry, get_metric(h.entry.metric).label
        if entry.f_beta is not None:
            f = _f_label(entry)
            metrics = [(f.lower(), f"{label} {f}", entry.f_beta)]
            parts = (("precision", entry.precision), ("recall", entry.recall))
            metrics += [(k, f"{label} {k}", v) for k, v in parts if v is not None]
        else:
            metrics = [(entry.metric, label, entry.score)]
        for mtype, mname, value in metrics:
            out.append(
                EvalResult(
                    task_type="text-generation",
                    task_name=h.set.task.capitalize(),
                    dataset_type=h.bench.repo,
                    dataset_name=h.set.name,
                    dataset_config=h.set.config,
                    dataset_split="test",
                    dataset_revision=h.bench.sha,
                    metric_type=mtype,
                    metric_name=mname,
                    metric_value=float(value),
                    source_name="wa-hub results.json",
                    source_url=h.source_url,
                )
            )
    return out


def eval_results_files(rows: list[Headline]) -> dict[str, bytes]:
    """`.eval_results/<set>.yaml`, the Hub's format: one entry each, the benchmark repo at its commit sha,
    task_id = the set's config (a task of the benchmark's eval.yaml), the results file as its source."""
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    files: dict[str, bytes] = {}
    for h in rows:
        entry = EvalResultEntry(
            dataset_id=h.bench.repo,
            task_id=h.set.config,
            value=float(h.entry.score),
            dataset_revision=h.bench.sha,
            date=h.result.created,
            source_url=h.source_url,
            source_name="wa-hub results.json",
            notes=_notes(h),
        )
        text = yaml.safe_dump(eval_result_entries_to_yaml([entry]), sort_keys=False, allow_unicode=True)
        files[f".eval_results/{h.set.config}.yaml"] = text.encode()
    return files


def _bench_text(b: BenchRef) -> str:
    at = f"`{b.revision}`, commit `{b.sha}`" if b.revision and b.revision != b.sha else f"commit `{b.sha}`"
    return f"`{b.repo}` @ {at}" if b.sha else f"`{b.repo}`" + (f" @ `{b.revision}`" if b.revision else "")


def _headline_text(scores: list[Headline], results: list[schema.Results]) -> str | None:
    """Which decoding the metadata's scores come from, when there are several."""
    used = sorted({h.result.decoding.name for h in scores})
    if len(results) <= 1 or not used:
        return None
    return ", ".join(used)


def _metric_note(results: list[schema.Results]) -> str:
    """What the table's columns are, with the F-score's beta the results were scored with."""
    betas = sorted({e.beta for r in results for _, e in _scored(r) if e.beta is not None}) or [0.5]
    f = "/".join(f"F{b:g}" for b in betas)
    return f"CoNLL-2014: M2 {f}; BEA-2019 dev: ERRANT {f}; JFLEG: GLEU; the others: SARI"


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h {m:02d}m {sec:02d}s" if h else f"{m}m {sec:02d}s"


def _hardware(hw: schema.TrainHardware | None) -> str | None:
    if hw is None:
        return None
    parts = [
        f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in hw.model_dump().items()
        if v not in (None, [], "")
    ]
    return "; ".join(parts) or None


def _git_commit(run: schema.RunRecord) -> str | None:
    """`sha` (+ a note when the checkout had uncommitted changes)."""
    if not run.git_commit:
        return None
    return f"`{run.git_commit}`" + (" (with uncommitted changes)" if run.git_dirty else "")


def _base_expr(base: schema.BaseModelRef) -> tuple[str, str]:
    """(python expression for the base model path, import line it needs)."""
    if base.source.startswith(("tiny:", "package:")):
        return f'resolve_source("{base.source}")', "from wa_hub.models import resolve_source\n"
    return f'"{base_model_id(base) or base.source}"', ""


def study_row(run: schema.RunRecord) -> str | None:
    """The study's Table 3 row the run's recipe reproduces (`paper_row`); a run.json written before recipes
    named it takes the shipped recipe of the same name's."""
    from wa_hub.paper import TABLE3
    from wa_hub.train.recipe import load_recipe, shipped_recipes

    row = run.recipe.get("paper_row")
    if "paper_row" not in run.recipe and run.recipe.get("name") in shipped_recipes():
        row = load_recipe(run.recipe["name"])[0].paper_row
    return row if row in {r["name"] for r in TABLE3.rows} else None


def render_model_card(
    run: schema.RunRecord,
    repo: str,
    version: str,
    tag: str,
    *,
    merged: bool,
    results: list[schema.Results],
    benches: list[BenchRef],
    scores: list[Headline],
    result_names: list[str],
    dataset: tuple[str | None, str | None],
    details: str | None = None,
    template: Path | None = None,
) -> ModelCard:
    """README.md of a model repo: ModelCardData (with model-index) + the body from `cards/model.md.j2`
    (or the user's `template`, given the same values)."""
    from huggingface_hub import ModelCard, ModelCardData

    from wa_hub.cards import render

    adapter = run.method == "lora" and not merged
    base_id = base_model_id(run.base_model)
    dataset_id, dataset_rev = dataset
    evals = eval_results(scores)
    table = None
    paper_row = study_row(run)
    partial: list[str] = []
    with_ci = False
    error_types = None
    if results:
        from wa_hub.analysis import recorded_intervals
        from wa_hub.error_types import card_summary
        from wa_hub.report import distinct_names, partial_text, render_table

        intervals = [recorded_intervals(r) for r in results]
        table = render_table(
            results, names=result_names, with_paper=[paper_row] if paper_row else False, intervals=intervals
        )
        with_ci = any(intervals)
        error_types = card_summary(result_names, results)
        shown = distinct_names(result_names, results)
        partial = [f"{n}: {t}" for n, r in zip(shown, results, strict=True) if (t := partial_text(r))]
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
    base_expr, base_import = _base_expr(run.base_model)
    example = format_prompt(TASK_PROMPTS["grammaticality"], "She go to school every day .")
    recipe_yaml = (
        yaml.safe_dump(run.recipe, sort_keys=False, allow_unicode=True).rstrip() if run.recipe else ""
    )
    return render(
        ModelCard,
        template or "model.md.j2",
        card_data,
        repo=repo,
        version=version,
        tag=tag,
        adapter=adapter,
        merged=merged,
        method=run.method,
        base=run.base_model,
        base_id=base_id,
        base_expr=base_expr,
        base_import=base_import,
        base_license=base_license(run.base_model),
        dataset=run.dataset,
        dataset_id=dataset_id,
        dataset_revision=dataset_rev,
        recipe_yaml=recipe_yaml,
        hardware=_hardware(run.hardware),
        wall_time=_duration(run.wall_time_s),
        final_loss=run.final_loss,
        seed=run.seed,
        git_commit=_git_commit(run),
        versions=run.versions,
        merged_from=run.merged_from,
        table=table,
        paper_row=paper_row,
        recipe_name=run.recipe.get("name"),
        partial=partial,
        with_ci=with_ci,
        error_types=error_types,
        metric_note=_metric_note(results),
        benches=sorted({_bench_text(b) for b in benches}),
        headline=_headline_text(scores, results),
        details=details,
        decodings=[{k: v for k, v in r.decoding.identity().items() if v is not None} for r in results],
        prompt_template=PROMPT_INPUT,
        example_prompt=repr(example),
        citation=CITATION,
        wa_hub_version=__version__,
    )
