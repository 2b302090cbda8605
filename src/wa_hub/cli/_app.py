"""The Typer app every command module registers on, and the one place errors become exit codes."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

import typer
import typer.core
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
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show the libraries' own warnings, logs and progress bars (transformers, datasets), which "
        "wa-hub hides by default; e.g. wa-hub --verbose evaluate ... (or WA_HUB_VERBOSE=1).",
    ),
) -> None:
    """Writing-Alpaca as a product."""
    from wa_hub import quiet

    quiet.install(verbose)


def _unwrap(text: str) -> str:
    """Each paragraph of a docstring on one line: rich wraps help to the terminal, and a docstring's own
    line breaks would show as stray breaks in the middle of a sentence."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _option_type(self: Any, ctx: Any) -> str | None:
    """No `<bool>` after a flag, `<path>` (not `<list[Path]>`) after a repeatable option."""
    if self.metavar is not None:
        return str(self.metavar)
    if getattr(self, "is_flag", False):
        return None
    label = _typer_option_type(self, ctx)
    return re.sub(r"<list\[(\w+)\]>", lambda m: f"<{m[1].lower()}>", label) if label else label


def _argument_type(self: Any, ctx: Any) -> str | None:
    label = _typer_argument_type(self, ctx)
    return re.sub(r"<list\[(\w+)\]>", lambda m: f"<{m[1].lower()}>", label) if label else label


def _argument_name(self: Any) -> str:
    """Arguments in upper case, as click names them (MODEL), not `{model}`."""
    return str(self.metavar or (self.name or "").upper())


def _argument_usage(self: Any) -> str:
    name = _argument_name(self)
    return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")


_core: Any = typer.core
_typer_option_type: Any = getattr(_core.TyperOption, "display_type_rich", None)
_typer_argument_type: Any = getattr(_core.TyperArgument, "display_type_rich", None)
if _typer_option_type is not None and _typer_argument_type is not None:  # typer's help as of 0.2x
    _core.TyperOption.display_type_rich = _option_type
    _core.TyperArgument.display_type_rich = _argument_type
if hasattr(_core.TyperArgument, "_usage_display_name"):
    _core.TyperArgument.display_name_raw = property(_argument_name)
    _core.TyperArgument._usage_display_name = _argument_usage


def tidy_help(typer_app: typer.Typer) -> None:
    """Unwrap every command's docstring (see `_unwrap`), in `typer_app` and its sub-apps."""
    for info in typer_app.registered_commands:
        doc = info.help or (inspect.getdoc(info.callback) if info.callback else None)
        if doc:
            info.help = _unwrap(doc)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            tidy_help(group.typer_instance)
