"""Publishing: dataset folders and run dirs as versioned repos on the Hub (HfApi) or a local git hub.

`push(path, repo, version=..., hub_dir=...)` is the one entry point; `wa-hub push` and `build-data --push`
call it. See docs/publishing.md.
"""

from wa_hub.hub.publish import HUB_DIR_ENV, make_backend, push

__all__ = ["HUB_DIR_ENV", "make_backend", "push"]
