"""`sources fetch` against a local HTTP server: download, lock file (trust on first use), pinned
checksums, offline errors naming source and URL, manual sources."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wa_hub.cli import app
from wa_hub.errors import WaHubError
from wa_hub.fetch import LOCK_NAME, fetch_sources
from wa_hub.sources.registry import RawFile, Source, get_source


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _source(base: str, files: list[RawFile], id: str = "stsb") -> Source:
    return Source(
        id=id,
        role="test",
        tasks=("paraphrasing",),
        format="stsb-csv",
        files=tuple(files),
        name="test source",
        url=base,
        license="CC0",
        citation="none",
    )


def test_fetch_records_lock_and_detects_changes(server: tuple[str, Path], tmp_path: Path) -> None:
    base, www = server
    (www / "stsb-en-test.csv").write_text("a,b,5.0\n")
    raw = tmp_path / "raw"
    src = _source(base, [RawFile("stsb-en-test.csv", url=f"{base}/stsb-en-test.csv")])
    report = fetch_sources(raw, [src])
    assert report.fetched == ["stsb/stsb-en-test.csv"]
    assert (raw / "stsb" / "stsb-en-test.csv").read_text() == "a,b,5.0\n"
    lock = json.loads((raw / LOCK_NAME).read_text())
    assert lock["stsb/stsb-en-test.csv"]["sha256"] == hashlib.sha256(b"a,b,5.0\n").hexdigest()
    # second run: present and verified, nothing downloaded
    assert fetch_sources(raw, [src]).present == ["stsb/stsb-en-test.csv"]
    # the local file changed since it was first fetched: an error naming the lock
    (raw / "stsb" / "stsb-en-test.csv").write_text("a,b,4.0\n")
    with pytest.raises(WaHubError, match=LOCK_NAME):
        fetch_sources(raw, [src])
    # --force downloads again and records the new checksum
    (www / "stsb-en-test.csv").write_text("c,d,5.0\n")
    fetch_sources(raw, [src], force=True)
    lock = json.loads((raw / LOCK_NAME).read_text())
    assert lock["stsb/stsb-en-test.csv"]["sha256"] == hashlib.sha256(b"c,d,5.0\n").hexdigest()


def test_pinned_checksum_mismatch_is_an_error_and_leaves_no_file(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, www = server
    (www / "f.csv").write_text("tampered\n")
    src = _source(base, [RawFile("f.csv", url=f"{base}/f.csv", sha256="0" * 64)])
    with pytest.raises(WaHubError, match="does not match the pinned"):
        fetch_sources(tmp_path / "raw", [src])
    assert not (tmp_path / "raw" / "stsb").exists()  # nor an empty folder for it


def test_archive_member_is_extracted(server: tuple[str, Path], tmp_path: Path) -> None:
    base, www = server
    payload = b"S a b .\n\n"
    with tarfile.open(www / "data.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("pkg/noalt/official-2014.combined.m2")
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    rf = RawFile(
        "official-2014.combined.m2",
        url=f"{base}/data.tar.gz",
        archive_member="pkg/noalt/official-2014.combined.m2",
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    fetch_sources(tmp_path / "raw", [_source(base, [rf], id="conll14")])
    assert (tmp_path / "raw" / "conll14" / "official-2014.combined.m2").read_bytes() == payload


def test_offline_error_names_source_url_and_manual_step(tmp_path: Path) -> None:
    # a port nobody listens on: connection refused, like being offline
    url = "http://127.0.0.1:9/jfleg/test.src"
    src = _source("https://github.com/keisks/jfleg", [RawFile("test.src", url=url)], id="jfleg")
    with pytest.raises(WaHubError) as e:
        fetch_sources(tmp_path / "raw", [src])
    msg = str(e.value)
    assert "jfleg:test" in msg and url in msg and "manually" in msg
    assert not (tmp_path / "raw" / "jfleg" / "test.src").exists()


def test_hub_source_offline_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WaHubError, match=r"iterater_human_sent.*wanyu/IteraTeR_human_sent"):
        fetch_sources(tmp_path / "raw", [get_source("iterater_human_sent", "test")])


def test_cli_fetch_reports_manual_sources(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["sources", "fetch", "wnc", "wikilarge", "--raw-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "manual  wnc:train" in res.stdout and "bias_data.zip" in res.stdout
    assert "manual  wikilarge:train" in res.stdout
    res = CliRunner().invoke(app, ["sources", "fetch", "nope", "--raw-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert "unknown raw source 'nope'" in res.output


def test_offline_fetch_tries_each_host_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline: the first failure to reach a host stops every later download from it (no minutes of
    retries); each file is still listed with what to download by hand."""
    import urllib.request

    from wa_hub import fetch

    calls: list[str] = []
    real = urllib.request.urlopen

    def counted(url: str, *args: object, **kwargs: object) -> object:
        calls.append(url)
        return real(url, *args, **kwargs)  # type: ignore[arg-type]

    def no_hub_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("hf_hub_download retries an unreachable Hub; it must not be reached")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", counted)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", no_hub_download)
    base = "http://127.0.0.1:9"  # nobody listens: refused, like a host that cannot be reached
    names = ["test.src", "test.ref0", "test.ref1"]
    src = _source(base, [RawFile(n, url=f"{base}/{n}") for n in names], id="jfleg")
    hub = get_source("iterater_human_sent", "test")  # HF_HUB_OFFLINE is set for the tests
    with pytest.raises(WaHubError) as e:
        fetch_sources(tmp_path / "raw", [src, hub])
    assert calls == [f"{base}/test.src"]
    msg = str(e.value)
    assert all(f"{base}/{n}" in msg for n in names) and "127.0.0.1:9 cannot be reached" in msg
    assert "not tried: 127.0.0.1:9 cannot be reached" in msg and "wanyu/IteraTeR_human_sent" in msg


def test_cli_fetch_failure_reports_each_source_shows_manual_steps_and_leaves_no_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline: every source gets its line (failed files with what to download by hand), the manual steps
    for W&I+LOCNESS, WikiLarge and WNC are still shown, the error is one line, and RAW holds no empty
    folder (nor exists, when the fetch made it and got nothing)."""
    from wa_hub import fetch

    def offline(url: str, dest: Path) -> None:
        raise fetch.Unreachable("example.org", "offline", url)

    monkeypatch.setattr(fetch, "_download", offline)
    raw = tmp_path / "raw"
    args = ["sources", "fetch", "jfleg", "asset", "wi_locness", "wikilarge", "wnc", "--raw-dir", str(raw)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert "failed  jfleg:test: 5 of 5 file(s) not fetched" in out and "failed  asset:test" in out
    assert (
        f"by hand: download https://raw.githubusercontent.com/keisks/jfleg/master/test/test.src to {raw}"
        in out
    )
    for manual in (
        "manual  wi_locness:train",
        "manual  wikilarge:train",
        "manual  wnc:train",
        "manual  wnc:test",
    ):
        assert manual in out
    error = res.stderr.strip().splitlines()
    assert error[-1].startswith("error: 16 raw file(s) could not be fetched") and "listed above" in error[-1]
    assert not raw.exists()
    (raw / "jfleg").mkdir(parents=True)
    (raw / "jfleg" / "test.src").write_text("kept\n")
    CliRunner().invoke(app, args)  # a folder that was there stays; no other appears
    assert sorted(p.name for p in raw.iterdir()) == ["jfleg"]


def test_sources_list_shows_url_citation_and_sha256_unwrapped() -> None:
    from wa_hub.sources.registry import SOURCES

    res = CliRunner().invoke(app, ["sources", "list"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    for s in SOURCES:
        assert f"{s.key}  {s.name}  {s.url}" in lines
        assert f"  citation: {' '.join(s.citation.split())}" in lines  # whole, on one line
        for f in s.files:
            if f.sha256:
                assert any(line.startswith(f"  {s.id}/{f.name}  sha256 {f.sha256}") for line in lines)
