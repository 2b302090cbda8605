"""The registry and `wa-hub sources list`: ids, layout, JSON shape, and the pinned checksums."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import MissingFilesError
from wa_hub.sources.registry import SOURCES, require_files, select_sources

runner = CliRunner()


def test_sources_list_json_has_every_source_and_field() -> None:
    res = runner.invoke(app, ["sources", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {(r["id"], r["role"]) for r in rows} == {
        ("wi_locness", "train"),
        ("iterater_v2", "train"),
        ("turkcorpus", "train"),
        ("wikilarge", "train"),
        ("wnc", "train"),
        ("alpaca", "generic"),
        ("alpaca_gpt4", "generic"),
        ("conll14", "test"),
        ("wi_locness", "test"),
        ("jfleg", "test"),
        ("iterater_human_sent", "test"),
        ("turkcorpus", "test"),
        ("asset", "test"),
        ("wnc", "test"),
        ("stsb", "test"),
    }
    for r in rows:
        for key in ("id", "task", "role", "files", "format", "url", "license", "citation"):
            assert r[key], (r["id"], key)
    by = {(r["id"], r["role"]): r for r in rows}
    assert by[("wi_locness", "train")]["files"] == [
        "A.train.gold.bea19.m2",
        "B.train.gold.bea19.m2",
        "C.train.gold.bea19.m2",
    ]
    assert by[("turkcorpus", "train")]["files"] == ["tune.8turkers.tok.norm"] + [
        f"tune.8turkers.tok.turk.{i}" for i in range(8)
    ]
    assert by[("wnc", "train")]["fetch"] == "manual"
    assert by[("jfleg", "test")]["fetch"] == "auto"


def test_sources_list_table_and_presence(tmp_path: Path) -> None:
    (tmp_path / "stsb").mkdir()
    (tmp_path / "stsb" / "stsb-en-test.csv").write_text("a,b,5.0\n")
    res = runner.invoke(app, ["sources", "list", "--json", "--raw-dir", str(tmp_path)])
    present = {(r["id"], r["role"]): r["present"] for r in json.loads(res.stdout)}
    assert present[("stsb", "test")] is True
    assert present[("jfleg", "test")] is False
    res = runner.invoke(app, ["sources", "list"])
    assert res.exit_code == 0
    assert "iterater_human_sent" in res.stdout


def test_missing_files_are_listed_at_once_with_hints(tmp_path: Path) -> None:
    with pytest.raises(MissingFilesError) as e:
        require_files(tmp_path, select_sources(["wi_locness", "jfleg"], ["train", "test"]))
    msg = str(e.value)
    assert "9 raw file(s) missing" in msg
    assert "A.train.gold.bea19.m2" in msg and "ABCN.dev.gold.bea19.m2" in msg and "test.ref3" in msg
    assert "licence agreement" in msg
    assert "wa-hub sources fetch jfleg" in msg
    assert e.value.exit_code == 2


@pytest.mark.conformance
def test_pinned_checksums_match_the_published_files(test_data: Path) -> None:
    where = {
        "conll14": test_data / "conll14",
        "jfleg": test_data / "jfleg" / "test",
        "asset": test_data / "asset",
        "turkcorpus": test_data / "turkcorpus" / "tok",
        "stsb": test_data / "sts",
    }
    checked = 0
    for s in SOURCES:
        for f in s.files:
            if f.sha256:
                data = (where[s.id] / f.name).read_bytes()
                assert hashlib.sha256(data).hexdigest() == f.sha256, f.name
                checked += 1
    assert checked == 1 + 5 + 11 + 9 + 1
