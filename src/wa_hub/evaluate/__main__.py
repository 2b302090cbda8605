"""`python -m wa_hub.evaluate ARGS` (what `accelerate launch -m wa_hub.evaluate` runs in every process)."""

import sys

from wa_hub.cli import app

if __name__ == "__main__":
    app(args=["evaluate", *sys.argv[1:]], prog_name="wa-hub")
