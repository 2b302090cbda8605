"""Batched generation on the tiny random Llama: padding, stopping, decoding settings, clean-up, and the
rolling greedy engine giving the one-by-one greedy outputs."""

from __future__ import annotations

from typing import Any

import pytest

from wa_hub.errors import UsageError
from wa_hub.evaluate import generation
from wa_hub.evaluate.generation import (
    clean_prediction,
    decoding_settings,
    default_max_new_tokens,
    generate_responses,
    length_order,
    prepare_tokenizer,
)
from wa_hub.prompts import format_prompt

TEXTS = [
    "She go to school every day .",
    "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.",
    "In 1998, the city council approved a controversial plan to build a new stadium near the river.",
    "Fix it.",
    "Researchers have found that regular exercise improves memory.",
]


@pytest.fixture(scope="module")
def tiny() -> Any:
    from wa_hub.models import load_model

    return load_model("tiny:llama")


def prompts() -> list[str]:
    return [format_prompt("Fix grammatical errors in the text.", t) for t in TEXTS]


def test_clean_prediction_keeps_only_the_response_on_one_line() -> None:
    assert clean_prediction("  She goes to school .\n\n### Instruction:\nmore") == "She goes to school ."
    assert clean_prediction("line one\nline two\r\n  line three ") == "line one line two line three"
    assert clean_prediction("###") == ""


def test_decoding_settings_follow_the_study() -> None:
    assert decoding_settings("greedy") == {"do_sample": False, "num_beams": 1}
    assert decoding_settings("beam")["num_beams"] == 4
    assert decoding_settings("top-p") == {"do_sample": True, "top_p": 0.7, "temperature": 0.2}
    with pytest.raises(UsageError, match="unknown decoding"):
        decoding_settings("nucleus")


def test_length_budget_and_order() -> None:
    assert default_max_new_tokens(20) == 46
    assert default_max_new_tokens(10_000) == 512
    assert length_order([3, 9, 1, 9]) == [1, 3, 0, 2]


@pytest.mark.parametrize("engine", ["rolling", "batches"])
def test_batched_greedy_equals_one_by_one(tiny: Any, engine: str) -> None:
    """Left padding with an attention mask must not change what greedy decoding produces."""
    single = generate_responses(
        tiny.model, tiny.tokenizer, prompts(), batch_size=1, max_new_tokens=8, engine="batches"
    )
    batched = generate_responses(
        tiny.model, tiny.tokenizer, prompts(), batch_size=5, max_new_tokens=8, engine=engine
    )
    assert batched == single
    assert all("\n" not in p and "###" not in p for p in batched)


def test_greedy_defaults_to_rolling(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generation, "generate_batch", None)  # the batches engine is not used
    out = generate_responses(tiny.model, tiny.tokenizer, prompts()[:2], max_new_tokens=3)
    assert len(out) == 2
    with pytest.raises(UsageError, match="greedily only"):
        generate_responses(tiny.model, tiny.tokenizer, prompts(), decoding="beam", engine="rolling")
    with pytest.raises(UsageError, match="unknown generation engine"):
        generate_responses(tiny.model, tiny.tokenizer, prompts(), engine="fast")


@pytest.mark.parametrize(
    ("batch_size", "prefill_rows", "slack", "copies"), [(3, 1, 64, 2), (6, 3, 64, 2), (2, 1, 1, 4)]
)
def test_rolling_rows_end_at_their_own_eos_and_refill(
    tiny_model_dir: Any,
    batch_size: int,
    prefill_rows: int,
    slack: int,
    copies: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an EOS the random model emits early in some rows, rows end at different steps; the rolling
    batch hands each finished row back at once, refills its slot, and every row is its one-by-one output
    (each with its own input's length budget), also when rows are prefilled together and when the
    preallocated cache is so narrow that its window slides back (one free column)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setattr(generation.greedy, "SLACK", slack)
    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    texts = TEXTS * copies
    rows = [format_prompt(f"Rewrite the text ({k % 3}).", t) for k, t in enumerate(texts)]
    enc = tok(rows[0], return_tensors="pt")
    first = model.generate(**enc, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    model.generation_config.eos_token_id = int(first[0, enc["input_ids"].shape[1] + 2])  # row 0's 3rd token
    single = generate_responses(model, tok, rows, inputs=texts, batch_size=1, engine="batches")
    ended: list[list[int]] = []
    rolling = generate_responses(
        model,
        tok,
        rows,
        inputs=texts,
        batch_size=batch_size,
        engine="rolling",
        prefill_rows=prefill_rows,
        on_batch=lambda i, p, r: ended.append(i),
    )
    assert rolling == single
    lengths = [len(p) for p in single]
    assert len(set(lengths)) >= 3 and lengths.count(min(lengths)) > 1  # rows ended at different steps
    assert sorted(i for e in ended for i in e) == list(range(len(rows)))
    assert len(ended) > len(rows) // batch_size  # handed back as they ended, not per batch


def test_rolling_stops_at_the_next_header(tiny_model_dir: Any) -> None:
    """A model whose head always says `#` writes `###` and stops there, as `stop_strings` does."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    vocab, hidden = model.lm_head.weight.shape
    head = torch.nn.Linear(hidden, vocab, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[tok.convert_tokens_to_ids("#")] = 1.0
    model.lm_head = head
    raw: list[str] = []
    out = generate_responses(
        model, tok, prompts()[:2], batch_size=2, engine="rolling", on_batch=lambda i, p, r: raw.extend(r)
    )
    assert out == ["", ""] and raw == ["###", "###"]
    assert generate_responses(model, tok, prompts()[:2], batch_size=2, engine="batches") == out


def test_rows_of_one_instruction_share_the_prefix() -> None:
    from wa_hub.evaluate.greedy import shared_prefix_lengths

    ids = [[1, 2, 3, 4], [1, 2, 3, 5, 6], [1, 2, 9], [7, 8]]
    assert shared_prefix_lengths(ids, ["a", "a", "a", "b"]) == [2, 2, 2, 0]
    assert shared_prefix_lengths(ids[:2], ["a", "a"]) == [3, 3]
    assert shared_prefix_lengths([[1, 2], [1, 2]], ["a", "a"]) == [1, 1]  # the last token is prefilled


def test_batches_hold_rows_of_similar_length(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = generation.generate_batch

    def spy(model: Any, tokenizer: Any, batch: list[str], **kw: Any) -> list[str]:
        seen.append(list(batch))
        return real(model, tokenizer, batch, **kw)

    monkeypatch.setattr(generation, "generate_batch", spy)
    calls: list[list[int]] = []
    out = generate_responses(
        tiny.model,
        tiny.tokenizer,
        prompts(),
        batch_size=2,
        max_new_tokens=4,
        on_batch=lambda i, p, raw: calls.append(i),
        engine="batches",
    )
    assert len(out) == len(TEXTS)
    assert [len(b) for b in seen] == [2, 2, 1]
    # longest inputs first; every row generated exactly once
    assert calls[0] == [2, 1]
    assert sorted(i for c in calls for i in c) == list(range(len(TEXTS)))


@pytest.mark.parametrize("decoding", ["beam", "top-p"])
def test_other_decodings_run(tiny: Any, decoding: str) -> None:
    out = generate_responses(tiny.model, tiny.tokenizer, prompts()[:2], decoding=decoding, max_new_tokens=4)
    assert len(out) == 2


def test_pad_falls_back_to_eos_like_smollm2(tiny_model_dir: Any) -> None:
    """Tokenizers without a pad token (LLaMA) pad with EOS, as SmolLM2's does; generation still works."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.pad_token = None
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    prepare_tokenizer(tok)
    assert tok.pad_token == tok.eos_token and tok.padding_side == "left"
    single = generate_responses(model, tok, prompts()[:3], batch_size=1, max_new_tokens=6, engine="batches")
    for engine in ("rolling", "batches"):
        assert (
            generate_responses(model, tok, prompts()[:3], batch_size=3, max_new_tokens=6, engine=engine)
            == single
        )


def test_stop_at_next_header(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A response that runs into a new `### ...` header is cut there."""
    out = generation.clean_prediction(" fixed text .\n\n### Input:\nanother prompt")
    assert out == "fixed text ."
    config = generation.generation_config(tiny.model, tiny.tokenizer, "greedy", 8)
    assert config.stop_strings == ["###"] and config.eos_token_id == tiny.tokenizer.eos_token_id


def test_bad_batch_size(tiny: Any) -> None:
    with pytest.raises(UsageError, match="batch-size"):
        generate_responses(tiny.model, tiny.tokenizer, prompts(), batch_size=0)
