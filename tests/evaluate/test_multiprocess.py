"""Real multi-process evaluation on the CPU: `accelerate launch` starts the processes (torchrun, gloo).

The lines run are the ones `wa-hub evaluate --dry-run` prints, for 2 processes and for 2 machines (two
launchers on this host meeting at 127.0.0.1). Each set's batches (3 rows, so 3 batches of the 8 sample rows,
and an uneven share: 2 for rank 0, 1 for rank 1) are planned as one process plans them and dealt out whole,
so the predictions, and the scores, are the ones of one process evaluating in place, byte for byte; the
length budget (1.5 x the batch's longest input + 16) depends on the batch, so a different split would show.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.evaluate import evaluate
from wa_hub.evaluate import predictions as pred_mod
from wa_hub.evaluate.launch import evaluate_args
from wa_hub.olah import free_port
from wa_hub.schema import EvalSettings, Results, load_model_file

CLI = [sys.executable, "-c", "from wa_hub.cli import app; app()"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}
TIMEOUT = 600
SETS = ["jfleg", "wnc", "sts"]  # metrics without spaCy
ROWS = 8  # per set in the sample benchmark


def _args(bench: Path, out: Path) -> list[str]:
    return ["tiny:llama", "--bench", str(bench), "--sets", ",".join(SETS), "--batch-size", "3", "--out",
            str(out)]  # fmt: skip


def dry_run(args: list[str]) -> list[str]:
    """The last line `wa-hub evaluate ARGS --dry-run` prints: the command that runs it."""
    res = subprocess.run([*CLI, "evaluate", *args, "--dry-run"], capture_output=True, text=True, env=ENV)
    assert res.returncode == 0, res.stdout + res.stderr
    return shlex.split(res.stdout.strip().splitlines()[-1])


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=TIMEOUT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def predictions(out: Path) -> dict[str, bytes]:
    return {c: pred_mod.set_file(out.parent / "predictions", c).read_bytes() for c in SETS}


def assert_same_results(a: Path, b: Path) -> None:
    x, y = load_model_file(a, Results), load_model_file(b, Results)
    for c in SETS:
        keep = {"seconds": 0.0, "generated": 0, "reused": 0}
        assert x.sets[c].model_copy(update=keep) == y.sets[c].model_copy(update=keep), c


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory, sample_bench: Path, tiny_model_dir: Path) -> Path:
    """The reference: one process, in place (no launcher)."""
    out = tmp_path_factory.mktemp("one") / "results.json"
    res = evaluate(
        EvalSettings(model="tiny:llama", bench=str(sample_bench), out=out, sets=SETS, batch_size=3)
    )
    assert res is not None and res.hardware is not None and res.hardware.num_processes == 1
    return out


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory, sample_bench: Path, tiny_model_dir: Path) -> Path:
    """`wa-hub evaluate --num-processes 2`: it prints and runs the line its dry run shows."""
    out = tmp_path_factory.mktemp("two") / "results.json"
    args = [*_args(sample_bench, out), "--num-processes", "2"]
    line = dry_run(args)
    assert shlex.join(line[1:10]) == (
        f"launch --config_file {line[3]} --num_processes 2 --main_process_port 0 -m wa_hub.evaluate"
    )
    res = run([*CLI, "evaluate", *args])
    assert f"[wa-hub] {shlex.join(line)}" in res.stdout
    assert res.stdout.count("wrote ") == 1  # the table and its path once (the launcher's), not per process
    return out


def test_two_processes_give_the_one_process_predictions_and_scores(
    one_process: Path, two_processes: Path
) -> None:
    assert predictions(two_processes) == predictions(one_process)
    assert_same_results(two_processes, one_process)
    hw = load_model_file(two_processes, Results).hardware
    assert hw is not None and (hw.num_processes, hw.num_machines) == (2, 1)
    assert sorted(p.name for p in (two_processes.parent / "predictions").iterdir()) == [
        "jfleg.jsonl",
        "meta.json",
        "sts.jsonl",
        "wnc.jsonl",
    ]  # fmt: skip  (the shards were merged)


_KILL_RANK_1 = """
import os, signal, sys
from wa_hub.evaluate import greedy

real, calls = greedy.greedy_rolling, []

def dying(*args):  # the rolling engine, once per set
    calls.append(1)
    on_done = args[7]

    def done(idx, tokens):
        if len(calls) == 2 and os.environ["RANK"] == "1":
            os.kill(os.getpid(), signal.SIGKILL)  # a real crash of one process: no cleanup, no finally
        on_done(idx, tokens)

    return real(*args[:7], done, *args[8:])

greedy.greedy_rolling = dying
from wa_hub.cli import app
app(args=["evaluate", *sys.argv[1:]], prog_name="wa-hub")
"""


def test_a_killed_two_process_run_resumes(two_processes: Path, sample_bench: Path, tmp_path: Path) -> None:
    """Rank 1 is SIGKILLed as its first row of the second set ends (the first set is done, the second part
    done): torchrun stops rank 0 and the launch fails with no results.json. The same command continues: it
    generates only the rows no shard holds (a batch cut off is done again whole) and ends as the
    uninterrupted run does."""
    out = tmp_path / "killed" / "results.json"
    (tmp_path / "kill_rank_1.py").write_text(_KILL_RANK_1)
    args = [*_args(sample_bench, out), "--num-processes", "2"]
    line = dry_run(args)
    module = line.index("-m")
    killed = subprocess.run(
        [*line[:module], str(tmp_path / "kill_rank_1.py"), *line[module + 2 :]],
        capture_output=True, text=True, env=ENV, timeout=TIMEOUT,
    )  # fmt: skip
    assert killed.returncode != 0, killed.stdout[-2000:]
    assert not out.exists()
    pred_dir = out.parent / "predictions"
    assert sorted(p.name for p in pred_dir.glob("jfleg.rank*.jsonl")) == [
        "jfleg.rank0.jsonl",
        "jfleg.rank1.jsonl",
    ]
    done = {c: len(pred_mod.read_done(pred_dir, c)) for c in SETS}
    assert done["jfleg"] == ROWS and done["sts"] == 0 and done["wnc"] < ROWS  # stopped in the second set

    resumed = run([*CLI, "evaluate", *args])
    assert "wrote " in resumed.stdout
    results = load_model_file(out, Results)
    for c in SETS:
        assert (results.sets[c].reused, results.sets[c].generated) == (done[c], ROWS - done[c]), c
    assert predictions(out) == predictions(two_processes)
    assert_same_results(out, two_processes)


def test_two_machines_run_the_lines_their_dry_run_prints(
    one_process: Path, sample_bench: Path, tmp_path: Path
) -> None:
    """Two launchers on this host (machine ranks 0 and 1, one process each) meet at 127.0.0.1 as two machines
    would, writing to one predictions folder; machine 0's main process scores."""
    out = tmp_path / "machines" / "results.json"
    meet = ["--num-processes", "2", "--num-machines", "2", "--main-process-ip", "127.0.0.1",
            "--main-process-port", str(free_port())]  # fmt: skip
    lines = [dry_run([*_args(sample_bench, out), *meet, "--machine-rank", str(r)]) for r in (0, 1)]
    assert "--num_machines 2 --machine_rank 1 --main_process_ip 127.0.0.1" in shlex.join(lines[1])
    procs = [
        subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        for line in lines
    ]
    logs = [p.communicate(timeout=TIMEOUT)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(log[-2000:] for log in logs)
    hw = load_model_file(out, Results).hardware
    assert hw is not None and (hw.num_processes, hw.num_machines) == (2, 2)
    assert predictions(out) == predictions(one_process)


def test_the_launched_processes_get_the_same_settings(
    sample_bench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`evaluate_args` spells out every setting: parsed again by the CLI, they are the settings."""
    import wa_hub.evaluate as evaluate_pkg

    settings = EvalSettings(
        model="tiny:llama", bench=str(sample_bench), out=tmp_path / "r.json", revision="v1", adapter="org/a",
        adapter_revision="main", model_revision="abc", decoding="top-p", batch_size=5, engine="batches",
        max_new_tokens=7, limit=3, sets=["jfleg", "sts"], tokenize="spacy", seed=4, dtype="float32",
        overwrite=True, progress=True,
    )  # fmt: skip
    assert set(EvalSettings.model_fields) - {"predictions_from"} <= set(settings.model_fields_set)
    seen: list[EvalSettings] = []

    def capture(s: EvalSettings, **kw: Any) -> None:
        seen.append(s)

    monkeypatch.setattr(evaluate_pkg, "evaluate", capture)
    res = CliRunner().invoke(app, ["evaluate", *evaluate_args(settings)])
    assert res.exit_code == 0, res.output
    assert seen == [settings]
    debug = EvalSettings(
        model="-", bench=str(sample_bench), out=tmp_path / "r.json", predictions_from="source"
    )
    res = CliRunner().invoke(app, ["evaluate", *evaluate_args(debug)])
    assert res.exit_code == 0, res.output
    assert seen[-1] == debug.model_copy(update={"progress": True})


def test_dry_run_lines(sample_bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    base = ["evaluate", *_args(sample_bench, out), "--dry-run"]
    runner = CliRunner()
    here = runner.invoke(app, base)
    assert here.exit_code == 0 and "runs in this process; equivalent to" in here.output
    expected = (
        f"-m wa_hub.evaluate tiny:llama --bench {sample_bench.resolve()} --out {out.resolve()} "
        "--decoding greedy --batch-size 3 --sets jfleg,wnc,sts --seed 0 --dtype auto"
    )
    assert here.output.strip().splitlines()[-1].endswith(expected)
    one = runner.invoke(app, [*base, "--num-processes", "1"])
    assert "--num_processes 1 --main_process_port 0 -m wa_hub.evaluate" in one.output
    bad = runner.invoke(app, [*base, "--num-machines", "2"])
    assert bad.exit_code == 2 and "needs --main-process-ip" in bad.output
    assert not out.exists() and not (tmp_path / "predictions").exists()
