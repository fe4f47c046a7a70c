"""The embeddable chat: ``/embed`` is a small chat page that a service centre's website shows in an iframe, asking
through the HTTP API with a public key; ``/embed.js`` writes that iframe where a one-line ``<script>`` is pasted.
Only the origins in IPBOT_EMBED_ORIGINS may frame it (CSP frame-ancestors) or call the API from a browser (CORS)."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

SNIPPET = '<script src="{base}/embed.js" data-key="ipb_…(a public key)" async></script>'

EMBED_JS = """(function () {
  var me = document.currentScript, key = me && me.getAttribute("data-key");
  if (!key) { return; }
  var base = me.src.replace(/\\/embed\\.js.*$/, "");
  var frame = document.createElement("iframe");
  frame.src = base + "/embed#key=" + encodeURIComponent(key) + "&lang=" + encodeURIComponent(me.getAttribute("data-lang") || "");
  frame.title = me.getAttribute("data-title") || "知识产权问答 IP assistant";
  frame.style.cssText = "width:100%;max-width:28rem;height:36rem;border:1px solid #ccc;border-radius:8px";
  frame.setAttribute("referrerpolicy", "no-referrer");
  me.parentNode.insertBefore(frame, me.nextSibling);
})();
"""

EMBED_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>知识产权问答 · IP assistant</title>
<style>
 body{margin:0;font-family:system-ui,"Noto Sans CJK SC",sans-serif;display:flex;flex-direction:column;height:100vh}
 #log{flex:1;overflow-y:auto;padding:.75rem}
 .q{background:#e8f0fe;border-radius:8px;padding:.5rem;margin:.5rem 0 .5rem 2rem;white-space:pre-wrap}
 .a{background:#f5f5f5;border-radius:8px;padding:.5rem;margin:.5rem 2rem .5rem 0;white-space:pre-wrap}
 form{display:flex;gap:.5rem;padding:.5rem;border-top:1px solid #ddd}
 textarea{flex:1;font:inherit;min-height:2.75rem;resize:vertical}
 button{font:inherit;min-width:44px;min-height:44px}
</style></head>
<body>
<div id="log" role="log" aria-live="polite"></div>
<form id="ask"><label for="q" style="position:absolute;left:-9999px">问题 / Question</label>
<textarea id="q" maxlength="2000" placeholder="请输入您的知识产权问题 / Ask an IP question"></textarea>
<button type="submit">发送 / Send</button></form>
<script>
(function () {
  var params = new URLSearchParams(location.hash.slice(1)), key = params.get("key") || "", lang = params.get("lang") || null;
  var log = document.getElementById("log"), box = document.getElementById("q"), history = [];
  function add(cls, text) { var d = document.createElement("div"); d.className = cls; d.textContent = text; log.appendChild(d);
    log.scrollTop = log.scrollHeight; return d; }
  document.getElementById("ask").addEventListener("submit", function (e) {
    e.preventDefault();
    var question = box.value.trim(); if (!question) { return; }
    box.value = ""; add("q", question); var out = add("a", "…");
    fetch("/api/v1/ask", {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + key},
      body: JSON.stringify({question: question, history: history.slice(-4), language: lang === "en" || lang === "zh" ? lang : null})})
      .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
      .then(function (res) { out.textContent = res[0] ? res[1].answer : (res[1].detail || "error"); if (res[0]) { history.push(question); } })
      .catch(function () { out.textContent = "暂时无法连接，请稍后再试。 The service cannot be reached; try again later."; });
  });
})();
</script>
</body></html>
"""


def frame_ancestors(origins: list[str]) -> str:
    """The CSP that lets only the configured websites (and this server) frame the chat."""
    return "frame-ancestors 'self'" + "".join(f" {o.rstrip('/')}" for o in origins)


def add_embed_routes(app: FastAPI, origins: list[str]) -> None:
    """GET /embed (the page) and GET /embed.js (the loader a website pastes)."""
    policy = (f"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
              f"{frame_ancestors(origins)}; base-uri 'none'; form-action 'none'")

    @app.get("/embed", include_in_schema=False)
    def embed() -> HTMLResponse:
        return HTMLResponse(EMBED_PAGE, headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                                                 "Cache-Control": "no-store"})

    @app.get("/embed.js", include_in_schema=False)
    def embed_js() -> Response:
        return Response(EMBED_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


class ApiCors:
    """ASGI middleware: CORS for /api/ and /v1/ only, and only for the configured origins (no cookies: keys only)."""

    def __init__(self, app, origins: list[str]) -> None:
        self.app = app
        self.origins = {o.rstrip("/").lower() for o in origins}

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/api/", "/v1/")):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin", "")
        allowed = origin.rstrip("/").lower() in self.origins
        if scope.get("method") == "OPTIONS":
            if not allowed:
                return await Response(status_code=403)(scope, receive, send)
            return await Response(status_code=204, headers={
                "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, X-API-Key", "Access-Control-Max-Age": "600",
                "Vary": "Origin"})(scope, receive, send)
        if not allowed:
            return await self.app(scope, receive, send)

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [
                    (b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
            await send(message)

        return await self.app(scope, receive, send_with_cors)

