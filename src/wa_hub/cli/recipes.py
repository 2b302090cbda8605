"""Commands: recipes list, recipes show (the shipped training recipes, wherever wa-hub is installed)."""

from __future__ import annotations

import typer

from wa_hub.cli._app import app, console, user_errors

recipes_app = typer.Typer(
    help="The shipped training recipes: list them, print one with the command that runs it."
)
app.add_typer(recipes_app, name="recipes")


@recipes_app.command("list")
@user_errors
def list_cmd() -> None:
    """The shipped recipes: name, the study's row, base model, method, description."""
    from rich.table import Table

    from wa_hub.train.recipe import load_recipe, recipes_dir, shipped_recipes

    table = Table(title=f"wa-hub recipes ({recipes_dir()})")
    for column in ("name", "study row", "model", "method", "description"):
        table.add_column(column, overflow="fold")
    for name in shipped_recipes():
        rec, _ = load_recipe(name)
        table.add_row(rec.name, rec.paper_row or "", rec.model.name, rec.method, rec.description)
    console.print(table)
    console.print("Print one with `wa-hub recipes show NAME`; train it with `wa-hub train --recipe NAME`.")


@recipes_app.command("show")
@user_errors
def show_cmd(
    name: str = typer.Argument(..., help="A recipe name (see `wa-hub recipes list`) or a YAML file."),
) -> None:
    """Print a recipe's YAML as it is on disk, then (as YAML comments) its file and the commands that run it.

    Copy it to your own file to change it: `wa-hub recipes show NAME > my.yaml`, then `--recipe my.yaml`.
    """
    from wa_hub.train.recipe import find_recipe, load_recipe

    path = find_recipe(name)
    load_recipe(name)  # a recipe that does not validate is an error here, not at train time
    text = path.read_text(encoding="utf-8")
    print(text, end="" if text.endswith("\n") else "\n")
    print(f"# file: {path}")
    print(f"# preview: wa-hub train --recipe {name} --dry-run")
    print(f"# run:     wa-hub train --recipe {name}")
