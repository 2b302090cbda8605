"""A small local stand-in for the Hub's write API, enough for `HfApi` uploads, that records every request.

Endpoints (as huggingface_hub calls them, see hf_api.py, _commit_api.py, lfs.py): repo create, refs, tree,
commits, branch create/delete, validate-yaml, preupload, the LFS batch API (+ PUT upload + verify), commit
(ndjson, on any branch) and tag. Files are kept in memory per commit, so tests can read back exactly what a
push published. `before` (a callable) sees every request before it is answered: a test can kill the client
there, as a push killed between two calls; when it returns True the request is dropped unanswered and never
applied (the server never got it), so what the test reads next cannot race with the request's handling.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

LFS_SUFFIXES = (".safetensors", ".parquet", ".bin")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Commit:
    files: dict[str, bytes]
    title: str
    message: str
    parent: str | None


@dataclass
class Repo:
    repo_type: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    gated: str | bool = False

    @property
    def main(self) -> str:
        return self.branches.get("main", "")

    def sha(self, rev: str) -> str | None:
        sha = self.tags.get(rev) or self.branches.get(rev) or rev
        return sha if sha in self.commits else None


class FakeHub:
    """Run with `with FakeHub() as hub:`; `hub.url` is the endpoint, `hub.requests` the log."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.fail_commit = False
        self.before: Callable[[Request], bool | None] | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeHub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, contains: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and contains in r.path]

    def files_at(self, repo_type: str, repo_id: str, rev: str) -> dict[str, bytes]:
        repo = self.repos[(repo_type, repo_id)]
        sha = repo.sha(rev)
        assert sha is not None, rev
        return repo.commits[sha].files

    # --- the server ------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _record(self, body: Any) -> bool:
                """Log the request; False when `before` dropped it (not applied, not answered)."""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with hub._lock:
                    hub.requests.append(request)
                if hub.before is not None and hub.before(request):
                    self.close_connection = True
                    return False
                return True

            def do_GET(self) -> None:
                if self._record(None):
                    hub._route(self, "GET", None)

            def do_HEAD(self) -> None:
                if self._record(None):
                    hub._route(self, "HEAD", None)

            def do_POST(self) -> None:
                raw = self._body()
                ctype = self.headers.get("Content-Type", "")
                if "ndjson" in ctype:
                    body: Any = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
                else:
                    body = json.loads(raw) if raw else None
                if self._record(body):
                    hub._route(self, "POST", body)

            def do_DELETE(self) -> None:
                if self._record(None):
                    hub._route(self, "DELETE", None)

            def do_PUT(self) -> None:
                raw = self._body()
                is_json = "json" in self.headers.get("Content-Type", "")
                body: Any = json.loads(raw) if is_json and raw else raw
                if self._record(body if is_json else {"bytes": len(raw)}):
                    hub._route(self, "PUT", body)

        return Handler

    def _repo(self, h: Any, kind: str, org: str, name: str) -> Repo | None:
        repo = self.repos.get((kind.rstrip("s"), f"{org}/{name}"))
        if repo is None:
            h._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        return repo

    def _new_commit(
        self, repo: Repo, files: dict[str, bytes], branch: str = "main", title: str = "", message: str = ""
    ) -> str:
        parent = repo.branches.get(branch)
        sha = hashlib.sha1(repr((parent, title, sorted(files.items()))).encode()).hexdigest()
        repo.commits[sha] = Commit(files, title, message, parent)
        repo.branches[branch] = sha
        return sha

    def _resolve(self, h: Any, method: str, parts: list[str]) -> None:
        """`[datasets/]ORG/NAME/resolve/REV/PATH`: a file's bytes, with the headers hf_hub_download reads."""
        at = parts.index("resolve")
        kind = "dataset" if parts[0] == "datasets" else "model"
        repo_id = "/".join(parts[at - 2 : at])
        repo = self.repos.get((kind, repo_id))
        sha = repo.sha(parts[at + 1]) if repo else None
        data = repo.commits[sha].files.get("/".join(parts[at + 2 :])) if repo and sha else None
        if data is None:
            return h._reply(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        h.send_response(200)
        for k, v in {
            "X-Repo-Commit": sha,
            "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
            "Content-Length": str(len(data)),
            "Content-Type": "application/octet-stream",
        }.items():
            h.send_header(k, v)
        h.end_headers()
        if method == "GET":
            h.wfile.write(data)
        return None

    def _settings(self, h: Any, repo: Repo, body: Any) -> None:
        repo.gated = body.get("gated", repo.gated)
        return h._reply(200, {})

    def _route(self, h: Any, method: str, body: Any) -> None:
        path = urlparse(h.path).path
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method == "POST" and path == "/api/repos/create":
            kind = body.get("type") or "model"
            key = (kind, f"{body['organization']}/{body['name']}")
            url = f"{self.url}/{'' if kind == 'model' else kind + 's/'}{key[1]}"
            if key in self.repos:  # the Hub answers 409 with the url; HfApi(exist_ok=True) reads it
                return h._reply(409, {"error": "You already created this repo", "url": url})
            repo = self.repos[key] = Repo(kind, body.get("visibility") == "private")
            attributes = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
            self._new_commit(repo, {".gitattributes": attributes}, title="initial commit")
            return h._reply(200, {"url": url})
        if method == "POST" and path == "/api/validate-yaml":
            return h._reply(200, {})
        if method == "PUT" and parts[0] == "_lfs":
            if hashlib.sha256(body).hexdigest() != parts[1]:
                return h._reply(400, {"error": "sha256 mismatch"})
            self.lfs[parts[1]] = body
            return h._reply(200, {})
        if method == "POST" and parts[0] == "_lfs_verify":
            return h._reply(200 if body["oid"] in self.lfs else 404, {})
        if method == "POST" and path.endswith(".git/info/lfs/objects/batch"):
            objects = [
                {"oid": o["oid"], "size": o["size"],
                 "actions": {"upload": {"href": f"{self.url}/_lfs/{o['oid']}"},
                             "verify": {"href": f"{self.url}/_lfs_verify"}}}
                for o in body["objects"]
            ]  # fmt: skip
            return h._reply(200, {"transfer": "basic", "objects": objects})
        if method in ("GET", "HEAD") and "resolve" in parts:
            return self._resolve(h, method, parts)
        if parts[0] != "api" or len(parts) < 5:
            return h._reply(404, {"error": f"no route {method} {path}"})
        kind, org, name, op = parts[1], parts[2], parts[3], parts[4]
        repo = self._repo(h, kind, org, name)
        if repo is None:
            return None
        rev = "/".join(parts[5:])
        if method == "PUT" and op == "settings":
            return self._settings(h, repo, body)
        if method == "GET" and op == "refs":
            branches = [
                {"name": b, "ref": f"refs/heads/{b}", "targetCommit": s} for b, s in repo.branches.items()
            ]
            tags = [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": s} for t, s in repo.tags.items()]
            return h._reply(200, {"branches": branches, "tags": tags, "converts": []})
        if method == "GET" and op in ("tree", "commits", "revision"):
            sha = repo.sha(parts[5])
            if sha is None:
                return h._reply(404, {"error": "Revision not found"}, {"X-Error-Code": "RevisionNotFound"})
            files = repo.commits[sha].files
            if op == "tree":
                return h._reply(
                    200,
                    [{"type": "file", "oid": "0" * 40, "size": len(v), "path": k} for k, v in files.items()],
                )
            if op == "revision":
                siblings = [{"rfilename": k} for k in files]
                return h._reply(
                    200, {"id": f"{org}/{name}", "sha": sha, "siblings": siblings, "private": False}
                )
            history = []
            at: str | None = sha
            while at is not None:
                c = repo.commits[at]
                history.append(
                    {
                        "id": at,
                        "title": c.title,
                        "message": c.message,
                        "authors": [{"user": "acme"}],
                        "date": "2025-01-01T00:00:00.000Z",
                    }
                )
                at = c.parent
            return h._reply(200, history)  # fmt: skip
        if op == "branch" and method == "POST":
            if rev in repo.branches:
                return h._reply(409, {"error": "Branch already exists"})
            start = repo.sha((body or {}).get("startingPoint") or "main")
            if start is None:
                return h._reply(404, {"error": "Revision not found"})
            repo.branches[rev] = start
            return h._reply(200, {})
        if op == "branch" and method == "DELETE":
            if rev not in repo.branches or rev == "main":
                return h._reply(404, {"error": "Branch not found"})
            del repo.branches[rev]
            return h._reply(200, {})
        if method == "POST" and op == "preupload":
            out = [
                {"path": f["path"], "shouldIgnore": False,
                 "uploadMode": "lfs" if f["path"].endswith(LFS_SUFFIXES) else "regular"}
                for f in body["files"]
            ]  # fmt: skip
            return h._reply(200, {"files": out})
        if method == "POST" and op == "commit":
            if self.fail_commit:
                return h._reply(500, {"error": "Internal Error - simulated"})
            header = body[0]["value"]
            branch = rev
            if branch not in repo.branches:
                return h._reply(404, {"error": f"Branch {branch} not found"})
            if header.get("parentCommit") not in (None, repo.branches[branch]):
                return h._reply(412, {"error": "A commit has happened since. Please refresh and try again."})
            files = dict(repo.commits[repo.branches[branch]].files)
            for line in body[1:]:
                v = line["value"]
                if line["key"] == "file":
                    files[v["path"]] = base64.b64decode(v["content"])
                elif line["key"] == "lfsFile":
                    if v["oid"] not in self.lfs:
                        return h._reply(422, {"error": f"LFS object {v['oid']} was not uploaded"})
                    files[v["path"]] = self.lfs[v["oid"]]
                elif line["key"] == "deletedFile":
                    files.pop(v["path"], None)
            sha = self._new_commit(
                repo, files, branch, header.get("summary", ""), header.get("description", "")
            )
            return h._reply(200, {"commitUrl": f"{self.url}/{org}/{name}/commit/{sha}", "commitOid": sha})
        if method == "POST" and op == "tag":
            if body["tag"] in repo.tags:
                return h._reply(409, {"error": "Tag already exists"})
            sha = repo.sha(rev)
            if sha is None:
                return h._reply(404, {"error": "Revision not found"})
            repo.tags[body["tag"]] = sha
            return h._reply(200, {})
        return h._reply(404, {"error": f"no route {method} {path}"})
