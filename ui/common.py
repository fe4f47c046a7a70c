"""Pieces shared by the staff desk and the knowledge console: who is logged in, temporary export files."""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import gradio as gr

from bot.office import Services, User

from .auth import LOGOUT_FORM, request_user
from .hardening import upload_folder
from .render import esc


def require(services: Services, request: gr.Request | None, role: str) -> User:
    """The logged-in user when their role includes ``role``; otherwise a Gradio error asking to log in."""
    user = request_user(services, request)
    if user is None or not user.can(role):
        raise gr.Error("会话已过期或无权操作，请重新登录。Your session expired or lacks the role: log in again at /login.")
    return user


def who_markdown(services: Services, request: gr.Request) -> str:
    """'Logged in as NAME (role) · log out' for the page header."""
    user = request_user(services, request)
    if user is None:
        return '<div class="ipbot-bar"><a href="/login">登录 Log in</a></div>'
    links = ['<a href="/staff">工作台 Staff desk</a>'] + (['<a href="/admin">知识库控制台 Console</a>'] if user.can("editor") else [])
    return (f'<div class="ipbot-bar" id="who">已登录 Logged in: <b>{esc(user.name)}</b>（{esc(user.role)}） · {" · ".join(links)} · '
            f'{LOGOUT_FORM}</div>')


def export_file(data: bytes, stem: str, suffix: str) -> str:
    """Write bytes to a fresh file for download in this server's upload folder (removed when the server stops);
    returns its path."""
    exports = upload_folder() / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=exports))
    path = folder / f"{stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{suffix}"
    path.write_bytes(data)
    return str(path)
