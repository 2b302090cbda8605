"""What goes into a repo: the files of a dataset folder or a run dir, as `path in repo -> source`.

A dataset folder is pushed as it is (its card gets the version stamp). A run dir contributes its weights,
tokenizer, `run.json` and TensorBoard logs, never its Trainer checkpoints, optimizer state or pickled
training args; its evaluation results go under `eval/` with their predictions.

Symbolic links are followed only while they stay inside the folder being pushed: a link that leaves it (to
`/etc/shadow`, to another user's files, to a cache) is refused with the file named, so a push publishes the
folder and nothing else.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from wa_hub.errors import UsageError
from wa_hub.schema import Results, dump

# Top-level files of a run dir that are not part of a published model.
RUN_EXCLUDE = re.compile(
    r"^(README\.md|results\.json|training_args\.bin|optimizer\.pt|scheduler\.pt|scaler\.pt|rng_state.*\.pth"
    r"|trainer_state\.json|.*\.lock)$"
)


def inside(root: Path, path: Path) -> Path:
    """The real file behind `path`, which must stay inside `root` (a UsageError names a link that leaves)."""
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise UsageError(
            f"{path} is a symbolic link to {real}, outside {root}; wa-hub only publishes what is inside the "
            "folder it pushes: copy the file in (cp -L) or remove the link"
        )
    return real


def _visible_files(folder: Path, root: Path | None = None) -> list[tuple[str, Path]]:
    """(path under `folder`, real file) for every file, skipping hidden files and folders (`.git`, `.cache`).

    A link to a file inside `root` (default `folder`) publishes that file under the link's path; a link to a
    folder inside it is not walked (that folder is published under its own path); a link that leaves `root`,
    or that points nowhere, is an error.
    """
    root = root or folder
    inside(root, folder)
    out = []
    for here, dirs, names in os.walk(folder):
        for d in [d for d in dirs if (Path(here) / d).is_symlink() and not d.startswith(".")]:
            inside(root, Path(here) / d)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(here) / d).is_symlink())
        for name in sorted(names):
            p = Path(here) / name
            if name.startswith("."):
                continue
            real = inside(root, p)
            if not real.is_file():
                link = f" (a symbolic link to {real})" if p.is_symlink() else ""
                raise UsageError(f"{p}{link} is not a regular file; a pushed folder holds files only")
            out.append((p.relative_to(folder).as_posix(), real))
    return sorted(out)


def kind_of(path: Path) -> str:
    """`dataset` for a folder with manifest.json, `model` for a run dir with run.json."""
    if not path.is_dir():
        raise UsageError(f"{path}: no such folder (expected a dataset folder or a training run dir)")
    if (path / "manifest.json").is_file():
        return "dataset"
    if (path / "run.json").is_file():
        return "model"
    raise UsageError(
        f"{path}: neither a dataset folder (manifest.json, from build-data/build-bench) "
        "nor a training run dir (run.json, from train)"
    )


def dataset_files(folder: Path) -> dict[str, Path | bytes]:
    """The dataset folder as it is (README.md, manifest.json, data/...)."""
    files: dict[str, Path | bytes] = dict(_visible_files(folder))
    if "README.md" not in files:
        raise UsageError(f"{folder}/README.md is missing: a dataset folder needs its card (rebuild it)")
    if not any(name.startswith("data/") for name in files):
        raise UsageError(f"{folder}/data/ has no files: nothing to publish")
    return files


def check_weights(folder: Path, method: str) -> None:
    if method == "lora":
        need = ["adapter_config.json", "adapter_model.safetensors"]
        missing = [n for n in need if not (folder / n).is_file()]
    else:
        missing = [] if (folder / "config.json").is_file() else ["config.json"]
        if not list(folder.glob("model*.safetensors")) and not list(folder.glob("pytorch_model*.bin")):
            missing.append("model*.safetensors")
    if missing:
        raise UsageError(
            f"{folder}: missing {', '.join(missing)} (a {method} run dir has its weights at the root)"
        )


def model_files(weights_dir: Path, run_dir: Path) -> dict[str, Path | bytes]:
    """Weights, tokenizer and run.json from `weights_dir`; TensorBoard logs from the run."""
    files: dict[str, Path | bytes] = {
        p.name: inside(weights_dir, p)
        for p in sorted(weights_dir.iterdir())
        if p.is_file() and not p.name.startswith(".") and not RUN_EXCLUDE.match(p.name)
    }
    logs = run_dir / "logs"
    if logs.is_dir():
        files.update({f"logs/{name}": p for name, p in _visible_files(logs, run_dir)})
    return files


def find_results(run_dir: Path) -> list[Path]:
    """results.json files that belong to a run: beside run.json or anywhere below it (not in checkpoints)."""
    found = []
    for p in sorted(run_dir.rglob("results.json")):
        rel = p.relative_to(run_dir).parts
        if any(part.startswith(("checkpoint-", ".")) or part == "logs" for part in rel[:-1]):
            continue
        found.append(p)
    return found


def results_folders(results: list[Results]) -> list[str]:
    """Where each results.json goes in the model repo: `eval/`, or `eval/<decoding>/` for several."""
    if len(results) == 1:
        return ["eval"]
    out: list[str] = []
    for i, result in enumerate(results):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", result.decoding.name)
        out.append(f"eval/{name}" if f"eval/{name}" not in out else f"eval/{name}-{i}")
    return out


def results_files(paths: list[Path], results: list[Results]) -> dict[str, Path | bytes]:
    """results.json (+ predictions/*.jsonl beside it) in its `results_folders` folder.

    results.json goes in the current schema (a file of an older wa-hub is published upgraded).
    """
    files: dict[str, Path | bytes] = {}
    for path, result, prefix in zip(paths, results, results_folders(results), strict=True):
        files[f"{prefix}/results.json"] = (
            json.dumps(dump(result), indent=2, ensure_ascii=False) + "\n"
        ).encode()
        preds = path.parent / "predictions"
        if preds.is_dir():
            for p in sorted(preds.glob("*.jsonl")):
                files[f"{prefix}/predictions/{p.name}"] = inside(path.parent, p)
    return files
