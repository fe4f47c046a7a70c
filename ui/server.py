"""The web app: one FastAPI server with the public chat at /, the staff desk at /staff and the knowledge console at
/admin, the login pages, and the role gate in front of them."""
from __future__ import annotations

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse

from bot import Services

from .admin import build_admin
from .auth import RoleGate, add_auth_routes, request_user
from .chat import build_chat
from .render import CSS, HEAD
from .staff import build_staff


def build_server(services: Services) -> FastAPI:
    """The FastAPI app serving all three rooms; run it with uvicorn."""
    app = FastAPI(title="ipbot", docs_url=None, redoc_url=None, openapi_url=None)
    add_auth_routes(app, services)

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

    common = dict(css=CSS, head=HEAD, ssr_mode=False, footer_links=[], show_error=True)
    upload_limit = f"{int(services.settings.max_file_mb)}mb"
    for path, blocks, role in (("/staff", build_staff(services), "staff"), ("/admin", build_admin(services), "editor")):
        blocks.queue(default_concurrency_limit=4)
        gr.mount_gradio_app(app, blocks, path=path, auth_dependency=allowed(role), max_file_size=upload_limit, **common)
    chat = build_chat(services)
    chat.queue(default_concurrency_limit=8)
    gr.mount_gradio_app(app, chat, path="/", max_file_size="1mb", **common)
    app.add_middleware(RoleGate, services=services)
    return app
