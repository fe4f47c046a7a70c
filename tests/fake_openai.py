"""A scripted OpenAI-compatible server for tests: real HTTP on 127.0.0.1, stdlib only.

``POST /v1/chat/completions`` answers each call with the next scripted behaviour — a reply
(streamed as server-sent events when the request says ``stream: true``), an HTTP error, a sleep
past the client's timeout, or a malformed body/stream — and records every request's JSON.
``FakeOpenAI(refuse={"json_schema": 400})`` plays an endpoint that does not do one kind of structured
output: such requests get that HTTP status without using a scripted behaviour.
"""
from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Union
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


Text = Union[str, Callable[[dict], str]]


@dataclass
class Behaviour:
    """What the server does for one call; ``text`` may be a function of the request's JSON."""

    text: Text = ""
    status: int = 200
    delay: float = 0.0
    malformed: bool = False
    chunk_chars: int = 6
    chunk_delay: float = 0.0  # seconds between streamed pieces (a model writing at a visible pace)


def reply(text: Text) -> Behaviour:
    """Answer with ``text``, or with ``text(request)`` (streamed in small pieces when asked to stream)."""
    return Behaviour(text=text)


def error(status: int = 500) -> Behaviour:
    """Answer with an HTTP error and an OpenAI-style error body."""
    return Behaviour(status=status, text=f"scripted error {status}")


def slow(seconds: float, text: str = "too late") -> Behaviour:
    """Sleep before answering (past the client's timeout)."""
    return Behaviour(text=text, delay=seconds)


def malformed(text: str = "开头正常") -> Behaviour:
    """Start a valid reply, then send broken JSON and hang up (a plain call gets a non-JSON body)."""
    return Behaviour(text=text, malformed=True)


def answer_json(*sentences: tuple[str, list[int]], answerable: bool = True) -> str:
    """A structured reply of the answer schema: ``answer_json(("期限为十二年。", [1]))``."""
    return json.dumps({"answerable": answerable, "sentences": [{"text": t, "sources": list(n)} for t, n in sentences]}, ensure_ascii=False)


def output_format(request: dict) -> str:
    """The structured output a request asks for: 'json_schema', 'json_object', 'ollama' (the format field) or 'none'."""
    if "format" in request:
        return "ollama"
    return (request.get("response_format") or {}).get("type") or "none"


def parrot(request: dict) -> str:
    """A stand-in model: the first sentence of each of the first three sources, cited, plus one sentence with a fee
    no source states and one marker to a source that does not exist (both must be removed by the citation check);
    the same as JSON when the request asks for structured output."""
    user = request["messages"][-1]["content"]
    pairs = []
    for m in list(re.finditer(r"<source id=(\d+)>\n[^\n]*\n(.*?)\n</source>", user, re.S))[:3]:
        first = re.split(r"(?<=[。！？!?；;])", m.group(2).strip(), maxsplit=1)[0].strip()
        pairs.append((first.rstrip("。；;") + "。", [int(m.group(1))]))
    if pairs:
        pairs += [("年费为每年九百九十九元。", [1]), ("详见其他规定。", [99])]
    if output_format(request) != "none":
        return answer_json(*pairs, answerable=bool(pairs))
    return "".join(f"{t[:-1]}[{n[0]}]。" for t, n in pairs) or "NO_ANSWER"


class FakeOpenAI:
    """The server: ``script`` behaviours are used in order; ``calls`` holds the requests' JSON."""

    def __init__(self, default: Behaviour | None = None, refuse: dict[str, int] | None = None) -> None:
        self.default = default
        self.refuse = dict(refuse or {})
        self.script: deque[Behaviour] = deque()
        self.calls: list[dict] = []
        self.headers: list[dict] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL to configure (ends with /v1)."""
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def formats(self) -> list[dict]:
        """Per request, what it sent to ask for structured output: its ``response_format`` and ``format`` (Ollama) fields."""
        return [{k: c[k] for k in ("response_format", "format") if k in c} for c in self.calls]

    def push(self, *behaviours: Behaviour) -> "FakeOpenAI":
        """Queue behaviours for the next calls."""
        self.script.extend(behaviours)
        return self

    def next_behaviour(self) -> Behaviour:
        """The behaviour for the call being served: the next scripted one, else the default, else HTTP 500."""
        if self.script:
            return self.script.popleft()
        return self.default or Behaviour(status=500, text="script exhausted")

    def start(self, port: int = 0) -> "FakeOpenAI":
        """Listen on a loopback port (a free one by default) in a daemon thread."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _chunk(content: str | None, finish: str | None = None) -> dict:
    delta = {"content": content} if content is not None else {}
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeOpenAI

    def log_message(self, *args) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server_fake.calls.append(request)
        self.server_fake.headers.append(dict(self.headers))
        refused = self.server_fake.refuse.get(output_format(request))
        if refused:
            message = f"response_format type {output_format(request)!r} is not supported"
            self._send(refused, json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": refused}}).encode())
            return
        b = self.server_fake.next_behaviour()
        if callable(b.text):
            b = Behaviour(b.text(request), b.status, b.delay, b.malformed, b.chunk_chars, b.chunk_delay)
        try:
            if b.delay:
                time.sleep(b.delay)
            if b.status != 200:
                self._send(b.status, json.dumps({"error": {"message": b.text, "type": "server_error", "code": b.status}}).encode())
            elif request.get("stream"):
                self._stream(b)
            elif b.malformed:
                self._send(200, b"<html>502 Bad Gateway</html>{not json")
            else:
                body = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": request.get("model", "fake"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": b.text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                self._send(200, json.dumps(body, ensure_ascii=False).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stream(self, b: Behaviour) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

        def event(payload: str) -> None:
            self.wfile.write(f"data: {payload}\n\n".encode())
            self.wfile.flush()

        event(json.dumps({**_chunk(None), "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}))
        pieces = [b.text[i : i + b.chunk_chars] for i in range(0, len(b.text), b.chunk_chars)]
        if b.malformed:
            event(json.dumps(_chunk(pieces[0] if pieces else "x"), ensure_ascii=False))
            event('{"choices": [{"delta": {"content": "断')
            self.wfile.flush()
            self.close_connection = True
            return
        for piece in pieces:
            event(json.dumps(_chunk(piece), ensure_ascii=False))
            if b.chunk_delay:
                time.sleep(b.chunk_delay)
        event(json.dumps(_chunk(None, "stop")))
        event("[DONE]")


def main() -> None:
    """Serve the parrot model on a fixed port until interrupted: ``python tests/fake_openai.py --port 8011``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8011)
    port = parser.parse_args().port
    server = FakeOpenAI(default=reply(parrot)).start(port)
    print(f"scripted OpenAI-compatible server (parrot) on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
