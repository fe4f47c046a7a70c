"""The ``ipbot`` command line driven as a person or a script would."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli


@pytest.fixture
def built(tmp_path, docs_dir):
    """A knowledge base built by ``ipbot ingest`` from the test documents."""
    data = tmp_path / "cli-var"
    res = run_cli("ingest", str(docs_dir), "--data-dir", str(data))
    assert res.returncode == 0, res.stderr
    return data


def test_ingest_reports_each_file_and_fails_softly(tmp_path, docs_dir):
    (docs_dir / "zero.md").write_bytes(b"")
    (docs_dir / "scan.pdf").write_bytes(b"%PDF-1.7\nbroken")
    (docs_dir / "sheet.xlsx").write_bytes(b"PK")
    data = tmp_path / "v"
    res = run_cli("ingest", str(docs_dir), "--data-dir", str(data))
    assert res.returncode == 1
    lines = res.stdout.strip().splitlines()
    assert any(line.startswith("indexed:") and "example-law.md" in line for line in lines)
    assert any(line.startswith("failed:") and "zero.md" in line and "empty" in line for line in lines)
    assert any(line.startswith("skipped:") and "sheet.xlsx" in line and "unsupported" in line for line in lines)
    explicit = run_cli("ingest", str(docs_dir / "sheet.xlsx"), "--data-dir", str(data))
    assert explicit.returncode == 1 and "failed:" in explicit.stdout and "supported:" in explicit.stdout
    assert any(line.startswith("failed:") and "scan.pdf" in line for line in lines)
    assert "Traceback" not in res.stderr
    listed = run_cli("kb", "list", "--json", "--data-dir", str(data))
    assert {json.loads(x)["doc_id"] for x in listed.stdout.splitlines()} == {"example-law", "windmill-guide"}
    again = run_cli("ingest", str(docs_dir / "example-law.md"), "--data-dir", str(data))
    assert again.returncode == 0 and again.stdout.startswith("unchanged:")


def test_search_json_and_queries_file(built, tmp_path):
    res = run_cli("search", "示例权的期限是多久", "--k", "3", "--json", "--data-dir", str(built))
    assert res.returncode == 0, res.stderr
    hits = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(hits) == 3
    assert set(hits[0]) >= {"text", "source", "title", "article", "article_label", "chapter", "page", "score"}
    assert any(h["article"] == 3 for h in hits)

    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "query": "示例保护法第四条"}, {"id": "b", "query": "年费减缴"}, {"id": "c", "query": "   "}]), encoding="utf-8")
    res = run_cli("search", "--queries", str(qfile), "--k", "5", "--json", "--data-dir", str(built))
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["hits"][0]["article"] == 4
    assert rows[1]["hits"] and rows[2]["hits"] == [] and "empty" in rows[2]["error"]


def test_ask_json_cites_and_abstains(built, tmp_path):
    res = run_cli("ask", "小型企业的示例权年费可以减缴多少？", "--json", "--data-dir", str(built))
    assert res.returncode == 0, res.stderr
    answer = json.loads(res.stdout)
    assert set(answer) >= {"answer", "citations", "mode", "abstained"}
    assert not answer["abstained"] and answer["mode"] == "extractive"
    assert "百分之八十五" in answer["answer"]
    assert answer["citations"] and set(answer["citations"][0]) >= {"n", "source", "title", "article_label", "page", "quote"}
    assert "[1]" in answer["answer"]

    off = json.loads(run_cli("ask", "明天上海会下雨吗？", "--json", "--data-dir", str(built)).stdout)
    assert off["abstained"] and off["citations"] == [] and "12330" in off["answer"]

    qfile = tmp_path / "qs.jsonl"
    qfile.write_text('{"id": 1, "query": "示例权的期限"}\n{"id": 2, "query": "明天会下雨吗"}\n', encoding="utf-8")
    rows = [json.loads(x) for x in run_cli("ask", "--questions", str(qfile), "--data-dir", str(built)).stdout.splitlines()]
    assert [(r["id"], r["abstained"]) for r in rows] == [(1, False), (2, True)]


def test_kb_chunks_and_remove(built):
    res = run_cli("kb", "chunks", "example-law", "--json", "--data-dir", str(built))
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert rows and all({"doc_id", "source", "title", "page", "article", "article_label", "chapter", "text"} <= set(r) for r in rows)
    assert run_cli("kb", "remove", "example-law", "--data-dir", str(built)).returncode == 0
    missing = run_cli("kb", "remove", "example-law", "--data-dir", str(built))
    assert missing.returncode == 2 and "no document 'example-law'" in missing.stderr


def test_clear_messages_for_empty_question_and_missing_data_dir(built, tmp_path):
    res = run_cli("ask", "  ", "--data-dir", str(built))
    assert res.returncode == 2 and "empty" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("search", "专利", "--data-dir", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "no knowledge base" in res.stderr and "ipbot ingest" in res.stderr
    assert not (tmp_path / "nowhere").exists()


def test_in_force_filter(built):
    early = run_cli("search", "示例权的期限", "--json", "--in-force-on", "2020-06-01", "--data-dir", str(built))
    assert {json.loads(x)["source"] for x in early.stdout.splitlines()} == {"windmill-guide.md"}
    everything = run_cli("search", "示例权的期限", "--json", "--all-versions", "--data-dir", str(built))
    assert "example-law.md" in {json.loads(x)["source"] for x in everything.stdout.splitlines()}
    bad = run_cli("search", "示例", "--in-force-on", "yesterday", "--data-dir", str(built))
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_kb_link_adds_a_checked_link_that_later_searches_use(built):
    bad_law = run_cli("kb", "link", "风车钱能少交吗", "--law", "示例保护法", "--article", "5", "--data-dir", str(built))
    assert bad_law.returncode == 2 and "did you mean: 中华人民共和国示例保护法" in bad_law.stderr + bad_law.stdout
    bad_article = run_cli("kb", "link", "风车钱能少交吗", "--law", "中华人民共和国示例保护法", "--article", "99", "--data-dir", str(built))
    assert bad_article.returncode == 2 and "no article 99" in bad_article.stderr + bad_article.stdout
    assert "no links added" in run_cli("kb", "links", "--data-dir", str(built)).stdout
    ok = run_cli("kb", "link", "公司资金紧张，风车这块的钱能不能少给点？", "--law", "中华人民共和国示例保护法", "--article", "5", "--data-dir", str(built))
    assert ok.returncode == 0 and ok.stdout.startswith("linked:")
    again = run_cli("kb", "link", "公司资金紧张，风车这块的钱能不能少给点？", "--law", "中华人民共和国示例保护法", "--article", "5", "--data-dir", str(built))
    assert again.stdout.startswith("already linked:")
    listed = [json.loads(x) for x in run_cli("kb", "links", "--json", "--data-dir", str(built)).stdout.splitlines()]
    assert listed == [{"question": "公司资金紧张，风车这块的钱能不能少给点？", "links": [{"law": "中华人民共和国示例保护法", "article": 5}]}]
    res = run_cli("search", "公司资金紧张，风车这块的钱能不能少付一些？", "--json", "--data-dir", str(built))
    hits = [json.loads(x) for x in res.stdout.splitlines()]
    assert res.returncode == 0 and any("减缴" in h.get("text", "") and h.get("link") == 1.0 for h in hits), hits


def test_ask_and_chat_carry_the_conversation(built, tmp_path):
    followed = run_cli("ask", "那年费呢？", "--history", "示例权的期限是多久？", "--json", "--data-dir", str(built))
    assert followed.returncode == 0, followed.stderr
    assert "三百元" in json.loads(followed.stdout)["answer"]

    qfile = tmp_path / "conversation.jsonl"
    qfile.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "query": "那年费呢？", "history": ["示例权的期限是多久？"]},
        {"id": "b", "query": "那年费呢？", "history": [{"question": "示例权的期限是多久？", "answer": "十二年。"}]},
        {"id": "c", "query": "那年费呢？", "history": [3]},
    ]), encoding="utf-8")
    res = run_cli("ask", "--questions", str(qfile), "--data-dir", str(built))
    rows = {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert "三百元" in rows["a"]["answer"] and "三百元" in rows["b"]["answer"]
    assert "history item" in rows["c"]["error"]
    assert run_cli("ask", "x", "--questions", str(qfile), "--data-dir", str(built)).returncode != 0

    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("ipbot")
    talk = subprocess.run([str(exe), "chat", "--data-dir", str(built)], input="示例权的期限是多久？\n那年费呢？\n/new\n那年费呢？\n",
                          capture_output=True, text=True, timeout=300)
    assert talk.returncode == 0, talk.stderr
    first, rest = talk.stdout.split("三百元", 1) if "三百元" in talk.stdout else (talk.stdout, "")
    assert "十二年" in first and rest, talk.stdout
    assert "new conversation" in talk.stderr


def test_backup_and_restore_into_an_empty_data_dir(tmp_path, docs_dir):
    data, restored, archive = tmp_path / "var", tmp_path / "restored", tmp_path / "backups" / "ipbot.tar.gz"
    assert run_cli("ingest", str(docs_dir), "--data-dir", str(data)).returncode == 0
    from bot.answering import Answer
    from bot.office import Accounts, ApiKeys, Conversations, open_app_db

    db = open_app_db(data)
    Accounts(db).add_user("editor1", "editor-pass-1", "editor")
    _, key = ApiKeys(db).create("website", "public")
    Conversations(db).record("s1", "年费多少？", Answer("年费为每年三百元[1]。"))
    asked = run_cli("ask", "示例权的期限是多久？", "--json", "--data-dir", str(data))
    made = run_cli("backup", str(archive), "--data-dir", str(data))
    assert made.returncode == 0 and "passages" in made.stdout, made.stderr + made.stdout
    done = run_cli("restore", str(archive), "--data-dir", str(restored))
    assert done.returncode == 0, done.stderr + done.stdout
    again = run_cli("ask", "示例权的期限是多久？", "--json", "--data-dir", str(restored))
    assert json.loads(again.stdout)["answer"] == json.loads(asked.stdout)["answer"] and "十二年" in json.loads(again.stdout)["answer"]
    back = open_app_db(restored)
    assert Accounts(back).authenticate("editor1", "editor-pass-1") and ApiKeys(back).verify(key).name == "website"
    assert [e.question for e in Conversations(back).exchanges()] == ["年费多少？"]
    assert Conversations(back).record("s2", "新问题", Answer("…")) == 2, "ids go on after the restored rows"
    refused = run_cli("restore", str(archive), "--data-dir", str(restored))
    assert refused.returncode != 0 and "not empty" in refused.stderr
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    assert "not a readable ipbot backup" in run_cli("restore", str(tmp_path / "junk.tar.gz"), "--data-dir", str(tmp_path / "n")).stderr
