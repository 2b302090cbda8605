"""A small local stand-in for the Hub's write API, enough for `HfApi` uploads, that records every request.

Endpoints (as huggingface_hub calls them, see hf_api.py, _commit_api.py, lfs.py): repo create, refs, tree,
validate-yaml, preupload, the LFS batch API (+ PUT upload + verify), commit (ndjson) and tag. Files are kept
in memory per commit, so tests can read back exactly what a push published.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
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
class Repo:
    repo_type: str
    private: bool
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    main: str = ""
    tags: dict[str, str] = field(default_factory=dict)


class FakeHub:
    """Run with `with FakeHub() as hub:`; `hub.url` is the endpoint, `hub.requests` the log."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.fail_commit = False
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
        sha = repo.tags.get(rev) or (repo.main if rev == "main" else rev)
        return repo.commits[sha]

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

            def _record(self, body: Any) -> None:
                with hub._lock:
                    hub.requests.append(
                        Request(
                            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )

            def do_GET(self) -> None:
                self._record(None)
                hub._route(self, "GET", None)

            def do_POST(self) -> None:
                raw = self._body()
                ctype = self.headers.get("Content-Type", "")
                if "ndjson" in ctype:
                    body: Any = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
                else:
                    body = json.loads(raw) if raw else None
                self._record(body)
                hub._route(self, "POST", body)

            def do_PUT(self) -> None:
                raw = self._body()
                self._record({"bytes": len(raw)})
                hub._route(self, "PUT", raw)

        return Handler

    def _repo(self, h: Any, kind: str, org: str, name: str) -> Repo | None:
        repo = self.repos.get((kind.rstrip("s"), f"{org}/{name}"))
        if repo is None:
            h._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        return repo

    def _new_commit(self, repo: Repo, files: dict[str, bytes]) -> str:
        sha = hashlib.sha1(repr((repo.main, sorted(files.items()))).encode()).hexdigest()
        repo.commits[sha] = files
        repo.main = sha
        return sha

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
            self._new_commit(repo, {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"})
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
        if parts[0] != "api" or len(parts) < 5:
            return h._reply(404, {"error": f"no route {method} {path}"})
        kind, org, name, op = parts[1], parts[2], parts[3], parts[4]
        repo = self._repo(h, kind, org, name)
        if repo is None:
            return None
        rev = "/".join(parts[5:])
        if method == "GET" and op == "refs":
            branches = [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.main}]
            tags = [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": s} for t, s in repo.tags.items()]
            return h._reply(200, {"branches": branches, "tags": tags, "converts": []})
        if method == "GET" and op == "tree":
            sha = repo.tags.get(parts[5]) or (repo.main if parts[5] == "main" else parts[5])
            files = repo.commits[sha]
            return h._reply(
                200, [{"type": "file", "oid": "0" * 40, "size": len(v), "path": k} for k, v in files.items()]
            )
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
            if header.get("parentCommit") not in (None, repo.main):
                return h._reply(412, {"error": "A commit has happened since. Please refresh and try again."})
            files = dict(repo.commits[repo.main])
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
            sha = self._new_commit(repo, files)
            return h._reply(200, {"commitUrl": f"{self.url}/{org}/{name}/commit/{sha}", "commitOid": sha})
        if method == "POST" and op == "tag":
            if body["tag"] in repo.tags:
                return h._reply(409, {"error": "Tag already exists"})
            repo.tags[body["tag"]] = rev
            return h._reply(200, {})
        return h._reply(404, {"error": f"no route {method} {path}"})
