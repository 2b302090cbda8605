"""The details dataset of a model push (`wa-hub push RUN --repo ORG/NAME --details`): `ORG/NAME-details`.

As lm-evaluation-harness and lighteval publish "details" next to a model, so others can inspect its outputs
and score them again without running it: one config per benchmark set (split `test`), one `DetailsRow` per
row scored (`id, input, references, prediction, hypothesis, score`), `details.json` (`DetailsManifest`:
the model version, the benchmark commit, each set's sources) and a card linking the model, the benchmark
and its revision. Tagged with the model's version.

Rows come from the benchmark that results.json names (its local folder, or the Hub dataset at its
revision), the predictions beside results.json, and the metric registry: `hypothesis` is what the metric
compared (`metrics.scored_hypotheses` with the set's `tokenize`), `score` the row's own score
(`metrics.sentence_scores`: its sentence statistics aggregated alone). Before
anything is published, the rows must give back results.json's score for the set, so a details dataset
never disagrees with the model card. The hypotheses are made again from the predictions even where a
prediction row carries the `hypothesis` evaluate wrote, so an edited prediction cannot slip through.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wa_hub import schema
from wa_hub.errors import UsageError, WaHubError
from wa_hub.hub import card
from wa_hub.hub.backend import check_repo_id
from wa_hub.study import BENCH_SETS, BenchSet

SUFFIX = "-details"


def details_repo(repo: str) -> str:
    """`ORG/NAME-details`, the details dataset of model repo `ORG/NAME`."""
    return check_repo_id(repo + SUFFIX, "--details (the repo ORG/NAME-details)")


@dataclass(frozen=True)
class SetSource:
    """Where one set's details come from: a results.json that scored it, and where that file is published."""

    set: BenchSet
    result: schema.Results
    results_path: Path
    results_in_repo: str
    bench: card.BenchRef


def set_sources(
    results: list[schema.Results], paths: list[Path], in_repo: list[str], benches: list[card.BenchRef]
) -> list[SetSource]:
    """One source per set that any results file scored: the file its headline score comes from, else (a
    set only scored in part) the first such file, greedy first."""
    out = []
    for s in BENCH_SETS:
        i = card.pick(results, s.config, whole=True)
        i = card.pick(results, s.config, whole=False) if i is None else i
        if i is not None:
            out.append(SetSource(s, results[i], paths[i], in_repo[i], benches[i]))
    return out


def _bench_rows(src: SetSource) -> list[schema.BenchRow]:
    from wa_hub.evaluate.bench import is_local, load_set

    bench = src.result.bench
    if is_local(bench.path_or_id) or card.is_repo_id(bench.path_or_id):
        return load_set(bench.path_or_id, src.set.config, bench.revision)
    raise UsageError(
        f"{src.results_path}: --details needs the benchmark's rows, but its benchmark {bench.path_or_id} is "
        "not here (a folder that was moved or deleted?); push from where the evaluation ran"
    )


def set_rows(src: SetSource) -> list[schema.DetailsRow]:
    """The details of one set, checked against results.json's score for it."""
    from wa_hub import metrics
    from wa_hub.evaluate.predictions import read_rows, set_file

    config, entry = src.set.config, src.result.sets[src.set.config]
    pred_file = set_file(src.results_path.parent / "predictions", config)
    if not pred_file.is_file():
        raise UsageError(
            f"{pred_file}: no such file; --details publishes the predictions beside results.json"
        )
    preds = read_rows(pred_file)
    bench = [r for r in _bench_rows(src) if r.id in preds]
    if len(bench) != len(preds) or len(bench) != entry.n:
        raise WaHubError(
            f"{pred_file} has {len(preds)} predictions, {len(bench)} of them for rows of the benchmark, but "
            f"{src.results_path} scored {entry.n} rows of {config}: they are not the same evaluation"
        )
    predictions = [preds[r.id].prediction for r in bench]
    # made again from the predictions (a row's saved `hypothesis` would not show an edited prediction)
    hypotheses = metrics.scored_hypotheses(
        entry.metric,
        predictions,
        tokenize=entry.tokenize,
        sources=[r.input for r in bench],
        gold_m2=[r.m2 for r in bench],
    )
    options: dict[str, Any] = {"beta": entry.beta} if entry.beta is not None else {}
    stats = metrics.sentence_stats(
        entry.metric,
        sources=[r.input for r in bench],
        hypotheses=hypotheses,
        references=[r.references for r in bench],
        gold_m2=[r.m2 for r in bench],
        **options,
    )
    corpus = metrics.get_metric(entry.metric).aggregate(stats).score
    if not math.isclose(corpus, entry.score, rel_tol=1e-9, abs_tol=1e-6):
        raise WaHubError(
            f"{config}: the predictions in {pred_file} score {corpus:.4f} on the benchmark, but "
            f"{src.results_path} says {entry.score:.4f}; the predictions, the benchmark or results.json "
            "changed since the evaluation (evaluate again, then push)"
        )
    scores = [float(x) for x in metrics.sentence_scores(stats)]  # from the statistics just checked
    return [
        schema.DetailsRow(
            id=r.id, input=r.input, references=r.references, prediction=p, hypothesis=h, score=s
        )
        for r, p, h, s in zip(bench, predictions, hypotheses, scores, strict=True)
    ]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def restricted_sources(sources: list[SetSource]) -> list[Any]:
    """Sources of the benchmark's text in the details whose licence forbids redistribution (none for a
    sample build, or a benchmark wa-hub did not build)."""
    from wa_hub.cards import restricted_sources as of_manifest
    from wa_hub.evaluate.bench import bench_manifest, is_local

    found: list[Any] = []
    for path_or_id, revision in {(s.result.bench.path_or_id, s.result.bench.revision) for s in sources}:
        if not (is_local(path_or_id) or card.is_repo_id(path_or_id)):
            continue  # not here: building the rows says so
        manifest = bench_manifest(path_or_id, revision)
        found += of_manifest(manifest) if manifest is not None else []
    return found


def build(
    out: Path, model_repo: str, tag: str, sources: list[SetSource], gated: bool = False
) -> tuple[dict[str, Path | bytes], schema.DetailsManifest]:
    """The files of `ORG/NAME-details` at `tag`, written under `out`: Parquet per set, details.json, card."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from wa_hub import __version__
    from wa_hub.cards import render_details_card

    if not sources:
        raise UsageError("--details: no results.json scored any set, so there are no details to publish")
    bench = sources[0].bench
    if len({(s.bench.repo, s.bench.sha) for s in sources}) > 1 or bench.sha is None:
        raise UsageError(
            "--details: the results files were scored on different benchmarks; push one benchmark's results"
        )
    files: dict[str, Path | bytes] = {}
    sets: dict[str, schema.DetailsSet] = {}
    arrow = schema.arrow_schema(schema.DetailsRow)
    for src in sources:
        rows = set_rows(src)
        path = out / "data" / src.set.config / "test-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = {c: [getattr(r, c) for r in rows] for c in schema.columns(schema.DetailsRow)}
        pq.write_table(pa.table(columns, schema=arrow), path, compression="zstd")
        files[path.relative_to(out).as_posix()] = path
        entry = src.result.sets[src.set.config]
        sets[src.set.config] = schema.DetailsSet(
            metric=entry.metric,
            rows=len(rows),
            score=entry.score,
            decoding=src.result.decoding.name,
            tokenize=entry.tokenize,
            results=src.results_in_repo,
            predictions_sha256=_sha256(src.results_path.parent / "predictions" / f"{src.set.config}.jsonl"),
        )
    manifest = schema.DetailsManifest(
        model=model_repo,
        version=tag[1:],
        bench=bench.repo,
        bench_revision=bench.sha,
        wa_hub_version=__version__,
        sets=sets,
    )
    files["details.json"] = (json.dumps(schema.dump(manifest), indent=2, ensure_ascii=False) + "\n").encode()
    card = render_details_card(manifest, details_repo(model_repo), bench.revision, gated)
    files["README.md"] = str(card).encode()
    return files, manifest


def same_details(published: bytes | None, manifest: schema.DetailsManifest) -> bool:
    """Whether the details.json a repo holds describes the same details (an interrupted push made them)."""
    import json

    if published is None:
        return False
    try:
        old = schema.DetailsManifest.model_validate(json.loads(published))
    except ValueError:
        return False
    return old.model_dump(exclude={"wa_hub_version"}) == manifest.model_dump(exclude={"wa_hub_version"})
