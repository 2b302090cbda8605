"""`wa-hub`: a Typer app; each module below registers its commands and imports heavy libraries lazily."""

from wa_hub.cli import data, demo, evaluate, push, recipes, score, train  # noqa: F401  (registers commands)
from wa_hub.cli._app import app, tidy_help

tidy_help(app)

__all__ = ["app"]
