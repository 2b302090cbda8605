"""`wa-hub sources fetch`: download the raw sources that can be downloaded, into RAW/<id>/<original name>.

Checksums: a file with a pinned sha256 in the registry must match it. Other files are trusted on first
use: the sha256 seen is recorded in RAW/sources.lock.json and every later fetch checks it. Sources
behind a licence agreement are never downloaded; the report says how to get them by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from wa_hub.errors import WaHubError
from wa_hub.fileio import sha256_file, write_json
from wa_hub.sources.registry import RawFile, Source

LOCK_NAME = "sources.lock.json"
TIMEOUT_S = 60


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)  # "<id>/<file>"
    present: list[str] = field(default_factory=list)
    manual: list[tuple[str, str]] = field(default_factory=list)  # (source key, how to get it)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (source key, file, why, by hand)
    order: list[tuple[str, str]] = field(default_factory=list)  # (source key, source id), as selected

    def lines(self) -> list[str]:
        """One line per source (fetched, ok, failed or manual), each failed file below its source with
        what to download by hand; the manual sources last, with how to get them."""
        out = []
        manual = dict(self.manual)
        for key, sid in self.order:
            if key in manual:
                continue
            mine = [f for f in (*self.fetched, *self.present) if f.split("/", 1)[0] == sid]
            failed = [f for f in self.failed if f[0] == key]
            if failed:
                out.append(f"failed  {key}: {len(failed)} of {len(failed) + len(mine)} file(s) not fetched")
                for _, file, why, how in failed:
                    out.append(f"          {file}: {why}; by hand: {how}")
            elif any(f in self.fetched for f in mine):
                out.append(f"fetched {key}: {', '.join(mine)}")
            elif mine:
                out.append(f"ok      {key}: {', '.join(mine)} (present, checksum verified)")
        out += [f"manual  {key}: {how}" for key, how in self.manual]
        return out


class FetchFailed(WaHubError):
    """Some files could not be fetched; `report` says what was done, per source, and what to do by hand."""

    def __init__(self, report: FetchReport) -> None:
        details = "; ".join(
            f"{key} ({file}): {why}; to do it manually: {how}" for key, file, why, how in report.failed
        )
        super().__init__(
            f"{len(report.failed)} raw file(s) could not be fetched (offline? behind a proxy?): {details}"
        )
        self.report = report


def _read_lock(raw_dir: Path) -> dict[str, dict[str, str]]:
    path = raw_dir / LOCK_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise WaHubError(f"{path}: not valid JSON ({e}); delete it to record checksums again") from None
    return dict(data)


class Unreachable(WaHubError):
    """The host of a download cannot be reached (offline, DNS, refused, timed out): later files from the
    same host are not tried, so an offline fetch fails in seconds, not minutes of retries."""

    def __init__(self, host: str, reason: str, what: str) -> None:
        super().__init__(f"could not download {what}: {host} cannot be reached ({reason})")
        self.host = host
        self.reason = reason


def _host(rf: RawFile) -> str:
    return "huggingface.co" if rf.hub_repo else urllib.parse.urlsplit(rf.url or "").netloc


def _download(url: str, dest: Path) -> None:
    """Stream `url` to `dest`; network errors become a WaHubError naming the URL."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp, open(dest, "wb") as f:
            shutil.copyfileobj(resp, f, 1 << 20)
    except urllib.error.HTTPError as e:
        raise WaHubError(f"could not download {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", None) or e
        host = urllib.parse.urlsplit(url).netloc
        raise Unreachable(host, str(reason), url) from None
    except (OSError, ValueError) as e:
        raise WaHubError(f"could not download {url}: {e}") from None


def _extract(archive: Path, member: str, dest: Path) -> None:
    if archive.name.endswith(".zip") or zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            try:
                with z.open(member) as src, open(dest, "wb") as f:
                    shutil.copyfileobj(src, f)
            except KeyError:
                raise WaHubError(f"{archive.name} has no member {member}") from None
        return
    with tarfile.open(archive) as t:
        try:
            found = t.extractfile(member)
        except KeyError:
            found = None
        if found is None:
            raise WaHubError(f"{archive.name} has no file {member}")
        with found, open(dest, "wb") as f:
            shutil.copyfileobj(found, f)


def _hub_download(repo: str, filename: str, dest: Path) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    try:  # one quick request first: hf_hub_download retries an unreachable Hub for half a minute
        HfApi().repo_info(repo, repo_type="dataset", timeout=TIMEOUT_S)
    except RepositoryNotFoundError:
        raise WaHubError(f"could not download {filename}: no Hub dataset {repo}") from None
    except Exception as e:  # offline mode, DNS, a proxy: huggingface_hub raises many kinds
        why = f"{type(e).__name__}: {str(e).splitlines()[0]}" if str(e) else type(e).__name__
        raise Unreachable("huggingface.co", why, f"{filename} from the Hub dataset {repo}") from None
    try:
        from huggingface_hub import hf_hub_download

        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            got = hf_hub_download(repo_id=repo, filename=filename, repo_type="dataset", local_dir=tmp)
            shutil.move(got, dest)
    except Exception as e:  # huggingface_hub raises many kinds (offline, HTTP, not found)
        raise WaHubError(
            f"could not download {filename} from the Hub dataset {repo}: {type(e).__name__}: {e}"
        ) from None


def _fetch_file(rf: RawFile, dest: Path, archives: dict[str, Path], scratch: Path) -> None:
    part = dest.with_name(f".{dest.name}.part")
    try:
        if rf.hub_repo:
            _hub_download(rf.hub_repo, rf.hub_file or rf.name, part)
        elif rf.archive_member:
            assert rf.url is not None
            if rf.url not in archives:
                archive = scratch / f"archive-{len(archives)}-{Path(rf.url).name}"
                _download(rf.url, archive)
                archives[rf.url] = archive
            _extract(archives[rf.url], rf.archive_member, part)
        else:
            assert rf.url is not None
            _download(rf.url, part)
        got = sha256_file(part) if rf.sha256 else None
        if rf.sha256 and got != rf.sha256:
            raise WaHubError(
                f"{rf.origin}: sha256 {got} does not match the pinned {rf.sha256}; the published "
                "file changed or the download is corrupt"
            )
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def fetch_sources(
    raw_dir: str | Path, sources: list[Source], *, force: bool = False, progress: bool = False
) -> FetchReport:
    """Fetch every downloadable file of `sources` into `raw_dir`; raise one error listing every failure."""
    from rich.console import Console
    from rich.progress import Progress

    raw = Path(raw_dir)
    made = [p for p in (raw, *raw.parents) if not p.exists()]
    raw.mkdir(parents=True, exist_ok=True)
    lock = _read_lock(raw)
    report = FetchReport(order=[(s.key, s.id) for s in sources])
    archives: dict[str, Path] = {}
    unreachable: dict[str, str] = {}  # host -> why it cannot be reached
    todo = [(s, rf) for s in sources if not s.manual for rf in s.files if rf.downloadable]
    for s in sources:
        if s.manual and not all(p.is_file() for p in s.paths(raw)):
            report.manual.append((s.key, s.manual))
    with (
        tempfile.TemporaryDirectory(prefix=".fetch-", dir=raw) as scratch,
        Progress(console=Console(stderr=True), disable=not progress) as bar,
    ):
        step = bar.add_task("fetching raw sources", total=len(todo))
        for s, rf in todo:
            dest = raw / s.id / rf.name
            key = f"{s.id}/{rf.name}"
            bar.update(step, description=f"fetching {key}")
            new_folder = not dest.parent.exists()
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                if dest.is_file() and not force:
                    digest = _verify(dest, rf, lock.get(key, {}).get("sha256"))
                    report.present.append(key)
                else:
                    if _host(rf) in unreachable:
                        raise WaHubError(
                            f"not tried: {_host(rf)} cannot be reached ({unreachable[_host(rf)]})"
                        )
                    _fetch_file(rf, dest, archives, Path(scratch))
                    report.fetched.append(key)
                    digest = _verify(dest, rf, None if force else lock.get(key, {}).get("sha256"))
                lock.setdefault(key, {"sha256": digest, "from": rf.origin})
                if force:
                    lock[key] = {"sha256": digest, "from": rf.origin}
            except WaHubError as e:
                if isinstance(e, Unreachable):
                    unreachable.setdefault(e.host, e.reason)
                how = s.url if not rf.origin else f"download {rf.origin} to {dest}"
                report.failed.append((s.key, key, str(e), how))
                if new_folder and not any(dest.parent.iterdir()):
                    dest.parent.rmdir()  # no empty RAW/<id> folder for a source that failed
            bar.advance(step)
    if lock:
        write_json(raw / LOCK_NAME, dict(sorted(lock.items())))
    for folder in made:  # RAW itself, when this fetch made it and nothing was fetched into it
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if report.failed:
        raise FetchFailed(report)
    return report


def _verify(path: Path, rf: RawFile, locked: str | None) -> str:
    """A present file must match its pinned sha256, or the one recorded when it was first fetched.

    Returns the file's sha256, for the lock file.
    """
    got = sha256_file(path)
    if rf.sha256 and got != rf.sha256:
        raise WaHubError(
            f"{path}: sha256 {got} does not match the pinned {rf.sha256} (the published file); "
            "delete it and fetch again, or use --force"
        )
    if locked and got != locked:
        raise WaHubError(
            f"{path}: sha256 {got} differs from {locked} recorded in {LOCK_NAME} when it was first fetched; "
            "if the new file is right, fetch with --force to record it"
        )
    return got
