"""Commands: `sources list|fetch`, `build-data`, `build-bench` (the data side of wa-hub)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wa_hub.cli._app import app, console, user_errors

if TYPE_CHECKING:
    from wa_hub.sources.registry import Source

# Options that build-data and build-bench share, defined once.
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace OUT if it exists.")]
Push = Annotated[str | None, typer.Option("--push", help="After building, publish to ORG/NAME at vVERSION.")]
HubDir = Annotated[
    Path | None,
    typer.Option("--hub-dir", help="With --push: a local git hub folder instead of the Hugging Face Hub."),
]
Private = Annotated[bool, typer.Option("--private", help="With --push: create the repo private.")]
Gated = Annotated[
    bool, typer.Option("--gated", help="With --push: people must ask for access (see `wa-hub push --help`).")
]

sources_app = typer.Typer(help="The raw-source registry: list sources, fetch the downloadable ones.")
app.add_typer(sources_app, name="sources")


@sources_app.command("list")
@user_errors
def sources_list(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
    raw_dir: Path | None = typer.Option(
        None, "--raw-dir", help="Also show which files are present under RAW (one folder per source id)."
    ),
) -> None:
    """Every raw source: id, task, role (train/generic/test), files, format, licence; below the table each
    source's URL, citation and files with their pinned sha256."""
    from wa_hub.sources.registry import SOURCES

    rows = []
    for s in SOURCES:
        obj = s.to_json()
        if raw_dir is not None:
            obj["present"] = all(p.is_file() for p in s.paths(raw_dir))
        rows.append(obj)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title="wa-hub raw sources", show_lines=True)
    table.add_column("id", no_wrap=True)
    for col in ["role", "task", "files", "format", "get", "licence"]:
        table.add_column(col, overflow="fold")
    if raw_dir is not None:
        table.add_column("present")
    for s, obj in zip(SOURCES, rows, strict=True):
        files = obj["files"]
        assert isinstance(files, list)
        shown = "\n".join(files) if len(files) <= 3 else f"{files[0]}\n... ({len(files)} files)"
        cells = [
            s.id,
            s.role,
            ", ".join(s.tasks),
            shown,
            s.format,
            "manual" if s.manual else "fetch",
            s.license,
        ]
        if raw_dir is not None:
            cells.append("yes" if obj["present"] else "no")
        table.add_row(*cells)
    console.print(table)
    _source_details(SOURCES)


def _source_details(sources: Sequence[Source]) -> None:
    """Below the table, each source's URL, citation and files (where from, pinned sha256) whole, one item a
    line: table cells would break them."""
    typer.echo("")
    for s in sources:
        typer.echo(f"{s.key}  {s.name}  {s.url}")
        typer.echo(f"  licence: {s.license}" + (f" ({s.license_url})" if s.license_url else ""))
        typer.echo(f"  citation: {' '.join(s.citation.split())}")
        for f in s.files:
            if f.sha256:
                pinned = f"sha256 {f.sha256}"
            else:
                pinned = (
                    "not pinned" if s.manual else "sha256 recorded on first fetch (RAW/sources.lock.json)"
                )
            where = f"from {f.origin}" if f.origin else "by hand" if s.manual else ""
            typer.echo(f"  {s.id}/{f.name}  {pinned}" + (f"  {where}" if where else ""))


@sources_app.command("fetch")
@user_errors
def sources_fetch(
    ids: list[str] = typer.Argument(None, help="Source ids to fetch (default: every downloadable source)."),
    raw_dir: Path = typer.Option(
        Path("raw"), "--raw-dir", help="Where raw files go: RAW/<source id>/<file>."
    ),
    role: list[str] = typer.Option(
        None, "--role", help="Only sources of this role (train, generic, test); repeatable."
    ),
    force: bool = typer.Option(False, "--force", help="Download again even when the file is present."),
) -> None:
    """Download the downloadable raw sources, verify their sha256, and say how to get the others by hand.

    Pinned checksums must match; the others are recorded in RAW/sources.lock.json on first download and
    checked on later runs (trust on first use).
    """
    from wa_hub.errors import WaHubError
    from wa_hub.fetch import FetchFailed, fetch_sources
    from wa_hub.sources.registry import select_sources

    try:
        report = fetch_sources(raw_dir, select_sources(ids or None, role or None), force=force, progress=True)
    except FetchFailed as e:  # the report (manual steps included) first, then a one-line error
        for line in e.report.lines():
            typer.echo(line)
        raise WaHubError(
            f"{len(e.report.failed)} raw file(s) could not be fetched (offline? behind a proxy?); each is "
            "listed above with what to download by hand"
        ) from None
    for line in report.lines():
        typer.echo(line)


@app.command("build-data")
@user_errors
def build_data_cmd(
    raw_dir: Path | None = typer.Option(
        None, "--raw-dir", help="Raw files, one folder per source id (see `wa-hub sources list`)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Output folder.",
        show_default="build/writing-instruct, or build/writing-instruct-sample",
    ),
    version: str = typer.Option("1.0.0", "--version", help="Dataset version X.Y.Z (tag vX.Y.Z when pushed)."),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed for row selection.", show_default="the spec's, 42"
    ),
    per_task: int | None = typer.Option(
        None,
        "--per-task",
        help="Rows per writing task.",
        show_default="10000; --sample: the spec's sample counts",
    ),
    generic: int | None = typer.Option(
        None, "--generic", help="Rows of generic (Alpaca) data, a seeded subset.", show_default="all"
    ),
    sample: bool = typer.Option(
        False, "--sample", help="Build from the small sample raw files shipped with wa-hub (no data needed)."
    ),
    spec: str = typer.Option(
        "writing-instruct", "--spec", help="Builder spec: a name in builders/ or a path."
    ),
    bench: Path | None = typer.Option(
        None,
        "--bench",
        help="A build-bench folder to check train/test overlap against (default: the benchmark's raw "
        "sources, when the raw dir has them).",
    ),
    overwrite: Overwrite = False,
    push: Push = None,
    hub_dir: HubDir = None,
    private: Private = False,
    gated: Gated = False,
) -> None:
    """Build the writing instruction dataset (Parquet + card + manifest), ready for the Hub."""
    from wa_hub.build import build_data, default_out

    _check_push(push, hub_dir, private or gated)
    target = out or default_out("data", sample)
    path = build_data(
        raw_dir,
        target,
        version=version,
        seed=seed,
        per_task=per_task,
        generic=generic,
        sample=sample,
        overwrite=overwrite,
        spec=spec,
        progress=True,
        bench=bench,
    )
    _summary(path)
    if push:
        _push(path, push, version, hub_dir, private, gated)


@app.command("build-bench")
@user_errors
def build_bench_cmd(
    raw_dir: Path | None = typer.Option(
        None, "--raw-dir", help="Raw files, one folder per source id (see `wa-hub sources list`)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Output folder.",
        show_default="build/writing-bench, or build/writing-bench-sample",
    ),
    version: str = typer.Option(
        "1.0.0", "--version", help="Benchmark version X.Y.Z (tag vX.Y.Z when pushed)."
    ),
    sample: bool = typer.Option(
        False, "--sample", help="Build from the sample raw files shipped with wa-hub (8 rows per set)."
    ),
    allow_size_mismatch: bool = typer.Option(
        False, "--allow-size-mismatch", help="Build even when a set's size differs from the study's Table 2."
    ),
    spec: str = typer.Option("writing-bench", "--spec", help="Builder spec: a name in builders/ or a path."),
    overwrite: Overwrite = False,
    push: Push = None,
    hub_dir: HubDir = None,
    private: Private = False,
    gated: Gated = False,
) -> None:
    """Build the study's ten test sets as one benchmark dataset (a config per set, plus `all`)."""
    from wa_hub.build import build_bench, default_out

    _check_push(push, hub_dir, private or gated)
    target = out or default_out("bench", sample)
    path = build_bench(
        raw_dir,
        target,
        version=version,
        sample=sample,
        allow_size_mismatch=allow_size_mismatch,
        overwrite=overwrite,
        spec=spec,
        progress=True,
    )
    _summary(path)
    if push:
        _push(path, push, version, hub_dir, private, gated)


def _check_push(push: str | None, hub_dir: Path | None, private: bool) -> None:
    from wa_hub.errors import UsageError

    if push is None:
        if hub_dir is not None or private:
            raise UsageError("--hub-dir, --private and --gated only apply with --push ORG/NAME")
        return
    from wa_hub.hub.backend import check_repo_id

    check_repo_id(push, "--push")


def _summary(path: Path) -> None:
    from wa_hub.schema import BenchManifest, load_manifest

    manifest = load_manifest(path)
    counts = ", ".join(f"{k} {v:,}" for k, v in manifest.counts.items())
    typer.echo(f"wrote {path} (v{manifest.version}): {counts}")
    notes = manifest.size_mismatches if isinstance(manifest, BenchManifest) else manifest.warnings
    for w in notes:
        typer.echo(f"warning: {w}")


def _push(path: Path, repo: str, version: str, hub_dir: Path | None, private: bool, gated: bool) -> None:
    from wa_hub.hub import push as hub_push

    info = hub_push(path, repo, version=version, hub_dir=hub_dir, private=private, gated=gated)
    console.print(
        f"pushed {path} to {info.get('url', repo)} (tag {info.get('tag')})", highlight=False, markup=False
    )
