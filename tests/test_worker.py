"""Indexing in `ipbot worker` processes (issue 18): with IPBOT_INDEX_IN_WORKER an API upload is queued and answered at
once; the queue survives a restart of the server, a worker indexes the file, and the job tells how it went."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.office import ApiKeys, open_app_db
from browser import serving
from conftest import FAKE_LAW, run_cli

pytestmark = pytest.mark.slow
GUIDE = "# 青色灯笼示例办理须知\n\n> 类型：指南 | 适用范围：全国 | 状态：现行\n\n青色灯笼示例权的登记费为每件六十六元。\n"


def test_an_upload_waits_in_the_queue_through_a_restart_and_a_worker_indexes_it(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    data = tmp_path / "var"
    assert run_cli("ingest", str(docs), "--data-dir", str(data)).returncode == 0
    _, editor = ApiKeys(open_app_db(data)).create("cms", "editor")
    _, other = ApiKeys(open_app_db(data)).create("cms2", "editor")
    auth, env = {"Authorization": f"Bearer {editor}"}, {"IPBOT_INDEX_IN_WORKER": "1", "IPBOT_API_RATE_LIMIT": "0"}
    with serving(data, env) as (url, _):
        queued = httpx.post(url + "/api/v1/documents", headers=auth, files={"file": ("lantern.md", GUIDE.encode())}, timeout=60)
        assert queued.status_code == 202 and queued.json()["status"] == "queued", queued.text
        job = queued.json()["job_id"]
        assert queued.headers["location"] == f"/api/v1/jobs/{job}"
        assert httpx.get(url + f"/api/v1/jobs/{job}", headers={"Authorization": f"Bearer {other}"}).status_code == 404, "another key's job"
    with serving(data, env) as (url, _):
        assert httpx.get(url + f"/api/v1/jobs/{job}", headers=auth).json()["status"] == "queued", "the queue survived the restart"
        worker = subprocess.run([str(Path(sys.executable).with_name("ipbot")), "worker", "--once", "--data-dir", str(data)],
                                capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0 and "1 job(s)" in worker.stderr, worker.stderr
        done = httpx.get(url + f"/api/v1/jobs/{job}", headers=auth).json()
        assert done["status"] == "done" and done["result"]["status"] == "indexed" and done["result"]["chunks"] >= 1
        doc_id = done["result"]["doc_id"]
        assert httpx.post(url + f"/api/v1/documents/{doc_id}/publish", headers=auth).json()["status"] == "in_force"
        deadline, body = time.time() + 10, ""
        while time.time() < deadline and "六十六元" not in body:
            body = httpx.post(url + "/api/v1/ask", headers=auth, json={"question": "青色灯笼示例权登记费多少？"}, timeout=60).json()["body"]
        assert "六十六元" in body, "the server answers from what the worker indexed"
    assert not list((data / "queue").glob("*/*")), "the staged file is removed once indexed"
    audit = open_app_db(data).query("SELECT actor, action FROM audit WHERE target=?", (doc_id,))
    assert ("key:cms", "document.upload") in [tuple(r) for r in audit]
