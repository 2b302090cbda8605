"""The metric registry: one MetricSpec per metric, dispatch by what each reads, one result type."""

from __future__ import annotations

import pytest

from wa_hub.errors import UsageError
from wa_hub.metrics import METRICS, MetricSpec, errant, get_metric, gleu, m2, sari, score, sentence_stats
from wa_hub.schema import MetricResult

GOLD = [
    "S This are a sentence .\nA 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0",
    "S He go to school .\nA 1 2|||R:VERB:SVA|||goes|||REQUIRED|||-NONE-|||0",
]
SOURCES = ["This are a sentence .", "He go to school ."]
REFS = [["This is a sentence .", "This is one sentence ."], ["He goes to school .", "He went to school ."]]
HYPS = ["This is a sentence .", "He go to school ."]


def test_every_metric_is_registered_with_what_it_reads() -> None:
    assert list(METRICS) == ["m2", "errant", "gleu", "sari"]
    assert {n: (s.label, s.inputs) for n, s in METRICS.items()} == {
        "m2": ("M2", "m2"),
        "errant": ("ERRANT", "m2"),
        "gleu": ("GLEU", "refs"),
        "sari": ("SARI", "refs"),
    }
    for name, spec in METRICS.items():
        assert isinstance(spec, MetricSpec) and spec.name == name and spec.higher_is_better
        assert get_metric(name) is spec and spec.description
    assert (get_metric("m2").compute, get_metric("errant").compute) == (m2, errant)
    assert (get_metric("gleu").compute, get_metric("sari").compute) == (gleu, sari)


def test_spec_is_frozen() -> None:
    with pytest.raises(AttributeError):
        get_metric("m2").inputs = "refs"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["m2", "errant"])
def test_f_score_metrics_fill_precision_recall_f_beta(name: str) -> None:
    # every input given: the ones the metric does not read are ignored
    result = score(name, hypotheses=HYPS, gold_m2=GOLD, sources=SOURCES, references=[[], []])
    assert isinstance(result, MetricResult) and result.metric == name and result.n == 2
    assert (result.precision, result.recall, result.beta) == (100.0, 50.0, 0.5)
    assert result.score == result.f_beta == pytest.approx(250 / 3)
    assert result.counts == (
        {"correct": 1, "proposed": 1, "gold": 2} if name == "m2" else {"tp": 1, "fp": 0, "fn": 1}
    )
    assert result.components == {}
    assert (result.categories is not None) == (name == "errant")
    assert score(name, hypotheses=HYPS, gold_m2=GOLD, beta=1.0).f_beta == pytest.approx(200 / 3)


@pytest.mark.parametrize("name", ["gleu", "sari"])
def test_reference_metrics_have_a_score_and_components(name: str) -> None:
    result = score(name, sources=SOURCES, references=REFS, hypotheses=HYPS, gold_m2=["", ""])
    assert result.metric == name and result.n == 2 and 0 < result.score < 100
    assert result.precision is result.recall is result.f_beta is result.beta is None
    assert set(result.components) == ({"std"} if name == "gleu" else {"add", "keep", "delete"})
    assert result.settings["references"] == 2
    plain = METRICS[name].compute(SOURCES, REFS, HYPS)
    tokenize = {"tokenize": "none"} if name == "gleu" else {}  # score records how gleu's input was tokenized
    assert result == plain.model_copy(update={"settings": {**plain.settings, **tokenize}})


def test_options_reach_the_metric() -> None:
    result = score("sari", sources=SOURCES, references=REFS, hypotheses=HYPS, deletion="precision")
    assert result.settings["deletion"] == "precision"
    assert (
        score("gleu", sources=SOURCES, references=REFS, hypotheses=HYPS, iterations=3).settings["iterations"]
        == 3
    )


def test_sentence_stats_dispatch_like_score() -> None:
    for name, spec in METRICS.items():
        kwargs = {"gold_m2": GOLD} if spec.inputs == "m2" else {"sources": SOURCES, "references": REFS}
        stats = sentence_stats(name, hypotheses=HYPS, **kwargs)  # type: ignore[arg-type]
        assert stats.metric == name and stats.n == 2
        assert spec.aggregate(stats) == score(name, hypotheses=HYPS, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="these are sari statistics, not gleu's"):
        get_metric("gleu").aggregate(
            sentence_stats("sari", sources=SOURCES, references=REFS, hypotheses=HYPS)
        )


def test_missing_inputs_and_unknown_names_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown metric 'bleu'; known: m2, errant, gleu, sari"):
        score("bleu", hypotheses=["a"])
    with pytest.raises(UsageError, match="gold_m2"):
        score("errant", hypotheses=["a"])
    with pytest.raises(UsageError, match="sources and references"):
        score("gleu", hypotheses=["a"], references=[["a"]])
    with pytest.raises(UsageError, match="gold_m2"):
        sentence_stats("m2", hypotheses=["a"])


def test_importing_the_metrics_loads_no_spacy() -> None:
    import subprocess
    import sys

    code = "import sys, wa_hub.metrics; print('spacy' in sys.modules, 'errant' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
