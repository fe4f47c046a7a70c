"""The web app: one FastAPI server with the public chat at /, the staff desk at /staff and the knowledge console at
/admin, the login pages, the role gate in front of them, the HTTP API (/api/v1, /v1) and the embeddable chat (/embed)."""
from __future__ import annotations

import shutil
from contextlib import asynccontextmanager

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse

from bot.office import Services

from .admin import build_admin
from .api import add_api
from .auth import RoleGate, add_auth_routes, request_user
from .chat import build_chat
from .embed import ApiCors, add_embed_routes
from .hardening import Hardening, private_upload_folder
from .render import CSS, HEAD
from .staff import build_staff


def build_server(services: Services) -> FastAPI:
    """The FastAPI app serving all three rooms; run it with uvicorn. Gradio's uploads and downloads live in a folder of
    this server's own under the data dir, removed when the server stops."""
    upload_dir = private_upload_folder(services.settings.data_dir)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        shutil.rmtree(upload_dir, ignore_errors=True)

    app = FastAPI(title="ipbot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    add_auth_routes(app, services)
    add_api(app, services)
    add_embed_routes(app, services.settings.embed_origins)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    def to_slash(prefix: str):
        def redirect() -> RedirectResponse:
            return RedirectResponse(prefix + "/", status_code=307)
        return redirect

    for prefix in ("/staff", "/admin"):
        app.add_api_route(prefix, to_slash(prefix), methods=["GET"], include_in_schema=False)

    def allowed(role: str):
        def dependency(request) -> str | None:
            user = request_user(services, request)
            return user.name if user is not None and user.can(role) else None
        return dependency

    common = dict(css=CSS, head=HEAD, ssr_mode=False, footer_links=[])
    upload_limit = f"{int(services.settings.max_file_mb)}mb"
    handlers: dict[str, set[int]] = {}
    for path, blocks, role in (("/staff", build_staff(services), "staff"), ("/admin", build_admin(services), "editor")):
        blocks.queue(default_concurrency_limit=4)
        gr.mount_gradio_app(app, blocks, path=path, auth_dependency=allowed(role), max_file_size=upload_limit, show_error=True, **common)
        handlers[path] = _seal(blocks)
    chat = build_chat(services)
    chat.queue(default_concurrency_limit=8)
    gr.mount_gradio_app(app, chat, path="/", max_file_size="1mb", show_error=False, **common)
    handlers[""] = _seal(chat)
    upload_bytes = int(services.settings.max_file_mb * 1024 * 1024) + 64 * 1024
    app.add_middleware(Hardening, handlers=handlers, allowed_origins=services.settings.allowed_origins, max_upload=upload_bytes)
    app.add_middleware(RoleGate, services=services)
    app.add_middleware(ApiCors, origins=services.settings.embed_origins)
    return app


def _seal(blocks: gr.Blocks) -> set[int]:
    """Make Gradio check every file reference a request carries (its checks run only for Blocks it thinks were
    launched; mounted ones never are), keeping files to its upload folder; returns the Blocks' handler ids."""
    blocks.has_launched = True
    return set(blocks.fns)
