"""`push`: a dataset folder or a run dir -> one tagged commit on the Hub or on a local git hub."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wa_hub import cards, fileio, schema
from wa_hub.errors import UsageError
from wa_hub.hub import card, chat, stage
from wa_hub.hub.backend import Backend, check_repo_id, immutable_error
from wa_hub.hub.secrets import check_no_secrets, known_token
from wa_hub.versions import highest, parse_version, version_tag

log = logging.getLogger("wa_hub.hub")

HUB_DIR_ENV = "WA_HUB_DIR"


def make_backend(hub_dir: str | Path | None = None, token: str | None = None) -> Backend:
    """The local git hub at `hub_dir` (or `$WA_HUB_DIR`), else the Hub at `HF_ENDPOINT`."""
    hub_dir = hub_dir or os.environ.get(HUB_DIR_ENV) or None
    if hub_dir:
        from wa_hub.hub.localgit import LocalGitBackend

        return LocalGitBackend(hub_dir)
    from wa_hub.hub.hf import HfBackend

    return HfBackend(token=token)


def _default_version(backend: Backend, repo: str, repo_type: str, declared: str | None) -> str:
    """The folder's own version (a dataset manifest's `version`), else 1.0.0 for a new repo."""
    if declared:
        return declared
    top = highest(backend.tags(repo, repo_type))
    if top is None:
        return "1.0.0"
    x, y, z = top.release
    raise UsageError(
        f"{repo} already has versions up to v{top}; pass --version "
        f"(e.g. {x}.{y}.{z + 1} for a fix, {x}.{y + 1}.0 for new data or results)"
    )


def _moves_main(backend: Backend, repo: str, repo_type: str, tag: str, allow_older: bool) -> bool:
    """Whether `tag` becomes `main`: yes when it is the highest version; a lower one needs `allow_older`.

    `main` always shows the highest version, so users who do not pin a revision never go back in time.
    Checked before any work is done; an existing tag is refused here too (the backend checks it again).
    """
    tags = backend.tags(repo, repo_type)
    if tag in tags:
        raise immutable_error(repo, tag, backend.where)
    top = highest(tags)
    if top is None or parse_version(tag) > top:
        return True
    if not allow_older:
        raise UsageError(
            f"{repo} already has v{top}, higher than {tag}; pushing {tag} would move main back to an older "
            f"version: push a version above {top}, or pass --allow-older to add {tag} as a tag while main "
            f"stays at v{top}"
        )
    log.warning("%s %s is older than v%s: it is tagged, and main stays at v%s", repo, tag, top, top)
    return False


def push(
    path: str | Path,
    repo: str,
    *,
    version: str | None = None,
    hub_dir: str | Path | None = None,
    private: bool = False,
    merged: bool = False,
    token: str | None = None,
    results: list[str | Path] | None = None,
    bench_repo: str | None = None,
    dataset_repo: str | None = None,
    allow_older: bool = False,
    details: bool = False,
    gated: bool = False,
    card_template: str | Path | None = None,
) -> dict[str, Any]:
    """Publish a dataset folder (has manifest.json) or a run dir (has run.json) as version `version`.

    Returns `repo`, `repo_type`, `revision` (commit sha), `tag` (`vX.Y.Z`) and `url`. Versions are
    immutable: an existing tag is an error. Run dirs only: `merged` pushes merged full weights instead
    of the adapter; `results` are results.json files (default: those found in the run dir);
    `bench_repo` / `dataset_repo` (`ORG/NAME[@REV]`) name the published benchmark / training data when
    results.json / run.json only know a local folder. A version lower than the repo's highest is refused
    unless `allow_older` (then it is tagged and `main` stays at the highest). `details` also publishes the
    per-row outputs and scores as the dataset `<repo>-details` at the same version, first (its result is
    under `details`). `gated`: the dataset repos get an access prompt and, on the Hub, manual approval; a
    build holding the real text of a source whose licence forbids redistribution is refused without it.
    `card_template`: run dirs, a Jinja file rendered as the model card instead of `cards/model.md.j2`.
    """
    path = Path(path)
    repo = check_repo_id(repo)
    if version is not None:
        parse_version(version)
    kind = stage.kind_of(path)
    if kind == "dataset" and (merged or results or bench_repo or dataset_repo or details or card_template):
        raise UsageError(
            f"{path} is a dataset folder: --merged, --results, --bench-repo, --dataset-repo, --details and "
            "--card-template are for run dirs (a dataset's card is built with it)"
        )
    backend = make_backend(hub_dir, token)
    secret = known_token(token)
    plan: DetailsPlan | None = None
    with fileio.scratch_dir(Path(tempfile.gettempdir()) / "wa-hub-push") as tmp:
        if kind == "dataset":
            manifest = schema.load_manifest(path)
            tag = version_tag(manifest.version)
            _check_dataset_version(backend, repo, path, manifest, version, hub_dir, gated, allow_older)
            _check_gating(cards.restricted_sources(manifest), gated, str(path))
            move_main = _moves_main(backend, repo, kind, tag, allow_older)
            files = stage.dataset_files(path)
            files.update(_dataset_repo_files(path, manifest, repo, gated))
            what = "dataset"
        else:
            run = schema.load_model_file(path / "run.json", schema.RunRecord)
            stage.check_weights(path, run.method)
            tag = version_tag(version or _default_version(backend, repo, kind, None))
            move_main = _moves_main(backend, repo, kind, tag, allow_older)
            evals = _evaluations(path, backend, results, bench_repo)
            if details:
                plan = _details_plan(backend, repo, tag, evals, tmp, allow_older, gated)
            template = Path(card_template) if card_template else None
            files = _model_files(
                path,
                run,
                repo,
                tag,
                backend,
                tmp,
                merged,
                evals,
                dataset_repo,
                plan.repo if plan else None,
                template,
            )
            what = "merged model" if merged else "model"
        check_no_secrets(files, [secret])
        pushed_details = _publish_details(backend, plan, repo, tag, secret, private) if plan else None
        message = f"{what} {tag[1:]}: wa-hub push of {path.name}"
        log.info("pushing %d files to %s %s (%s)", len(files), repo, tag, backend.name)
        pushed: dict[str, Any] = backend.publish(
            repo,
            kind,
            files,
            tag,
            private=private,
            message=message,
            move_main=move_main,
            gated=gated and kind == "dataset",
        )
        if pushed_details is not None:
            pushed["details"] = pushed_details
        return pushed


def _check_dataset_version(
    backend: Backend,
    repo: str,
    path: Path,
    manifest: schema.Manifest,
    version: str | None,
    hub_dir: str | Path | None,
    gated: bool,
    allow_older: bool,
) -> None:
    """A dataset's version is its build's (its manifest and card say it): a dataset folder is pushed as the
    version it was built as, and another version means another build. Each refusal says how to rebuild
    and push in one command."""
    built = parse_version(manifest.version)
    tags = backend.tags(repo, "dataset")
    top = highest(tags)
    if version and parse_version(version) != built:
        wanted = str(parse_version(version))
        raise UsageError(
            f"{path} was built as version {built}, and a dataset's version is its build's (its manifest and "
            f"card say {built}): push it without --version, or rebuild it as {wanted} and push that in one "
            f"command: {rebuild_command(path, manifest, wanted, repo, hub_dir, gated)}"
        )
    if version_tag(str(built)) in tags or (top is not None and built < top and not allow_older):
        x, y, z = max(built, top or built).release
        nxt = f"{x}.{y}.{z + 1}"
        why = (
            f"{repo} v{built} already exists on {backend.where}; published versions are immutable"
            if version_tag(str(built)) in tags
            else f"{repo} already has v{top}, higher than v{built}, which {path} was built as (--allow-older "
            "adds it as a tag while main stays at the highest)"
        )
        raise UsageError(
            f"{why}, and a dataset's version is its build's: rebuild it as a new version and push that in "
            f"one command: {rebuild_command(path, manifest, nxt, repo, hub_dir, gated)}"
        )


def rebuild_command(
    path: Path, manifest: schema.Manifest, version: str, repo: str, hub_dir: str | Path | None, gated: bool
) -> str:
    """The `wa-hub build-data|build-bench` line that builds `path` again, as `version`, and pushes it
    (RAW stands for the raw dir it was built from, which the manifest does not record)."""
    import shlex

    bench = isinstance(manifest, schema.BenchManifest)
    cmd = ["wa-hub", "build-bench" if bench else "build-data"]
    cmd += ["--sample"] if manifest.sample else ["--raw-dir", "RAW"]
    if manifest.name != ("writing-bench" if bench else "writing-instruct"):
        cmd += ["--spec", manifest.name]
    if isinstance(manifest, schema.InstructionManifest):
        if manifest.seed != manifest.builder.get("seed"):
            cmd += ["--seed", str(manifest.seed)]
        counts = set(manifest.per_task.values())
        if not manifest.sample and len(counts) == 1 and counts != {manifest.builder.get("per_task")}:
            cmd += ["--per-task", str(counts.pop())]
        if not manifest.sample and manifest.generic_rows is not None:
            cmd += ["--generic", str(manifest.generic_rows)]
    if isinstance(manifest, schema.BenchManifest) and manifest.size_mismatches:
        cmd.append("--allow-size-mismatch")
    cmd += ["--out", str(path), "--version", version, "--overwrite", "--push", repo]
    if hub_dir is not None:
        cmd += ["--hub-dir", str(hub_dir)]
    if gated:
        cmd.append("--gated")
    return shlex.join(cmd)


def _check_gating(restricted: list[Any], gated: bool, what: str) -> None:
    """A copy of text whose licence forbids redistribution is only published gated (and with permission)."""
    if restricted and not gated:
        names = ", ".join(sorted({s.name for s in restricted}))
        raise UsageError(
            f"{what} holds {names}, whose licence forbids redistribution: publish it only with the rights "
            "holders' permission, gated (--gated: people ask for access and accept the terms)"
        )


def _dataset_repo_files(
    folder: Path, manifest: schema.Manifest, repo: str, gated: bool
) -> dict[str, Path | bytes]:
    """The card of `repo` at this version (and a benchmark's eval.yaml), rendered again from the manifest
    (the folder's card names no repo).

    A README.md that is not the card wa-hub renders for this manifest was edited by hand: those edits are
    not published, and a warning says so.
    """
    built = (folder / "README.md").read_text(encoding="utf-8", errors="replace")
    if built != str(cards.render_dataset_card(manifest)):
        log.warning(
            "%s/README.md differs from the card rendered from its manifest.json; the pushed card is rendered "
            "from manifest.json, so edits made to README.md are not published",
            folder,
        )
    return {name: text.encode() for name, text in cards.repo_files(manifest, repo, gated).items()}


@dataclass(frozen=True)
class Evaluations:
    """The results files a model push publishes, read and checked before any work: each file, its
    contents, its benchmark (resolved to a commit on the hub pushed to) and its folder in the model repo."""

    paths: list[Path]
    results: list[schema.Results]
    benches: list[card.BenchRef]
    folders: list[str]


def _evaluations(
    run_dir: Path, backend: Backend, results: list[str | Path] | None, bench_repo: str | None
) -> Evaluations:
    paths = [Path(p) for p in results] if results else stage.find_results(run_dir)
    for p in paths:
        if not p.is_file():
            raise UsageError(f"--results {p}: no such file")
    scored = [schema.load_model_file(p, schema.Results) for p in paths]
    refs = [card.bench_ref(r, bench_repo, str(p)) for r, p in zip(scored, paths, strict=True)]
    what = [("--bench-repo" if bench_repo else f"{p}: its benchmark") for p in paths]
    benches = [_resolve_bench(backend, ref, w) for ref, w in zip(refs, what, strict=True)]
    return Evaluations(paths, scored, benches, stage.results_folders(scored))


@dataclass(frozen=True)
class DetailsPlan:
    """The details dataset a model push publishes first: its files, and whether an earlier push made it."""

    repo: str
    files: dict[str, Path | bytes]
    done: bool  # the tag exists and holds these very details (a push of this version stopped after it)
    move_main: bool
    gated: bool


def _details_plan(
    backend: Backend, repo: str, tag: str, evals: Evaluations, tmp: Path, allow_older: bool, gated: bool
) -> DetailsPlan:
    """`<repo>-details` at `tag`, built (and checked against results.json) before anything is published.

    Its tag existing is an error, unless it holds the very details this push makes: an earlier push of this
    version stopped after publishing them, and this one goes on with the model.
    """
    from wa_hub.hub import details

    drepo = details.details_repo(repo)
    existing = tag in backend.tags(drepo, "dataset")
    move_main = True if existing else _moves_main(backend, drepo, "dataset", tag, allow_older)
    in_repo = [f"{f}/results.json" for f in evals.folders]
    sources = details.set_sources(evals.results, evals.paths, in_repo, evals.benches)
    _check_gating(details.restricted_sources(sources), gated, f"{drepo} (the benchmark's text)")
    files, manifest = details.build(tmp / "details", repo, tag, sources, gated)
    if existing and not details.same_details(backend.read(drepo, "dataset", tag, "details.json"), manifest):
        raise immutable_error(drepo, tag, backend.where)
    return DetailsPlan(drepo, files, existing, move_main, gated)


def _publish_details(
    backend: Backend, plan: DetailsPlan, repo: str, tag: str, secret: str | None, private: bool
) -> dict[str, Any]:
    if plan.done:
        log.warning("%s %s already holds these details (from an interrupted push); kept", plan.repo, tag)
        found = backend.lookup(plan.repo, "dataset", tag)
        return {"repo": plan.repo, "repo_type": "dataset", "tag": tag, "revision": found.sha if found else ""}
    check_no_secrets(plan.files, [secret])
    message = f"details of {repo} {tag[1:]}: wa-hub push --details"
    log.info("pushing %d files to %s %s (%s)", len(plan.files), plan.repo, tag, backend.name)
    return backend.publish(
        plan.repo,
        "dataset",
        plan.files,
        tag,
        private=private,
        message=message,
        move_main=plan.move_main,
        gated=plan.gated,
    )


def _model_files(
    run_dir: Path,
    run: schema.RunRecord,
    repo: str,
    tag: str,
    backend: Backend,
    tmp: Path,
    merged: bool,
    evals: Evaluations,
    dataset_repo: str | None,
    details_repo: str | None,
    template: Path | None = None,
) -> dict[str, Path | bytes]:
    scored, benches = evals.results, evals.benches
    dataset = _dataset_ref(backend, run, dataset_repo, run_dir)
    weights_dir = run_dir
    card_run = run
    if merged:
        if run.method != "lora":
            raise UsageError(
                f"{run_dir}: --merged merges a LoRA adapter, but this run is {run.method!r} (push it as is)"
            )
        from wa_hub.train.merge import merge_run

        weights_dir = Path(merge_run(run_dir, tmp / "merged"))
        card_run = run.model_copy(update={"merged_from": run_dir.name})
    files = stage.model_files(weights_dir, run_dir)
    files.update(stage.results_files(evals.paths, scored))
    urls = [f"{backend.endpoint}/{repo}/blob/{tag}/{f}/results.json" for f in evals.folders]
    scores = card.headlines(scored, benches, urls)
    left_out = sorted({c for r in scored for c in r.sets} - {h.set.config for h in scores})
    if left_out:
        log.warning(
            "%s: scored on part of their rows (evaluate --limit), so they are in the card's table but not in "
            "its metadata or .eval_results/ (a leaderboard lists whole sets only)",
            ", ".join(left_out),
        )
    names = [repo] if len(scored) <= 1 else [f"{repo} ({r.decoding.name})" for r in scored]
    files["README.md"] = str(
        card.render_model_card(
            card_run,
            repo,
            tag[1:],
            tag,
            merged=merged,
            results=scored,
            benches=benches,
            scores=scores,
            result_names=names,
            dataset=dataset,
            details=details_repo,
            template=template,
        )
    ).encode()
    files.update(card.eval_results_files(scores))
    files.setdefault(chat.TEMPLATE_PATH, chat.alpaca_chat_template().encode())
    return files


def _resolve_bench(backend: Backend, ref: card.BenchRef, what: str) -> card.BenchRef:
    """`ref` with the commit sha its revision names on the hub pushed to; a UsageError when it is not there.

    Results name the benchmark's commit (a tag can only be trusted by convention); a benchmark without
    `eval.yaml` is not a Benchmark on the Hub, so its leaderboard will not list the results (a warning).
    """
    found = backend.lookup(ref.repo, "dataset", ref.revision)
    at = f"{ref.repo}@{ref.revision or 'main'}"
    if found is None:
        raise UsageError(
            f"{what} {at} is not a dataset (or has no such revision) on {backend.where}: push the benchmark "
            f"there first (wa-hub push BENCH_FOLDER --repo {ref.repo}), or name the one that was pushed"
        )
    if "eval.yaml" not in found.files:
        log.warning(
            "%s has no eval.yaml, so the Hub does not treat it as a Benchmark and lists no results for it; "
            "push the benchmark again with this wa-hub (it writes eval.yaml)",
            at,
        )
    return card.BenchRef(ref.repo, ref.revision, found.sha)


def _dataset_ref(
    backend: Backend, run: schema.RunRecord, override: str | None, run_dir: Path
) -> tuple[str | None, str | None]:
    """(training dataset repo id, revision) for the card, from --dataset-repo or run.json's dataset.

    --dataset-repo must exist at its revision on the hub pushed to; a Hub dataset that run.json names and
    that is not there gets a warning (the card names it; the link may not resolve there).
    """
    if override:
        repo, rev = card.split_ref(override, "--dataset-repo")
        if backend.lookup(repo, "dataset", rev) is None:
            raise UsageError(
                f"--dataset-repo {repo}@{rev or 'main'} is not a dataset (or has no such revision) on "
                f"{backend.where}: push the training data there first (wa-hub push DATA_FOLDER --repo {repo})"
            )
        return repo, rev
    if card.is_repo_id(run.dataset.path_or_id):
        repo, rev = run.dataset.path_or_id, run.dataset.revision
        if backend.lookup(repo, "dataset", rev) is None:
            log.warning(
                "%s/run.json trained on %s@%s, which is not on %s: the card names it, but the link will not "
                "resolve there",
                run_dir,
                repo,
                rev or "main",
                backend.where,
            )
        return repo, rev
    log.warning(
        "%s/run.json trained on the local folder %r: the card names it but cannot link it; pass "
        "--dataset-repo ORG/NAME@vX.Y.Z where that data was published",
        run_dir,
        run.dataset.path_or_id,
    )
    return None, None
