"""Two ``ipbot serve`` replicas as on two hosts (issue 18) — each with its own data dir, sharing one PostgreSQL database
(app database and document registry) and one Chroma server: a login made on one is valid on the other, an API key too,
a document uploaded through one is found by the other's search within seconds, and a restarted replica has lost
nothing."""
from __future__ import annotations

import time

import httpx
import pytest

from bot.office import Accounts, ApiKeys, open_app_db
from browser import serving
from conftest import FAKE_LAW, run_cli
from postgres import create_database

pytestmark = pytest.mark.slow
NEW_GUIDE = "# 橙色风筝示例办理须知\n\n> 类型：指南 | 适用范围：全国 | 状态：现行\n\n橙色风筝示例权的登记费为每件七十七元。\n"


def test_two_replicas_share_logins_keys_and_documents(tmp_path, postgres, chroma_server):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    data, other_host = tmp_path / "host-1", tmp_path / "host-2"
    url = create_database(postgres, "replicas")
    env = {"IPBOT_DATABASE_URL": url, "IPBOT_REGISTRY_URL": url, "IPBOT_CHROMA_URL": chroma_server, "IPBOT_API_RATE_LIMIT": "0"}
    assert run_cli("ingest", str(docs), "--data-dir", str(data), env=env).returncode == 0
    db = open_app_db(data, url)
    Accounts(db).add_user("staff1", "staff-pass-1", "staff")
    _, editor = ApiKeys(db).create("cms", "editor")
    assert not (data / "app.sqlite3").exists(), "the app database is PostgreSQL, not a file in the data dir"
    assert not (data / "registry.sqlite3").exists(), "the registry is PostgreSQL too"
    auth = {"Authorization": f"Bearer {editor}"}
    with serving(data, env) as (one, _), serving(other_host, env) as (two, _):
        with httpx.Client(base_url=one, follow_redirects=False) as first:
            assert first.post("/login", data={"username": "staff1", "password": "staff-pass-1"}).status_code == 303
            cookies = dict(first.cookies)
        with httpx.Client(base_url=two, cookies=cookies, follow_redirects=False) as second:
            assert second.get("/staff/").status_code == 200, "the session made on replica 1 is valid on replica 2"
        made = httpx.post(one + "/api/v1/documents", headers=auth, files={"file": ("kite.md", NEW_GUIDE.encode())}, timeout=120)
        assert made.status_code == 201, made.text
        doc_id = made.json()["doc_id"]
        assert httpx.post(two + f"/api/v1/documents/{doc_id}/publish", headers=auth).json()["status"] == "in_force"
        deadline, found = time.time() + 10, False
        while time.time() < deadline and not found:
            hits = httpx.post(two + "/api/v1/search", headers=auth, json={"query": "橙色风筝示例权登记费", "k": 3}).json()["results"]
            found = any("七十七元" in h["text"] for h in hits)
        assert found, "a document indexed through replica 1 is searched by replica 2 within seconds"
    with serving(other_host, env) as (again, _):
        answer = httpx.post(again + "/api/v1/ask", headers=auth, json={"question": "橙色风筝示例权登记费多少？"}, timeout=120).json()
        assert "七十七元" in answer["body"], "a restarted replica lost nothing"
        with httpx.Client(base_url=again, cookies=cookies, follow_redirects=False) as later:
            assert later.get("/staff/").status_code == 200
