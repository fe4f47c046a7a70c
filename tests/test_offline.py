"""Ingest, search and ask make no network connection: sockets are blocked, and any attempt fails the test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BLOCKER = textwrap.dedent('''
    import os, socket
    _log = os.environ["NET_ATTEMPTS_LOG"]

    def _refuse(kind, target):
        with open(_log, "a") as f:
            f.write(f"{kind} {target!r}\\n")
        raise OSError(f"network blocked by test: {kind} {target!r}")

    _orig_connect = socket.socket.connect
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse("connect", address)
        return _orig_connect(self, address)
    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse("connect_ex", address)
        return socket.socket.connect_ex.__wrapped__(self, address)
    connect_ex.__wrapped__ = socket.socket.connect_ex
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = lambda host, *a, **k: _refuse("getaddrinfo", host)
    socket.create_connection = lambda address, *a, **k: _refuse("create_connection", address)
''')


def _run_blocked(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(site), "NET_ATTEMPTS_LOG": str(tmp_path / "attempts.log"),
           "TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken-cache")}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "IPBOT_LLM_BASE_URL", "IPBOT_CHROMA_URL"):
        env.pop(key, None)
    code = "import sys; from ipbot.cli import main; sys.argv = ['ipbot', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


def test_blocker_really_blocks(tmp_path):
    res = _run_blocked(tmp_path, "--help")
    assert res.returncode == 0
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path / "site"),
                                                                "NET_ATTEMPTS_LOG": str(tmp_path / "attempts.log")})
    assert "network blocked by test" in probe.stderr
    (tmp_path / "attempts.log").unlink()


def test_ingest_search_ask_offline(tmp_path, docs_dir):
    data = str(tmp_path / "var")
    res = _run_blocked(tmp_path, "ingest", str(docs_dir), "--data-dir", data)
    assert res.returncode == 0, res.stdout + res.stderr
    res = _run_blocked(tmp_path, "search", "示例权的期限", "--json", "--data-dir", data)
    assert res.returncode == 0 and json.loads(res.stdout.splitlines()[0])["text"], res.stderr
    res = _run_blocked(tmp_path, "ask", "示例权的年费是多少", "--json", "--data-dir", data)
    assert res.returncode == 0 and not json.loads(res.stdout)["abstained"], res.stderr
    assert (tmp_path / "tiktoken-cache").is_dir() and any((tmp_path / "tiktoken-cache").iterdir())
    attempts = tmp_path / "attempts.log"
    assert not attempts.exists(), attempts.read_text()
