"""Quiet libraries unless `--verbose`: what a user sees is wa-hub's own lines and bars.

transformers prints a "Loading weights" bar per model load and "Writing model shards" per save, datasets a
"Generating ... split" bar per file it reads, and both deprecation warnings meant for library authors
(`FutureWarning: is_gradient_checkpointing is deprecated`). `install()` turns them off before the libraries
are imported (so commands that never load them pay nothing): environment variables where a library reads
one, else a hook that runs once the module is imported. The Trainer's training bar, wa-hub's rich bars and
downloads from the Hub keep their progress. `WA_HUB_VERBOSE=1` (what `--verbose` sets, so that the
processes `accelerate launch` starts inherit it) keeps everything.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

VERBOSE_ENV = "WA_HUB_VERBOSE"

_ENV = {
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "DATASETS_VERBOSITY": "error",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def install(verbose_: bool = False) -> None:
    """Quiet transformers, datasets and the libraries' deprecation warnings, unless `verbose_` or
    `$WA_HUB_VERBOSE` (which `verbose_` sets, for child processes)."""
    if verbose_:
        os.environ[VERBOSE_ENV] = "1"
    if verbose():
        return
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    after_import("datasets", _quiet_datasets)
    after_import("transformers.utils.logging", _quiet_transformers)


def _quiet_datasets(datasets: ModuleType) -> None:
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()


def _quiet_transformers(logging: ModuleType) -> None:
    logging.set_verbosity_error()
    logging.disable_progress_bar()  # its bars: loading weights, writing shards (not the Trainer's)
    import huggingface_hub.utils

    huggingface_hub.utils.enable_progress_bars()  # which disable_progress_bar also turned off: downloads


def after_import(name: str, fn: Callable[[ModuleType], None]) -> None:
    """Call `fn(module)` once module `name` is imported: now if it already is."""
    if name in sys.modules:
        fn(sys.modules[name])
        return
    if not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, fn))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds `name` with the other finders, and wraps its loader to call `fn` after the module ran."""

    def __init__(self, name: str, fn: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.fn = fn

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader: Any = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            self.fn(module)

        loader.exec_module = exec_module
        return spec
