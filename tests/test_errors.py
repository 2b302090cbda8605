"""What a user can fix is one line `error: ...` (file, line, what was expected), never a traceback.

Each case is a finding of the attack in issue 16, run through the CLI as a user would run it.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wa_hub.build import sample_raw_dir
from wa_hub.cli import app
from wa_hub.errors import UsageError, WaHubError

runner = CliRunner()


def one_line_error(args: list[str], code: int | None = None) -> str:
    """Run the CLI; it must fail with exactly one line on stderr, `error: ...`; returns that line."""
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0, result.output
    if code is not None:
        assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip() and "━" not in line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sample_raw_dir(), tmp_path / "raw"))


# --- invalid UTF-8 in every reader -------------------------------------------------------------------

READERS = [  # (reader, file, command)
    ("m2", "conll14/official-2014.combined.m2", "build-bench"),
    ("iterater-jsonl", "iterater_human_sent/test.json", "build-bench"),
    ("parallel", "jfleg/test.src", "build-bench"),
    ("wnc-tsv", "wnc/biased.word.test", "build-bench"),
    ("stsb-csv", "stsb/stsb-en-test.csv", "build-bench"),
    ("alpaca-json", "alpaca/alpaca_data.json", "build-data"),
]


@pytest.mark.parametrize(("reader", "file", "command"), READERS, ids=[r[0] for r in READERS])
def test_invalid_utf8_names_the_file_and_line(raw: Path, reader: str, file: str, command: str) -> None:
    path = raw / file
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:5] + b"\xff\xfe" + lines[2][5:]  # line 3: bytes that are not UTF-8
    path.write_bytes(b"\n".join(lines))
    out = raw.parent / "out"
    line = one_line_error([command, "--raw-dir", str(raw), "--sample", "--out", str(out)])
    assert line == f"error: {path}:3: expected UTF-8 text"
    assert not out.exists()


# --- a path that does not exist is not a Hub id to retry for half a minute --------------------------------


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a model or dataset was loaded before the inputs were checked")

    monkeypatch.setattr("wa_hub.evaluate.run.load_model", refuse)
    monkeypatch.setattr("transformers.AutoModelForCausalLM.from_pretrained", refuse)
    monkeypatch.setattr("datasets.load_dataset", refuse)


def test_evaluate_a_missing_local_path_is_one_line_and_writes_nothing(
    sample_bench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_loading(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    (tmp_path / "build").mkdir()
    out = ["--out", "eval/results.json"]
    line = one_line_error(["evaluate", "runs/nope", "--bench", str(sample_bench), *out], code=2)
    assert line == "error: model runs/nope: no such folder"
    line = one_line_error(["evaluate", "tiny:llama", "--bench", "build/writing-bench", *out], code=2)
    assert line == "error: --bench build/writing-bench: no such folder"
    line = one_line_error(["evaluate", "./runs/nope", "--bench", str(sample_bench), *out], code=2)
    assert line == "error: model ./runs/nope: no such folder"
    line = one_line_error(
        ["evaluate", "tiny:llama", "--adapter", "runs/x", "--bench", str(sample_bench), *out]
    )
    assert line == "error: --adapter runs/x: no such folder"
    assert not (tmp_path / "eval").exists()  # no predictions/meta.json for a run that never started


def test_a_hub_id_the_hub_cannot_confirm_is_one_line(
    sample_bench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline (HF_HUB_OFFLINE) and not cached, or the Hub unreachable: one line, before any loading."""
    from huggingface_hub import constants

    _no_loading(monkeypatch)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    out = ["--out", str(tmp_path / "eval" / "results.json")]
    line = one_line_error(["evaluate", "acme/nope", "--bench", str(sample_bench), *out], code=2)
    assert line.startswith("error: model acme/nope: no such local folder, and not in the Hub cache")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nobody listens: refused at once
    line = one_line_error(["evaluate", "tiny:llama", "--bench", "acme/writing-bench", *out], code=2)
    assert line.startswith("error: --bench acme/writing-bench: no such local folder, and the Hub cannot be")
    assert not (tmp_path / "eval").exists()


def test_train_without_its_data_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_loading(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    args = ["train", "--recipe", "tiny-cpu", "--set", "data.path=build/writing-instruct", "-o", "runs/t"]
    line = one_line_error(args, code=2)
    assert line.startswith("error: data.path build/writing-instruct: no such folder; build it with")


# --- bad files and paths -----------------------------------------------------------------------------------


def test_a_broken_spec_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "bench.yaml"
    spec.write_text("name: writing-bench\nsets: [conll14\n")
    line = one_line_error(["build-bench", "--sample", "--spec", str(spec), "--out", str(tmp_path / "o")])
    assert line.startswith(f"error: {spec}:3: expected a builder spec in valid YAML (")


def test_a_path_with_markup_characters_is_printed_as_it_is(sample_bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "we[/]ird [bold]x" / "results.json"
    args = ["evaluate", "-", "--bench", str(sample_bench), "--predictions-from", "references"]
    result = runner.invoke(app, [*args, "--sets", "sts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout and out.is_file()


def test_a_corrupt_predictions_meta_is_one_line(sample_bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    args = [
        "evaluate",
        "-",
        "--bench",
        str(sample_bench),
        "--predictions-from",
        "references",
        "--sets",
        "sts",
    ]
    assert runner.invoke(app, [*args, "--out", str(out)]).exit_code == 0
    (tmp_path / "predictions" / "meta.json").write_text('{"model": {"source": ')
    line = one_line_error([*args, "--out", str(out)])
    assert line.startswith(f"error: {tmp_path / 'predictions' / 'meta.json'}:1: expected a PredictionsMeta")


def test_a_full_disk_is_one_line_and_leaves_no_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    line = one_line_error(["build-bench", "--sample", "--out", str(tmp_path / "bench")], code=1)
    assert line == "error: No space left on device; free some space, or write elsewhere, and run it again"
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    def no_room(path: str, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr("wa_hub.fileio.os.fdopen", no_room)
    line = one_line_error(["build-bench", "--sample", "--out", str(tmp_path / "bench")], code=1)
    assert "No space left on device; free some space" in line


def test_report_on_a_bad_results_file_is_one_line(reference_results: Any, tmp_path: Path) -> None:
    from wa_hub.schema import dump

    obj = dump(reference_results)
    obj["sets"]["conll14"]["score"] = "high"
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps(obj))
    line = one_line_error(["report", str(bad)])
    assert line.startswith(f"error: {bad}: expected a valid Results: field sets.conll14.score")
    bad.write_bytes(b'{"model": "\xff"}\n')
    assert one_line_error(["report", str(bad)]) == f"error: {bad}:1: expected UTF-8 text"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "training.lr_scheduler=bogus_sched",
            "unknown lr_scheduler 'bogus_sched'; transformers knows linear",
        ),
        ("training.optim=adamw_bogus", "unknown optim 'adamw_bogus'; transformers knows adamw_torch"),
        ("training.learning_rate=.inf", "training.learning_rate: Input should be a finite number"),
        ("lora.dropout=.nan", "lora.dropout: Input should be a finite number"),
    ],
)
def test_a_recipe_value_transformers_would_refuse_fails_the_dry_run(override: str, message: str) -> None:
    result = runner.invoke(app, ["train", "--recipe", "tiny-cpu", "--set", override, "--dry-run"])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_library_value_errors_are_wa_hub_errors() -> None:
    """What escaped the CLI's handler as a ValueError (a traceback) is a WaHubError."""
    from wa_hub.evaluate.scoring import score_set
    from wa_hub.metrics import gleu, sari
    from wa_hub.prompts import task_prompt

    with pytest.raises(UsageError, match="iterations must be >= 1"):
        gleu(["a"], [["a"]], ["a"], iterations=0)
    with pytest.raises(UsageError, match="sampling must be 'python2' or 'python3'"):
        gleu(["a"], [["a"]], ["a"], sampling="python4")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="tokenizer must be '13a', 'intl' or 'none'"):
        sari(["a"], [["a"]], ["a"], tokenizer="moses")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown task 'poetry'"):
        task_prompt("poetry")
    with pytest.raises(WaHubError, match="2 rows but 1 predictions"):
        score_set("sari", [{"input": "a", "references": ["a"], "m2": ""}] * 2, ["a"])
