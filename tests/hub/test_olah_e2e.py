"""End to end: build data and benchmark, train tiny-cpu, evaluate it, push the data, the benchmark, the
adapter and the merged model to a local git hub, serve it with olah (offline, mirrors-path = the hub), and
read everything back with unmodified HF clients: rows, eval.yaml, .eval_results (huggingface_hub's parser),
the card (ModelCard.load), the weights.

The clients run in a subprocess because huggingface_hub reads HF_ENDPOINT when it is imported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hubtest import BENCH_REPO, DATA_REPO, REFS

from wa_hub.hub import push
from wa_hub.olah import olah_cli, serve
from wa_hub.prompts import format_prompt

CLIENT = r"""
import json, sys
import torch
import yaml
from datasets import load_dataset
from huggingface_hub import HfApi, ModelCard, hf_hub_download, parse_eval_result_entries
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

tiny, out = sys.argv[1], sys.argv[2]
ds = load_dataset("acme/writing-instruct", "mixed", revision="v1.0.0")
rows = ds["train"].to_list()
eval_yaml = yaml.safe_load(open(hf_hub_download("acme/writing-bench", "eval.yaml", repo_type="dataset",
                                                revision="v1.0.0")))
bench_sha = HfApi().dataset_info("acme/writing-bench", revision="v1.0.0").sha
eval_yaml_sets = [t["config"] for t in eval_yaml["tasks"]]

tok = AutoTokenizer.from_pretrained("acme/tiny-writing-lora", revision="v1.0.0")
message = {"role": "user", "content": "Fix grammatical errors in the text.", "input": "She go ."}
prompt = tok.apply_chat_template([message], chat_template="alpaca", tokenize=False)
batch = tok([prompt], return_tensors="pt")
base = AutoModelForCausalLM.from_pretrained(tiny)
adapter = PeftModel.from_pretrained(base, "acme/tiny-writing-lora", revision="v1.0.0").eval()
merged = AutoModelForCausalLM.from_pretrained("acme/tiny-writing", revision="v1.0.0").eval()
with torch.no_grad():
    logits = {"adapter": adapter(**batch).logits, "merged": merged(**batch).logits}
torch.save({"logits": logits, "input_ids": batch["input_ids"]}, out + "/logits.pt")

card = ModelCard.load("acme/tiny-writing-lora")  # main
pinned = ModelCard.load(hf_hub_download("acme/tiny-writing", "README.md", revision="v1.0.0"))
evals = [(r.dataset_type, r.dataset_config, r.dataset_revision, r.metric_type, r.metric_value)
         for r in card.data.eval_results]
files = HfApi().list_repo_files("acme/tiny-writing-lora", revision="v1.0.0")
entries = []
for name in sorted(f for f in files if f.startswith(".eval_results/")):
    data = yaml.safe_load(open(hf_hub_download("acme/tiny-writing-lora", name, revision="v1.0.0")))
    entries += [(name, e.dataset_id, e.task_id, e.dataset_revision, e.value, e.source_url)
                for e in parse_eval_result_entries(data)]
details = {c: load_dataset("acme/tiny-writing-lora-details", c, split="test", revision="v1.0.0").to_list()
           for c in eval_yaml_sets}
json.dump({"details": details, "rows": rows, "prompt": prompt, "evals": evals,
           "merged_library": pinned.data.library_name, "merged_evals": len(pinned.data.eval_results or []),
           "eval_yaml": eval_yaml, "bench_sha": bench_sha, "entries": entries, "files": files},
          open(out + "/client.json", "w"))
"""


@pytest.mark.skipif(olah_cli() is None, reason="olah is not installed (pip install olah)")
def test_push_then_load_through_olah(
    tmp_path: Path, tiny_model_dir: Path, sample_data: Path, sample_bench: Path, tiny_run: Path
) -> None:
    import pyarrow.parquet as pq
    import torch

    from wa_hub import schema
    from wa_hub.models import load_model
    from wa_hub.schema import Results, load_model_file
    from wa_hub.study import BENCH_SETS

    hub = tmp_path / "hub"
    push(sample_data, DATA_REPO, hub_dir=hub)
    bench = push(sample_bench, BENCH_REPO, hub_dir=hub)
    push(tiny_run, "acme/tiny-writing-lora", hub_dir=hub, details=True, **REFS)
    push(tiny_run, "acme/tiny-writing", hub_dir=hub, merged=True, **REFS)

    with serve(hub, tmp_path / "olah") as endpoint:
        env = {
            **os.environ,
            "HF_ENDPOINT": endpoint,
            "HF_HOME": str(tmp_path / "hf-home"),  # an empty cache: every byte comes through olah
            "HF_HUB_OFFLINE": "0",
            "HF_DATASETS_OFFLINE": "0",
            "HF_HUB_DISABLE_XET": "1",
        }
        client = subprocess.run(
            [sys.executable, "-c", CLIENT, str(tiny_model_dir), str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        olah_log = (tmp_path / "olah" / "olah.out").read_text()[-2000:]
        assert client.returncode == 0, client.stderr[-4000:] + olah_log

    got = json.loads((tmp_path / "client.json").read_text())
    assert got["rows"] == pq.read_table(sample_data / "data/mixed/train-00000-of-00001.parquet").to_pylist()
    assert got["prompt"] == format_prompt("Fix grammatical errors in the text.", "She go .")
    configs = [s.config for s in BENCH_SETS]
    assert [t["id"] for t in got["eval_yaml"]["tasks"]] == configs and len(configs) == 10
    assert got["eval_yaml"]["evaluation_framework"] == "wa-hub"
    assert got["bench_sha"] == bench["revision"] and re.fullmatch(r"[0-9a-f]{40}", got["bench_sha"])
    expected = load_model_file(tiny_run / "eval" / "results.json", Results).sets
    assert [e[0] for e in got["entries"]] == sorted(f".eval_results/{c}.yaml" for c in configs)
    for _, dataset_id, task_id, revision, value, source in got["entries"]:
        assert (dataset_id, revision) == (BENCH_REPO, bench["revision"]) and task_id in configs
        assert value == pytest.approx(expected[task_id].score)
        assert source.endswith("acme/tiny-writing-lora/blob/v1.0.0/eval/results.json")
    assert "eval/results.json" in got["files"]
    evals = {(cfg, mtype): (ds, rev, value) for ds, cfg, rev, mtype, value in got["evals"]}
    assert evals[("conll14", "f0.5")] == (BENCH_REPO, bench["revision"], expected["conll14"].score)
    assert evals[("sts", "sari")][2] == expected["sts"].score
    assert got["merged_library"] == "transformers" and got["merged_evals"] == len(got["evals"])

    for config in configs:  # the details dataset loads per set, one row per benchmark row scored
        rows = got["details"][config]
        assert len(rows) == expected[config].n and set(rows[0]) == set(schema.columns(schema.DetailsRow))

    served = torch.load(tmp_path / "logits.pt")
    ref = load_model(str(tiny_run))  # the run itself: its base + its adapter
    with torch.no_grad():
        ref_logits = ref.model(input_ids=served["input_ids"]).logits
    torch.testing.assert_close(served["logits"]["adapter"], ref_logits, rtol=0, atol=0)
    torch.testing.assert_close(served["logits"]["merged"], ref_logits, rtol=1e-4, atol=1e-5)
