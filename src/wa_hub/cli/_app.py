"""The Typer app every command module registers on, and the one place errors become exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
import typer.rich_utils
from pydantic import BaseModel, ValidationError
from rich.console import Console

from wa_hub import __version__
from wa_hub.errors import UsageError, WaHubError, environment_error

app = typer.Typer(
    name="wa-hub",
    help="Writing-Alpaca as a product: build the data and benchmark, train, score, evaluate, publish.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
OFF_TTY_WIDTH = 200  # output piped to a file, a pager or a CI log: wide enough for paths and URLs


def _console(stderr: bool = False) -> Console:
    """The terminal's width, or 200 columns off a terminal (rich would take `COLUMNS` or 80 and break every
    longer line). Messages print with `soft_wrap=True`: never broken, whatever their length."""
    out = Console(stderr=stderr)
    if not out.is_terminal:
        out.width = OFF_TTY_WIDTH
    return out


console = _console()
err_console = _console(stderr=True)
if not err_console.is_terminal and typer.rich_utils.MAX_WIDTH is None:  # click's usage errors and --help
    typer.rich_utils.MAX_WIDTH = OFF_TTY_WIDTH

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


def from_options(settings: type[M], /, **values: Any) -> M:
    """A settings model from command-line options; a bad value is a UsageError naming its `--option`."""
    try:
        return settings.model_validate(values)
    except ValidationError as e:
        err = e.errors()[0]
        option = "--" + str(err["loc"][0]).replace("_", "-") if err["loc"] else "options"
        raise UsageError(f"{option}: {err['msg']} (got {err.get('input')!r})") from None


def _print_error(e: WaHubError) -> None:
    """`error: MESSAGE` on stderr, never wrapped: the message is plain text (paths may hold `[...]`)."""
    err_console.print("[bold red]error:[/bold red] ", end="")
    err_console.print(str(e), highlight=False, markup=False, emoji=False, soft_wrap=True)


def user_errors(fn: F) -> F:
    """Print a WaHubError's message (no traceback) and exit with its code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WaHubError as e:
            _print_error(e)
            raise typer.Exit(e.exit_code) from None
        except OSError as e:  # disk full, no permission: one line too (errors.environment_error)
            err = environment_error(e)
            if err is None:
                raise
            _print_error(err)
            raise typer.Exit(err.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"wa-hub {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Writing-Alpaca as a product."""
