"""Where the shipped YAML and templates live: `builders/`, `recipes/`, `cards/` at the repository root.

wa-hub is installed from a checkout (`pip install -e .`), so these folders are found next to `src/`.
`$WA_HUB_HOME` points elsewhere (a copy of those folders) for other installs.
"""

from __future__ import annotations

import os
from pathlib import Path

from wa_hub.errors import WaHubError


def project_root() -> Path:
    """The folder that holds builders/, recipes/ and cards/."""
    env = os.environ.get("WA_HUB_HOME")
    root = Path(env) if env else Path(__file__).resolve().parents[2]
    if not (root / "recipes").is_dir():
        raise WaHubError(
            f"cannot find wa-hub's recipes/, builders/ and cards/ under {root}; "
            "install wa-hub from a checkout (`pip install -e .`) or set WA_HUB_HOME to a folder that has them"
        )
    return root


def resource(*parts: str) -> Path:
    """A path under the project root, e.g. `resource("cards", "model.md.j2")`."""
    return project_root().joinpath(*parts)
