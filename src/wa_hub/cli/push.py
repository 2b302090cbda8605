"""Commands: push (datasets, adapters, merged checkpoints and model cards; to the Hub or a local git hub)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from wa_hub.cli._app import app, console, err_console, user_errors


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        style = "yellow" if record.levelno >= logging.WARNING else "dim"
        err_console.print(record.getMessage(), style=style, highlight=False, markup=False, soft_wrap=True)


@app.command("push")
@user_errors
def push_cmd(
    path: Path = typer.Argument(
        ..., help="A dataset folder (has manifest.json) or a training run dir (has run.json)."
    ),
    repo: str = typer.Option(
        ..., "--repo", help="Target repo ORG/NAME (a dataset repo for a dataset folder)."
    ),
    version: str | None = typer.Option(
        None,
        "--version",
        help="Run dirs: version X.Y.Z, tagged vX.Y.Z; immutable; default 1.0.0 for a new repo (required once "
        "the repo has versions). A dataset folder is pushed as the version it was built as (build-data "
        "--version): another version is another build.",
    ),
    hub_dir: Path | None = typer.Option(
        None,
        "--hub-dir",
        envvar="WA_HUB_DIR",
        help="Push to the local git hub in DIR (DIR/datasets/ORG/NAME, DIR/models/ORG/NAME) "
        "instead of the Hub.",
    ),
    private: bool = typer.Option(
        False, "--private", help="Create the Hub repo as private (the local hub has no visibility)."
    ),
    merged: bool = typer.Option(
        False, "--merged", help="Run dirs: merge the LoRA adapter into the base and push the full weights."
    ),
    results: list[Path] | None = typer.Option(
        None,
        "--results",
        help="Run dirs: a results.json from `wa-hub evaluate` for the model card (repeatable). "
        "Default: every results.json inside the run dir.",
    ),
    bench_repo: str | None = typer.Option(
        None,
        "--bench-repo",
        help="ORG/NAME or ORG/NAME@REVISION of the published benchmark, for results.json files "
        "that name a local benchmark folder.",
    ),
    dataset_repo: str | None = typer.Option(
        None,
        "--dataset-repo",
        help="ORG/NAME or ORG/NAME@REVISION of the published training data, for a run.json that "
        "names a local dataset folder.",
    ),
    details: bool = typer.Option(
        False,
        "--details",
        help="Run dirs: also publish every evaluated row (input, references, output, scored hypothesis, "
        "the row's score) as the dataset ORG/NAME-details, one config per set, at the same version.",
    ),
    gated: bool = typer.Option(
        False,
        "--gated",
        help="Dataset repos (and --details): people must ask for access and accept the terms; on the Hub "
        "the owner approves each request. Required for a build holding text whose licence forbids "
        "redistribution (W&I+LOCNESS).",
    ),
    allow_older: bool = typer.Option(
        False,
        "--allow-older",
        help="Push a version lower than the repo's highest: it is tagged, and main stays at the highest.",
    ),
    card_template: Path | None = typer.Option(
        None,
        "--card-template",
        help="Run dirs: your own Jinja file for the model card instead of the shipped cards/model.md.j2 "
        "(same variables; start from a copy of it).",
    ),
) -> None:
    """Publish a dataset folder or a run dir as one commit tagged vX.Y.Z, with its card.

    The Hub is reached through huggingface_hub (HF_ENDPOINT, HF_TOKEN or `hf auth login`).
    """
    from wa_hub.errors import require_train_extra
    from wa_hub.hub import push

    if merged:
        require_train_extra("push --merged")

    logger = logging.getLogger("wa_hub.hub")
    handler = _ConsoleHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        out = push(
            path,
            repo,
            version=version,
            hub_dir=hub_dir,
            private=private,
            merged=merged,
            results=list(results) if results else None,
            bench_repo=bench_repo,
            dataset_repo=dataset_repo,
            allow_older=allow_older,
            details=details,
            gated=gated,
            card_template=card_template,
        )
    finally:
        logger.removeHandler(handler)
    for pushed in ([out["details"]] if out.get("details") else []) + [out]:
        console.print(
            f"pushed {pushed['repo']} ({pushed['repo_type']}) {pushed['tag']} = commit {pushed['revision']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    console.print(
        f'  pin it with revision="{out["tag"]}"  ·  {out["url"]}',
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
