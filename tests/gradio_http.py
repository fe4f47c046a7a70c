"""Gradio's queue protocol spoken over plain HTTP, as a browser (or an attacker) does: find a handler in /config, join
the queue with a payload, read the event stream until the handler completes."""
from __future__ import annotations

import json
import secrets

import httpx


def handler_index(client: httpx.Client, prefix: str, api_name: str) -> int:
    """The fn_index of the event handler called ``api_name`` in the Blocks mounted at ``prefix`` ('' for the chat)."""
    config = client.get(f"{prefix}/config").json()
    for dep in config["dependencies"]:
        if dep.get("api_name") == api_name:
            return dep["id"]
    raise LookupError(f"no handler {api_name!r} at {prefix or '/'}: {[d.get('api_name') for d in config['dependencies']]}")


def join(client: httpx.Client, prefix: str, fn_index: int, data: list, session_hash: str | None = None) -> tuple[httpx.Response, str]:
    """POST queue/join; returns the response and the session hash used."""
    session_hash = session_hash or secrets.token_hex(6)
    response = client.post(f"{prefix}/gradio_api/queue/join",
                           json={"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None, "session_hash": session_hash})
    return response, session_hash


def events(client: httpx.Client, prefix: str, session_hash: str, timeout: float = 120, event_id: str | None = None) -> list[dict]:
    """The messages of the queue's event stream for a session, up to a handler's completion (that of ``event_id``
    when given)."""
    out: list[dict] = []
    with client.stream("GET", f"{prefix}/gradio_api/queue/data", params={"session_hash": session_hash}, timeout=timeout) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            out.append(message)
            if message.get("msg") in ("process_completed", "close_stream", "unexpected_error") and \
                    (event_id is None or message.get("event_id") in (event_id, None)):
                break
    return out


def call(client: httpx.Client, prefix: str, api_name: str, data: list, timeout: float = 120, session_hash: str | None = None) -> dict:
    """Run a handler to completion (in a browser session of its own unless ``session_hash`` names one); returns the
    completion message (``success`` and ``output``)."""
    response, session_hash = join(client, prefix, handler_index(client, prefix, api_name), data, session_hash)
    response.raise_for_status()
    done = [m for m in events(client, prefix, session_hash, timeout) if m.get("msg") in ("process_completed", "unexpected_error")]
    assert done, "the handler never completed"
    return done[-1]
