"""Batched generation on the tiny random Llama: padding, stopping, decoding settings, clean-up."""

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


def test_batched_greedy_equals_one_by_one(tiny: Any) -> None:
    """Left padding with an attention mask must not change what greedy decoding produces."""
    batched = generate_responses(tiny.model, tiny.tokenizer, prompts(), batch_size=5, max_new_tokens=8)
    single = generate_responses(tiny.model, tiny.tokenizer, prompts(), batch_size=1, max_new_tokens=8)
    assert batched == single
    assert all("\n" not in p and "###" not in p for p in batched)


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
    batched = generate_responses(model, tok, prompts()[:3], batch_size=3, max_new_tokens=6)
    single = generate_responses(model, tok, prompts()[:3], batch_size=1, max_new_tokens=6)
    assert batched == single


def test_stop_at_next_header(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A response that runs into a new `### ...` header is cut there."""
    out = generation.clean_prediction(" fixed text .\n\n### Input:\nanother prompt")
    assert out == "fixed text ."
    config = generation.generation_config(tiny.model, tiny.tokenizer, "greedy", 8)
    assert config.stop_strings == ["###"] and config.eos_token_id == tiny.tokenizer.eos_token_id


def test_bad_batch_size(tiny: Any) -> None:
    with pytest.raises(UsageError, match="batch-size"):
        generate_responses(tiny.model, tiny.tokenizer, prompts(), batch_size=0)
