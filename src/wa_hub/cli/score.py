"""Commands: `wa-hub score m2|errant|gleu|sari`, the official metrics on text files (one sentence a line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from wa_hub.cli._app import app, console, user_errors
from wa_hub.errors import UsageError

if TYPE_CHECKING:
    from wa_hub.schema import MetricResult

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
TOKENIZE = typer.Option(
    "none",
    "--tokenize",
    help="How to tokenize --hyp first: none (as given, the official scorer's way), spacy (spaCy's English "
    "tokenizer) or auto (ordinary text put into the gold's own tokenization; docs/metrics.md).",
)


def _need_file(path: Path) -> None:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")


def _mismatch(counts: dict[Path, int], unit: dict[Path, str]) -> None:
    if len(set(counts.values())) > 1:
        listed = "; ".join(f"{p}: {n} {unit[p]}" for p, n in counts.items())
        raise UsageError(f"line counts differ ({listed}); expected one sentence per line, in the same order")


def _m2_inputs(gold: Path, hyp: Path) -> tuple[list[str], list[str]]:
    from wa_hub.fileio import read_lines
    from wa_hub.metrics import read_m2_blocks

    _need_file(gold)
    _need_file(hyp)
    blocks = read_m2_blocks(gold)
    hyps = read_lines(hyp)
    _mismatch({gold: len(blocks), hyp: len(hyps)}, {gold: "sentences", hyp: "lines"})
    return blocks, hyps


def _ref_inputs(source: Path, refs: list[Path], hyp: Path) -> tuple[list[str], list[list[str]], list[str]]:
    from wa_hub.fileio import read_lines
    from wa_hub.metrics._common import transpose

    for p in (source, *refs, hyp):
        _need_file(p)
    srcs, hyps = read_lines(source), read_lines(hyp)
    columns = [read_lines(r) for r in refs]
    counts = {source: len(srcs), **{r: len(c) for r, c in zip(refs, columns, strict=True)}, hyp: len(hyps)}
    _mismatch(counts, dict.fromkeys(counts, "lines"))
    return srcs, transpose(columns), hyps


def _score(
    metric: str,
    hyp: Path,
    as_json: bool,
    *,
    gold: Path | None = None,
    source: Path | None = None,
    refs: list[Path] | None = None,
    **options: Any,
) -> None:
    """Read the files the metric's inputs name, score, and print the result."""
    from wa_hub.metrics import get_metric, score

    spec = get_metric(metric)
    if spec.inputs == "m2" and gold is not None:
        from wa_hub.metrics.m2 import SentenceTooLong

        blocks, hyps = _m2_inputs(gold, hyp)
        try:
            result = score(metric, hypotheses=hyps, gold_m2=blocks, **options)
        except SentenceTooLong as e:  # name the line of the file it is on
            where = f"{hyp}:{e.index + 1}" if e.side == "hypothesis" else str(gold)
            raise UsageError(f"{where}: {e}") from None
        files: dict[str, Any] = {"gold": str(gold), "hyp": str(hyp)}
    elif spec.inputs == "refs" and source is not None and refs is not None:
        srcs, references, hyps = _ref_inputs(source, refs, hyp)
        result = score(metric, sources=srcs, references=references, hypotheses=hyps, **options)
        files = {"source": str(source), "refs": [str(r) for r in refs], "hyp": str(hyp)}
    else:
        raise UsageError(f"{metric} reads {'--gold' if spec.inputs == 'm2' else '--source and --ref'}")
    _show(spec.label, result, as_json, files)


def _fmt(x: Any) -> str:
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def _show(label: str, result: MetricResult, as_json: bool, files: dict[str, Any]) -> None:
    from wa_hub.schema import dump

    if as_json:
        typer.echo(json.dumps({**dump(result), "files": files}, ensure_ascii=False, allow_nan=False))
        return
    tokenize = result.settings.get("tokenize")
    from rich.table import Table

    table = Table(title=f"{label}  ({result.n} sentences)", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if result.f_beta is not None:
        table.add_row("precision", _fmt(result.precision))
        table.add_row("recall", _fmt(result.recall))
        table.add_row(f"F{result.beta:g}", _fmt(result.f_beta))
    else:
        table.add_row("score", _fmt(result.score))
        for key, value in result.components.items():
            table.add_row(key, _fmt(value))
    if result.counts:
        table.add_row(" / ".join(result.counts), " / ".join(str(v) for v in result.counts.values()))
    if tokenize is not None:
        table.add_row("tokenize", str(tokenize))
    console.print(table)
    # The files below the table, each on its own line: a table cell would cut a long path short.
    for name, value in files.items():
        for path in value if isinstance(value, list) else [value]:
            label = "reference" if isinstance(value, list) else f"{name} file"
            console.print(f" {label:<10} {path}", highlight=False, markup=False, soft_wrap=True)


@score_app.command("m2")
@user_errors
def m2_cmd(
    gold: Path = GOLD,
    hyp: Path = HYP_M2,
    beta: float = BETA,
    max_unchanged_words: int = typer.Option(
        2, "--max-unchanged-words", help="Unchanged words an edit may span."
    ),
    tokenize: str = TOKENIZE,
    as_json: bool = JSON,
) -> None:
    """M2 scorer precision, recall and F0.5 (CoNLL-2014; same numbers as the official m2scorer)."""
    _score(
        "m2", hyp, as_json, gold=gold, beta=beta, max_unchanged_words=max_unchanged_words, tokenize=tokenize
    )


@score_app.command("errant")
@user_errors
def errant_cmd(
    gold: Path = GOLD,
    hyp: Path = HYP_M2,
    beta: float = BETA,
    tokenize: str = TOKENIZE,
    as_json: bool = JSON,
) -> None:
    """ERRANT span-based correction P/R/F0.5 (BEA-2019; same numbers as errant_parallel + errant_compare)."""
    _score("errant", hyp, as_json, gold=gold, beta=beta, tokenize=tokenize)


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
    tokenize: str = TOKENIZE,
    as_json: bool = JSON,
) -> None:
    """GEC-GLEU (JFLEG's eval/gleu.py: n-grams 1-4, 500 iterations, Python 2 reference draws)."""
    if sampling not in ("python2", "python3"):
        raise UsageError(f"--sampling must be python2 or python3, got {sampling!r}")
    options: dict[str, Any] = {"iterations": iterations, "sampling": sampling, "tokenize": tokenize}
    _score("gleu", hyp, as_json, source=source, refs=ref, **options)


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
    if deletion not in ("f1", "precision"):
        raise UsageError(f"--deletion must be f1 or precision, got {deletion!r}")
    if tokenizer not in ("13a", "intl", "none"):
        raise UsageError(f"--tokenizer must be 13a, intl or none, got {tokenizer!r}")
    options: dict[str, Any] = {"deletion": deletion, "lowercase": lowercase, "tokenizer": tokenizer}
    _score("sari", hyp, as_json, source=source, refs=ref, **options)
