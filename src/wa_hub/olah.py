"""Serve a local git hub to unmodified HF clients with `olah` (the offline Hub mirror, MIT, on PyPI).

`olah-cli` with `offline = true` and `mirrors-path` at the hub folder answers `load_dataset`,
`from_pretrained` and `ModelCard.load` for the repos in it, once HF_ENDPOINT points at it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from wa_hub.errors import WaHubError


def olah_cli() -> str | None:
    """The `olah-cli` executable beside this Python or on PATH, or None when olah is not installed."""
    here = Path(sys.executable).parent / "olah-cli"
    if here.exists():
        return str(here)
    return shutil.which("olah-cli")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until something listens on 127.0.0.1:port; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise WaHubError(f"olah exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise WaHubError(f"olah did not listen on port {port} within {timeout:.0f}s")


def write_config(path: Path, hub_dir: Path, port: int, cache: Path) -> Path:
    """An olah config: loopback only, offline, our hub as the mirror."""
    path.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{cache}"\n'
        f'mirrors-path = ["{hub_dir}"]\n\n[accessibility]\noffline = true\n',
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def serve(hub_dir: str | Path, workdir: str | Path, timeout: float = 60.0) -> Iterator[str]:
    """Run olah over `hub_dir` on a free loopback port; yield its endpoint URL; stop it on exit."""
    cli = olah_cli()
    if cli is None:
        raise WaHubError("olah is not installed: pip install olah")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(workdir / "olah.toml", Path(hub_dir).resolve(), port, workdir / "olah-cache")
    with (workdir / "olah.out").open("wb") as log:
        proc = subprocess.Popen(
            [cli, "-c", str(config), "--log-path", str(workdir / "olah-logs")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, proc, timeout)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
