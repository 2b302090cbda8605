"""M2 scorer edge cases as properties: empty lines, identity, gold corrections, unicode, many annotators."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wa_hub.metrics.m2 import m2
from wa_hub.schema import MetricResult

WORDS = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="|#§\x85\u180e"
    ),
    min_size=1,
    max_size=4,
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def annotated(draw: st.DrawFn) -> tuple[list[str], list[list[tuple[int, int, list[str]]]]]:
    """Distinct source tokens and, per annotator, edits on separate stretches with tokens never in the source.

    For such edits the annotator's correction is an optimal alignment of the source, so the scorer must
    recover exactly the annotated edits.
    """
    n = draw(st.integers(1, 12))
    source = [f"{w}#{i}" for i, w in enumerate(draw(st.lists(WORDS, min_size=n, max_size=n)))]
    annotators = []
    fresh = 0
    for _ in range(draw(st.integers(1, 3))):
        edits = []
        pos = 0
        while pos <= n:
            if draw(st.booleans()):
                start = pos
                end = min(n, start + draw(st.integers(0, 2)))
                k = draw(st.integers(0 if end > start else 1, 2))
                corr = [f"§{fresh + i}" for i in range(k)]
                fresh += k
                edits.append((start, end, corr))
                pos = end + 1  # at least one unchanged token before the next edit
            else:
                pos += 1
        annotators.append(edits)
    return source, annotators


def to_block(source: list[str], annotators: list[list[tuple[int, int, list[str]]]]) -> str:
    lines = ["S " + " ".join(source)]
    for ann, edits in enumerate(annotators):
        if not edits:
            lines.append(f"A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||{ann}")
        for start, end, corr in edits:
            lines.append(f"A {start} {end}|||X|||{' '.join(corr) or '-NONE-'}|||REQUIRED|||-NONE-|||{ann}")
    return "\n".join(lines)


def correct(source: list[str], edits: list[tuple[int, int, list[str]]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, corr in edits:
        out += source[pos:start] + corr
        pos = end
    return " ".join(out + source[pos:])


def in_range(result: MetricResult) -> bool:
    figures = (result.precision, result.recall, result.f_beta)
    return all(x is not None and 0.0 <= x <= 100.0 for x in figures)


@SETTINGS
@given(annotated(), st.data())
def test_gold_correction_scores_100(case: tuple, data: st.DataObject) -> None:
    source, annotators = case
    ann = data.draw(st.integers(0, len(annotators) - 1))
    result = m2([correct(source, annotators[ann])], [to_block(source, annotators)])
    assert result.precision == 100.0 and result.recall == 100.0 and result.f_beta == 100.0
    assert result.counts == dict.fromkeys(("correct", "proposed", "gold"), len(annotators[ann]))


@SETTINGS
@given(annotated())
def test_source_as_output_proposes_nothing(case: tuple) -> None:
    source, annotators = case
    result = m2([" ".join(source)], [to_block(source, annotators)])
    assert result.counts["proposed"] == 0 and result.counts["correct"] == 0 and result.precision == 100.0
    # An annotator without edits, when there is one, is chosen: nothing was missed.
    assert result.counts["gold"] == min(len(edits) for edits in annotators)


@SETTINGS
@given(st.lists(annotated(), min_size=1, max_size=4), st.data())
def test_any_hypothesis_scores_within_bounds(cases: list, data: st.DataObject) -> None:
    blocks = [to_block(s, a) for s, a in cases]
    hyps = [" ".join(data.draw(st.lists(WORDS | st.sampled_from(s), max_size=10))) for s, _ in cases]
    result = m2(hyps, blocks)
    assert in_range(result)
    assert 0 <= result.counts["correct"] <= result.counts["proposed"]
    assert result.counts["correct"] <= result.counts["gold"]


@SETTINGS
@given(annotated(), st.sampled_from(["", "   ", "\t"]))
def test_empty_hypothesis_deletes_everything(case: tuple, empty: str) -> None:
    source, annotators = case
    result = m2([empty], [to_block(source, annotators)])
    assert in_range(result)
    assert result.counts["proposed"] >= 1  # the whole source is deleted, as one or more edits


@SETTINGS
@given(annotated())
def test_one_annotator_of_many_equals_its_own_block(case: tuple) -> None:
    source, annotators = case
    hyp = correct(source, annotators[0])
    alone = m2([hyp], [to_block(source, annotators[:1])])
    together = m2([hyp], [to_block(source, annotators)])
    assert alone.f_beta == together.f_beta == 100.0


def test_empty_source_and_hypothesis() -> None:
    result = m2([""], ["S "])
    assert result.counts == {"correct": 0, "proposed": 0, "gold": 0}
