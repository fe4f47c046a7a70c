"""The server's outer wall, in front of the role gate and the Gradio apps: only the routes the rooms use are reachable,
request bodies are bounded, a file reference the server did not hand out is refused, and state-changing requests from
another site are turned away."""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlparse

from starlette.responses import JSONResponse

OUTER_ROUTES = {"/login", "/logout", "/healthz", "/staff", "/admin", "/embed", "/embed.js"}
API_ROUTES = ("/api/v1/", "/v1/")
API_PAGES = {"/api/docs", "/api/openapi.json"}
API_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}
UPLOAD_ROUTES = ("/api/v1/documents",)
ROOMS = ("/staff", "/admin")
GET_EXACT = {"", "/", "/config", "/theme.css", "/favicon.ico", "/manifest.json", "/robots.txt", "/gradio_api/queue/data",
             "/gradio_api/startup-events", "/gradio_api/upload_progress"}
GET_PREFIXES = ("/assets/", "/static/", "/svelte/", "/gradio_api/heartbeat/", "/gradio_api/file=", "/pwa_icon")
POST_EXACT = {"/gradio_api/queue/join", "/gradio_api/cancel", "/gradio_api/reset", "/gradio_api/upload"}
FILE_ROUTES = ("/gradio_api/upload", "/gradio_api/upload_progress", "/gradio_api/file=")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_BODY = 256 * 1024


def split_mount(path: str) -> tuple[str, str]:
    """(mount prefix, path inside it) for a request path: '/staff', '/admin' or '' for the public chat."""
    for prefix in ROOMS:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, path[len(prefix):]
    return "", path


def route_allowed(method: str, path: str) -> bool:
    """Whether a request reaches the app at all: the outer routes and what the Gradio front end of each room uses.
    The public chat neither uploads nor serves files; the API listing, run/call routes, reload stream, deep links,
    recording, monitoring and the like are closed everywhere."""
    if path in OUTER_ROUTES or path in API_PAGES:
        return method in ("GET", "HEAD") or path in ("/login", "/logout")
    if is_api_path(path):
        return method in API_METHODS
    mount, inner = split_mount(path)
    if not mount and inner.startswith(FILE_ROUTES):
        return False
    if method in ("GET", "HEAD"):
        return inner in GET_EXACT or inner.startswith(GET_PREFIXES)
    return method == "POST" and inner in POST_EXACT


def is_api_path(path: str) -> bool:
    """Whether a path is one of the HTTP API's (keys, never cookies: no cross-site check applies)."""
    return path.startswith(API_ROUTES)


def upload_folder() -> Path:
    """Where Gradio keeps the files the browser uploaded (and that this server handed out)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def _file_refs(value) -> list[str]:
    """Every ``path`` of a file object (a dict with a path, or Gradio's FileData) inside a JSON value."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            meta = item.get("meta")
            if "path" in item or "url" in item or (isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"):
                found.append(str(item.get("path") or item.get("url") or ""))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def issued_here(path: str, folder: Path) -> bool:
    """Whether a file reference names a file inside Gradio's upload folder (links resolved, so none leads out; a
    device or folder is refused). A just-uploaded file may still be on its way into the folder, so it need not exist."""
    if not path or "://" in path:
        return False
    try:
        target = Path(path).resolve()
    except (OSError, RuntimeError):
        return False
    return folder in target.parents and (target.is_file() or not target.exists())


class Hardening:
    """ASGI middleware: route allow-list, body limit, file-reference and cross-site checks.

    ``handlers`` maps a mount prefix ('', '/staff', '/admin') to the ids of its Blocks' event handlers, so a queue
    request naming a handler that does not exist is refused here instead of failing inside Gradio."""

    def __init__(self, app, handlers: dict[str, set[int]], allowed_origins: list[str] | None = None, max_body: int = MAX_BODY,
                 max_upload: int = MAX_BODY) -> None:
        self.app, self.handlers, self.max_body, self.max_upload = app, handlers, max_body, max_upload
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins or []}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 4404})
            return await self.app(scope, receive, send)
        method, path = scope.get("method", "GET"), scope.get("path", "")
        if not route_allowed(method, path):
            return await _problem(scope, receive, send, 404, "not_found", "no such route")
        if is_api_path(path):
            limit = self.max_upload if method in ("POST", "PUT") and path.startswith(UPLOAD_ROUTES) else self.max_body
            if method not in UNSAFE:
                return await self.app(scope, receive, send)
            body = await _read_body(receive, limit)
            if body is None:
                return await _problem(scope, _empty, send, 413, "too_large", f"request body over {limit // 1024} KiB")
            return await self.app(scope, _replay(body, receive), send)
        if method in UNSAFE and not self._same_site(scope):
            return await _problem(scope, receive, send, 403, "cross_site", "cross-site requests are refused")
        mount, inner = split_mount(path)
        if method not in UNSAFE or inner == "/gradio_api/upload":
            return await self.app(scope, receive, send)
        body = await _read_body(receive, self.max_body)
        if body is None:
            return await _problem(scope, _empty, send, 413, "too_large", f"request body over {self.max_body // 1024} KiB")
        if inner == "/gradio_api/queue/join":
            refusal = self._check_join(mount, body)
            if refusal:
                return await _problem(scope, _empty, send, 422, *refusal)
        return await self.app(scope, _replay(body), send)

    def _same_site(self, scope) -> bool:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin") or ""
        if not origin:
            referer = headers.get("referer") or ""
            if not referer:
                return True
            parsed = urlparse(referer)
            origin = f"{parsed.scheme}://{parsed.netloc}"
        if origin.lower() == "null":
            return False
        parsed = urlparse(origin)
        return parsed.netloc.lower() == headers.get("host", "").lower() or origin.rstrip("/").lower() in self.allowed_origins

    def _check_join(self, mount: str, body: bytes) -> tuple[str, str] | None:
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            return "bad_request", "the request is not JSON"
        if not isinstance(payload, dict):
            return "bad_request", "the request is not a JSON object"
        fn_index = payload.get("fn_index")
        if not isinstance(fn_index, int) or isinstance(fn_index, bool) or fn_index not in self.handlers.get(mount, set()):
            return "bad_request", "no such event handler"
        if not isinstance(payload.get("session_hash"), str) or not 0 < len(payload["session_hash"]) <= 64:
            return "bad_request", "a session_hash is required"
        refs = _file_refs(payload.get("data"))
        if refs and not mount:
            return "files_refused", "the public chat takes text only"
        folder = upload_folder()
        if any(not issued_here(ref, folder) for ref in refs):
            return "files_refused", "files are accepted only as uploads to this server"
        return None


async def _problem(scope, receive, send, status: int, code: str, detail: str) -> None:
    if scope.get("path", "").startswith("/v1/"):
        response = JSONResponse({"error": {"message": detail, "type": "invalid_request_error", "code": code, "param": None}}, status_code=status)
    elif is_api_path(scope.get("path", "")):
        body = {"type": f"/api/problems/{code}", "title": code.replace("_", " "), "status": status, "detail": detail, "code": code}
        response = JSONResponse(body, status_code=status, media_type="application/problem+json")
    else:
        response = JSONResponse({"error": code, "detail": detail}, status_code=status)
    await response(scope, receive, send)


async def _read_body(receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _empty():
    return {"type": "http.request", "body": b"", "more_body": False}


def _replay(body: bytes, then=None):
    """A receive channel that gives the body read already, then what the client's channel gives (its disconnect:
    a streamed response watches for it, so it must not come before the client goes)."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def private_upload_folder(data_dir: Path) -> Path:
    """A fresh folder for this server's Gradio uploads and downloads under the data dir (``GRADIO_TEMP_DIR``); folders
    left by servers that are no longer running are removed. Returns the folder."""
    import shutil

    root = Path(data_dir) / "tmp"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for old in root.glob("gradio-*"):
        pid = old.name.removeprefix("gradio-")
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"gradio-{os.getpid()}"
    folder.mkdir(exist_ok=True, mode=0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
