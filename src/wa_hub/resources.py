"""Where the shipped YAML and templates live: `builders/`, `recipes/`, `cards/`.

The folders at the repository root are the one source. A wheel carries a copy of them as the package data
`wa_hub/_shipped/` (pyproject's hatch `force-include`), read through `importlib.resources`; an editable
install (`pip install -e .`) has no copy and reads the checkout's folders, so edits there show at once.
`$WA_HUB_HOME` names another folder that has all three (a user's own copy), before either.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from wa_hub.errors import WaHubError

FOLDERS = ("recipes", "builders", "cards")


def checkout_root() -> Path | None:
    """The repository root when wa-hub runs from a source checkout (src/ layout), else None."""
    package = Path(__file__).resolve().parent
    root = package.parents[1]
    if package.parent.name == "src" and (root / "pyproject.toml").is_file() and (root / "recipes").is_dir():
        return root
    return None


def _shipped() -> Path | None:
    """`wa_hub/_shipped/` of an installed wheel (pip unpacks wheels, so it is a real folder)."""
    shipped = resources.files("wa_hub").joinpath("_shipped")
    return shipped if isinstance(shipped, Path) and shipped.joinpath("recipes").is_dir() else None


def project_root() -> Path:
    """The folder that holds builders/, recipes/ and cards/: $WA_HUB_HOME, the checkout, or the wheel's."""
    env = os.environ.get("WA_HUB_HOME")
    if env:
        root = Path(env)
        missing = [f for f in FOLDERS if not (root / f).is_dir()]
        if missing:
            raise WaHubError(
                f"WA_HUB_HOME={env} has no {', '.join(f + '/' for f in missing)}; unset it or copy them there"
            )
        return root
    found = checkout_root() or _shipped()
    if found is None:
        raise WaHubError(
            "this wa-hub install has neither its shipped recipes/, builders/ and cards/ nor a checkout; "
            "reinstall it (pip install --force-reinstall wa-hub) or set WA_HUB_HOME to a folder that has them"
        )
    return found


def resource(*parts: str) -> Path:
    """A path under the project root, e.g. `resource("cards", "model.md.j2")`."""
    return project_root().joinpath(*parts)
