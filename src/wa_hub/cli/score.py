"""Commands: `wa-hub score m2|errant|gleu|sari`, the official metrics on text files (one sentence a line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from wa_hub.cli._app import app, console, user_errors
from wa_hub.errors import UsageError

score_app = typer.Typer(
    help="Score a system output with the official metrics (0-100, as the study's tables print them).",
    no_args_is_help=True,
)
app.add_typer(score_app, name="score")

GOLD = typer.Option(..., "--gold", help="Gold M2 file (S line + A lines per sentence, blank line between).")
HYP_M2 = typer.Option(..., "--hyp", help="System output: one sentence a line, in the gold's order.")
HYP = typer.Option(..., "--hyp", help="System output: one sentence a line, in the source's order.")
SOURCE = typer.Option(..., "--source", help="Source sentences, one a line.")
REFS = typer.Option(..., "--ref", help="A reference file, one sentence a line; repeat --ref for each one.")
JSON = typer.Option(False, "--json", help="Print one JSON object instead of the summary.")
BETA = typer.Option(0.5, "--beta", help="Weight of recall in F (0.5: precision counts twice).")


def _need_file(path: Path) -> None:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")


def _mismatch(counts: dict[Path, int], unit: dict[Path, str]) -> None:
    if len(set(counts.values())) > 1:
        listed = "; ".join(f"{p}: {n} {unit[p]}" for p, n in counts.items())
        raise UsageError(f"line counts differ ({listed}); expected one sentence per line, in the same order")


def _m2_inputs(gold: Path, hyp: Path) -> tuple[list[str], list[str]]:
    from wa_hub.metrics._common import read_lines
    from wa_hub.metrics.m2 import read_m2_blocks

    _need_file(gold)
    _need_file(hyp)
    blocks = read_m2_blocks(gold)
    hyps = read_lines(hyp)
    _mismatch({gold: len(blocks), hyp: len(hyps)}, {gold: "sentences", hyp: "lines"})
    return blocks, hyps


def _ref_inputs(source: Path, refs: list[Path], hyp: Path) -> tuple[list[str], list[list[str]], list[str]]:
    from wa_hub.metrics._common import read_lines, transpose

    for p in (source, *refs, hyp):
        _need_file(p)
    srcs, hyps = read_lines(source), read_lines(hyp)
    columns = [read_lines(r) for r in refs]
    counts = {source: len(srcs), **{r: len(c) for r, c in zip(refs, columns, strict=True)}, hyp: len(hyps)}
    _mismatch(counts, dict.fromkeys(counts, "lines"))
    return srcs, transpose(columns), hyps


def _fmt(x: Any) -> str:
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def _show(result: dict[str, Any], as_json: bool, files: dict[str, Any]) -> None:
    if as_json:
        typer.echo(json.dumps({**result, "files": files}, ensure_ascii=False))
        return
    from rich.table import Table

    metric = result["metric"]
    table = Table(title=f"{metric.upper()}  ({result.get('n', '?')} sentences)", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if metric in ("m2", "errant"):
        fkey = next((k for k in result if k.startswith("f") and k[1:2].isdigit()), "f0.5")
        for key in ("precision", "recall", fkey):
            table.add_row(key, _fmt(result[key]))
        names = ("tp", "fp", "fn") if "tp" in result else ("correct", "proposed", "gold")
        table.add_row(" / ".join(names), " / ".join(str(result.get(k, "?")) for k in names))
    else:
        table.add_row("score", _fmt(result["score"]))
        for key in ("add", "keep", "delete", "std"):
            if key in result:
                table.add_row(key, _fmt(result[key]))
    for name, value in files.items():
        if isinstance(value, list):
            table.add_row("references", "\n".join(value))
        else:
            table.add_row(f"{name} file", value)
    console.print(table)


@score_app.command("m2")
@user_errors
def m2_cmd(
    gold: Path = GOLD,
    hyp: Path = HYP_M2,
    beta: float = BETA,
    max_unchanged_words: int = typer.Option(
        2, "--max-unchanged-words", help="Unchanged words an edit may span."
    ),
    as_json: bool = JSON,
) -> None:
    """M2 scorer precision, recall and F0.5 (CoNLL-2014; same numbers as the official m2scorer)."""
    from wa_hub.metrics.m2 import m2

    blocks, hyps = _m2_inputs(gold, hyp)
    result = dict(m2(hyps, blocks, beta=beta, max_unchanged_words=max_unchanged_words))
    result.setdefault("score", result[f"f{beta:g}"])
    _show(result, as_json, {"gold": str(gold), "hyp": str(hyp)})


@score_app.command("errant")
@user_errors
def errant_cmd(
    gold: Path = GOLD,
    hyp: Path = HYP_M2,
    beta: float = BETA,
    tokenize: bool = typer.Option(
        False, "--tokenize", help="Tokenize the hypotheses with spaCy first (for raw, untokenized output)."
    ),
    as_json: bool = JSON,
) -> None:
    """ERRANT span-based correction P/R/F0.5 (BEA-2019; same numbers as errant_parallel + errant_compare)."""
    from wa_hub.metrics.errant import errant

    blocks, hyps = _m2_inputs(gold, hyp)
    result = errant(hyps, blocks, beta=beta, tokenize=tokenize)
    _show(result, as_json, {"gold": str(gold), "hyp": str(hyp)})


@score_app.command("gleu")
@user_errors
def gleu_cmd(
    source: Path = SOURCE,
    ref: list[Path] = REFS,
    hyp: Path = HYP,
    iterations: int = typer.Option(500, "--iterations", min=1, help="Random reference draws to average."),
    sampling: str = typer.Option(
        "python2", "--sampling", help="How a reference is drawn: python2 (published figures) or python3."
    ),
    as_json: bool = JSON,
) -> None:
    """GEC-GLEU (JFLEG's eval/gleu.py: n-grams 1-4, 500 iterations, Python 2 reference draws)."""
    from wa_hub.metrics.gleu import gleu

    if sampling not in ("python2", "python3"):
        raise UsageError(f"--sampling must be python2 or python3, got {sampling!r}")
    srcs, refs, hyps = _ref_inputs(source, ref, hyp)
    result = gleu(srcs, refs, hyps, iterations=iterations, sampling=sampling)  # type: ignore[arg-type]
    _show(result, as_json, {"source": str(source), "refs": [str(r) for r in ref], "hyp": str(hyp)})


@score_app.command("sari")
@user_errors
def sari_cmd(
    source: Path = SOURCE,
    ref: list[Path] = REFS,
    hyp: Path = HYP,
    deletion: str = typer.Option(
        "f1", "--deletion", help="Score deletion by f1 (EASSE default) or precision (Xu et al.'s original)."
    ),
    lowercase: bool = typer.Option(True, "--lowercase/--no-lowercase", help="Lowercase before tokenizing."),
    tokenizer: str = typer.Option("13a", "--tokenizer", help="sacrebleu tokenizer: 13a, intl or none."),
    as_json: bool = JSON,
) -> None:
    """SARI as EASSE's corpus_sari computes it (lowercase, 13a tokens, corpus-level n-gram statistics)."""
    from wa_hub.metrics.sari import sari

    if deletion not in ("f1", "precision"):
        raise UsageError(f"--deletion must be f1 or precision, got {deletion!r}")
    if tokenizer not in ("13a", "intl", "none"):
        raise UsageError(f"--tokenizer must be 13a, intl or none, got {tokenizer!r}")
    srcs, refs, hyps = _ref_inputs(source, ref, hyp)
    result = sari(
        srcs,
        refs,
        hyps,
        deletion=deletion,  # type: ignore[arg-type]
        lowercase=lowercase,
        tokenizer=tokenizer,  # type: ignore[arg-type]
    )
    _show(result, as_json, {"source": str(source), "refs": [str(r) for r in ref], "hyp": str(hyp)})
