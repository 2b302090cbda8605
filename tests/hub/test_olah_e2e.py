"""End to end: build data, train tiny-cpu, push dataset + adapter + merged model to a local git hub, serve it
with olah (offline, mirrors-path = the hub), and load everything back with unmodified HF clients.

The clients run in a subprocess because huggingface_hub reads HF_ENDPOINT when it is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hubtest import results_obj, write_dataset_folder

from wa_hub.hub import push
from wa_hub.olah import olah_cli, serve
from wa_hub.prompts import format_prompt

CLIENT = r"""
import json, sys
import torch
from datasets import load_dataset
from huggingface_hub import ModelCard, hf_hub_download
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

tiny, out = sys.argv[1], sys.argv[2]
ds = load_dataset("acme/writing-instruct", "mixed", revision="v1.0.0")
rows = ds["train"].to_list()

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
json.dump({"rows": rows, "prompt": prompt, "evals": evals, "merged_library": pinned.data.library_name,
           "merged_evals": len(pinned.data.eval_results or [])}, open(out + "/client.json", "w"))
"""


@pytest.mark.skipif(olah_cli() is None, reason="olah is not installed (pip install olah)")
def test_push_then_load_through_olah(tmp_path: Path, tiny_model_dir: Path) -> None:
    import torch

    from wa_hub.models import load_model
    from wa_hub.train.run import train

    hub = tmp_path / "hub"
    data = write_dataset_folder(tmp_path / "writing-instruct")
    push(data, "acme/writing-instruct", hub_dir=hub)

    run = train(
        "tiny-cpu",
        tmp_path / "runs" / "tiny-cpu",
        overrides=[f"data.path={data}", "training.max_steps=2", "training.save_steps=2"],
    )
    (run / "eval").mkdir()
    (run / "eval" / "results.json").write_text(json.dumps(results_obj("acme/writing-bench", "v1.0.0")))
    ds_ref = "acme/writing-instruct@v1.0.0"
    push(run, "acme/tiny-writing-lora", hub_dir=hub, dataset_repo=ds_ref)
    push(run, "acme/tiny-writing", hub_dir=hub, merged=True, dataset_repo=ds_ref)

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
    from hubtest import instruct_rows

    assert got["rows"] == instruct_rows("mixed")
    assert got["prompt"] == format_prompt("Fix grammatical errors in the text.", "She go .")
    expected = results_obj("acme/writing-bench", "v1.0.0")["sets"]
    evals = {(cfg, mtype): (ds, rev, value) for ds, cfg, rev, mtype, value in got["evals"]}
    assert evals[("conll14", "f0.5")] == ("acme/writing-bench", "v1.0.0", expected["conll14"]["score"])
    assert evals[("sts", "sari")][2] == expected["sts"]["score"]
    assert got["merged_library"] == "transformers" and got["merged_evals"] == len(got["evals"])

    served = torch.load(tmp_path / "logits.pt")
    ref = load_model(str(run))  # the run itself: its base + its adapter
    with torch.no_grad():
        ref_logits = ref.model(input_ids=served["input_ids"]).logits
    torch.testing.assert_close(served["logits"]["adapter"], ref_logits, rtol=0, atol=0)
    torch.testing.assert_close(served["logits"]["merged"], ref_logits, rtol=1e-4, atol=1e-5)
