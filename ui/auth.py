"""Who is asking: the session cookie, the login and logout pages, and the gate that refuses pages and their API
to anonymous or wrong-role requests at the HTTP level."""
from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import quote, urlparse

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.office import ROLES, Services, User

from .ratelimit import RateLimiter
from .render import esc

COOKIE = "ipbot_session"
PROTECTED = {"/staff": "staff", "/admin": "editor"}
LOGOUT_FORM = ('<form method="post" action="/logout" class="ipbot-logout"><button type="submit" id="logout">退出登录 Log out</button></form>')


def session_user(services: Services, cookies: dict) -> User | None:
    """The logged-in user of a request's cookies, or None."""
    return services.accounts.session_user(cookies.get(COOKIE))


def request_user(services: Services, request) -> User | None:
    """The logged-in user behind a Gradio or FastAPI request, or None."""
    return session_user(services, dict(request.cookies)) if request is not None else None


def required_role(path: str) -> str | None:
    """The role a path needs (its own or its API's), or None for public paths."""
    for prefix, role in PROTECTED.items():
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:28em;margin:4em auto;padding:0 1em;color:#222}}
label{{display:block;margin:.8em 0 .2em}}input{{width:100%;padding:.5em;font-size:1em;box-sizing:border-box}}
button{{margin-top:1.2em;padding:.6em 1.4em;font-size:1em;background:#f97316;color:#fff;border:0;border-radius:6px;cursor:pointer}}
.error{{color:#b91c1c}}a{{color:#c2410c}}</style></head><body>{body}</body></html>""", status_code=status)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return ""
    return target


def login_page(next_url: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    """The login form (name, password), with an optional error line."""
    err = f'<p class="error" id="login-error">{esc(error)}</p>' if error else ""
    return _page("登录 Log in · ipbot", f"""<h1>ipbot 工作人员登录 <small>Staff log in</small></h1>{err}
<form method="post" action="/login"><input type="hidden" name="next" value="{esc(next_url)}">
<label for="username">用户名 User name</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">密码 Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login" type="submit">登录 Log in</button></form><p><a href="/">← 返回公众咨询 Back to the public chat</a></p>""", status)


def forbidden_page(user: User, needed: str) -> HTMLResponse:
    """403: the user is logged in but their role does not open this page."""
    allowed = ", ".join(ROLES[ROLES.index(needed):])
    return _page("403 · ipbot", f"""<h1>403 无权访问 Forbidden</h1>
<p id="forbidden">账号 {esc(user.name)}（角色 {esc(user.role)}）不能打开此页面，需要以下角色之一：{esc(allowed)}。</p>
<p>Your account ({esc(user.role)}) cannot open this page; it needs one of: {esc(allowed)}.</p>
<p><a href="{'/staff' if user.can('staff') else '/'}">← 返回 Back</a></p>{LOGOUT_FORM}""", 403)


def home_of(user: User) -> str:
    """Where a user lands after logging in."""
    return "/admin/" if user.can("editor") else "/staff/"


class RoleGate:
    """ASGI middleware: /staff… needs a staff session, /admin… an editor session, for pages, assets and API calls alike.
    Anonymous page requests are redirected to /login; anonymous API requests get 401; wrong roles get 403."""

    def __init__(self, app, services: Services) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        needed = required_role(scope.get("path", ""))
        if needed is None:
            return await self.app(scope, receive, send)
        jar = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:
                    pass
        user = session_user(self.services, {k: m.value for k, m in jar.items()})
        if user is not None and user.can(needed):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 4403 if user else 4401})
        path = scope["path"]
        is_page = scope.get("method") == "GET" and "/gradio_api/" not in path and not path.rstrip("/").endswith(("config", "info"))
        if user is not None:
            response: Response = forbidden_page(user, needed)
        elif is_page:
            query = scope.get("query_string", b"").decode("latin-1")
            response = RedirectResponse("/login?next=" + quote(path + (f"?{query}" if query else ""), safe=""), status_code=303)
        else:
            response = Response('{"error": "log in first: POST /login"}', status_code=401, media_type="application/json")
        await response(scope, receive, send)


def add_auth_routes(app: FastAPI, services: Services) -> None:
    """GET/POST /login and /logout on the outer app."""
    settings = services.settings
    attempts = RateLimiter(settings.login_rate_limit)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = ""):
        user = request_user(services, request)
        if user is not None and not next:
            return RedirectResponse(home_of(user), status_code=303)
        return login_page(_safe_next(next))

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("")):
        client = request.client.host if request.client else "?"
        username, password = username[:200], password[:1024]
        if not attempts.allow(client):
            return login_page(_safe_next(next), f"尝试次数过多，请 {attempts.retry_after(client)} 秒后再试。Too many attempts; wait a minute.", 429)
        user = services.accounts.authenticate(username.strip(), password)
        if user is None:
            return login_page(_safe_next(next), "用户名或密码不正确。Wrong user name or password.", 401)
        token = services.accounts.start_session(user)
        services.audit.record(user.name, "login", user.role, client)
        target = _safe_next(next)
        needed = required_role(urlparse(target).path) if target else None
        response = RedirectResponse(target if target and (needed is None or user.can(needed)) else home_of(user), status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(settings.session_hours * 3600), httponly=True, samesite="lax",
                            secure=settings.secure_cookies, path="/")
        return response

    @app.get("/logout", response_class=HTMLResponse)
    def logout_form(request: Request):
        user = request_user(services, request)
        if user is None:
            return RedirectResponse("/", status_code=303)
        return _page("退出登录 Log out · ipbot", f"<h1>退出登录 <small>Log out</small></h1><p>{esc(user.name)}（{esc(user.role)}）</p>{LOGOUT_FORM}")

    @app.post("/logout")
    def logout(request: Request):
        token = request.cookies.get(COOKIE)
        user = services.accounts.session_user(token)
        services.accounts.end_session(token)
        if user is not None:
            services.audit.record(user.name, "logout", user.role)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
