"""`python -m wa_hub.train ARGS` (what `accelerate launch -m wa_hub.train` runs in every process)."""

import sys

from wa_hub.cli import app

if __name__ == "__main__":
    app(args=["train", *sys.argv[1:]], prog_name="wa-hub")
