"""The document registry behind a SQLAlchemy URL (issue 18): the same behaviour on a SQLite file and on PostgreSQL, a
copy between them (backups), writers that take turns, and two hosts — each with its own data dir — that share a
PostgreSQL registry and a Chroma server: a document indexed on one is searched on the other."""
from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import pytest

from knowledge import ChunkRecord, DocumentRecord, KnowledgeBase
from knowledge.registry import Registry


def _url(request, tmp_path, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'registry-{uuid.uuid4().hex[:6]}.sqlite3'}"
    from postgres import create_database

    return create_database(request.getfixturevalue("postgres"), f"registry_{uuid.uuid4().hex[:10]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


def _doc(doc_id: str, source: str, n: int, title: str = "示例法") -> tuple[DocumentRecord, list[ChunkRecord], list[list[str]]]:
    doc = DocumentRecord(doc_id, source, "sha-" + doc_id, title, "md", "indexed", n, 1, "2030-01-01T00:00:00", {"title": title}, ["注意"])
    chunks = [ChunkRecord(f"{doc_id}#{i}", doc_id, i, f"第{i + 1}条 示例文字。第二句。", {"title": title, "article": i + 1}) for i in range(n)]
    return doc, chunks, [["示例", f"词{i}"] for i in range(n)]


def test_the_registry_behaves_alike_on_sqlite_and_postgresql(request, tmp_path, backend):
    reg = Registry(_url(request, tmp_path, backend))
    assert reg.backend == backend and reg.generation() == 0 and reg.documents() == []
    doc, chunks, tokens = _doc("law", "docs/law.md", 3)
    vectors = [np.arange(8, dtype=np.float32).reshape(2, 4) + i for i in range(3)]
    assert reg.replace_document(doc, chunks, tokens, vectors) == []
    assert reg.generation() == 1 and reg.document("law") == doc and reg.document_by_source("docs/law.md") == doc
    assert [c.chunk_id for c in reg.chunks()] == ["law#0", "law#1", "law#2"] and reg.chunks("law") == chunks
    assert set(reg.chunks_by_id(["law#2", "law#0", "nope"])) == {"law#2", "law#0"}
    got = reg.sentence_vectors(["law#1"], 4)
    assert np.array_equal(got["law#1"], vectors[1]) and dict(reg.all_tokens())["law#1"] == ["示例", "词1"]
    with reg.tx() as db:
        db.execute("DELETE FROM sentence_vectors WHERE chunk_id=?", ("law#2",))
    assert [c.chunk_id for c in reg.chunks_without_sentence_vectors("law")] == ["law#2"]
    reg.add_sentence_vectors({"law#2": vectors[2], "unregistered": vectors[0]})
    assert set(reg.sentence_vectors(["law#2", "unregistered"], 4)) == {"law#2"}
    reg.update_metadata("law", {"status": "repealed"})
    assert reg.document("law").metadata["status"] == "repealed" and all(c.metadata["status"] == "repealed" for c in reg.chunks("law"))
    # the same source indexed under a new id replaces the old document and all of its passages
    again, chunks2, tokens2 = _doc("law-2", "docs/law.md", 1, "示例法（修订）")
    assert sorted(reg.replace_document(again, chunks2, tokens2)) == ["law#0", "law#1", "law#2"]
    assert [d.doc_id for d in reg.documents()] == ["law-2"] and reg.sentence_vectors(["law#1"], 4) == {}
    assert reg.remove_document("law-2") == ["law-2#0"] and reg.chunk_ids() == set() and reg.generation() == 4
    reg.close()


def test_a_registry_copies_between_sqlite_and_postgresql_row_for_row(request, tmp_path):
    source = Registry(_url(request, tmp_path, "sqlite"))
    for i in range(3):
        doc, chunks, tokens = _doc(f"d{i}", f"docs/d{i}.md", 4, title=f"文件{i}")
        source.replace_document(doc, chunks, tokens, [np.full((2, 4), i, dtype=np.float32)] * 4)
    source.set_meta("embedding_model", "test-model")
    shared = Registry(_url(request, tmp_path, "postgresql"))
    assert source.copy_to(shared) == 12
    back = Registry(_url(request, tmp_path, "sqlite"))
    assert shared.copy_to(back) == 12
    for reg in (shared, back):
        assert reg.documents() == source.documents() and reg.chunks() == source.chunks()
        assert reg.get_meta("embedding_model") == "test-model" and reg.generation() == source.generation()
        assert np.array_equal(reg.sentence_vectors(["d2#3"], 4)["d2#3"], np.full((2, 4), 2, dtype=np.float32))
    with pytest.raises(ValueError, match="not empty"):
        source.copy_to(shared)


def test_writers_to_a_shared_registry_take_turns(request, tmp_path):
    url = _url(request, tmp_path, "postgresql")
    first, second = Registry(url), Registry(url)
    order = []

    def write(reg, name):
        with reg.exclusive(tmp_path / "unused.lock"):
            order.append(f"{name} in")
            time.sleep(0.3)
            order.append(f"{name} out")

    threads = [threading.Thread(target=write, args=(r, n)) for r, n in ((first, "a"), (second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    assert not (tmp_path / "unused.lock").exists(), "a shared registry locks in the database, not in a data dir"


def test_two_hosts_share_a_postgresql_registry_and_a_chroma_server(request, tmp_path, embedder, chroma_server):
    from ingest import IngestOptions, ingest_file

    from conftest import FAKE_LAW

    url = _url(request, tmp_path, "postgresql")
    one = KnowledgeBase(tmp_path / "host-1", embedder, chroma_server, "shared", registry=url)
    two = KnowledgeBase(tmp_path / "host-2", embedder, chroma_server, "shared", registry=url)
    law = tmp_path / "example-law.md"
    law.write_text(FAKE_LAW, encoding="utf-8")
    assert two.lexical_search("示例权") == []
    assert ingest_file(one, law, IngestOptions()).status == "indexed"
    lexical = two.lexical_search("示例权 期限", 3)
    dense = two.dense_search("示例权保护多少年？", 3)
    assert lexical and dense and {cid for cid, _ in lexical} <= two.registry.chunk_ids()
    doc_id = two.get_chunks([lexical[0][0]])[lexical[0][0]].doc_id
    assert [c.text for c in two.chunks(doc_id)] == [c.text for c in one.chunks(doc_id)]
    assert not (tmp_path / "host-2" / "registry.sqlite3").exists()
    two.remove_document(doc_id)
    assert one.lexical_search("示例权 期限", 3) == [] and one.dense_search("示例权保护多少年？", 3) == []


def test_a_registry_file_of_an_earlier_version_is_read_as_it_is(tmp_path):
    import sqlite3

    path = tmp_path / "registry.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL, title TEXT NOT NULL,
    fmt TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, chunk_count INTEGER NOT NULL, version INTEGER NOT NULL,
    ingested_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', warnings TEXT NOT NULL DEFAULT '[]');
CREATE TABLE chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE sentence_vectors (chunk_id TEXT PRIMARY KEY, vectors BLOB NOT NULL);
INSERT INTO meta VALUES ('generation', '7'), ('embedding_model', 'm');
INSERT INTO documents VALUES ('old', 'docs/old.md', 's', '旧文件', 'md', 'indexed', 1, 2, '2025-01-01', '{"title": "旧文件"}', '[]');
INSERT INTO chunks VALUES ('old#0', 'old', 0, '第一条 旧的文字。', '旧 文字', '{"title": "旧文件"}');
""")
    db.execute("INSERT INTO sentence_vectors VALUES ('old#0', ?)", (np.ones((1, 4), dtype=np.float32).tobytes(),))
    db.commit()
    db.close()
    reg = Registry(f"sqlite:///{path}")
    assert reg.generation() == 7 and reg.documents()[0].version == 2 and reg.chunks("old")[0].text == "第一条 旧的文字。"
    assert dict(reg.all_tokens()) == {"old#0": ["旧", "文字"]} and reg.sentence_vectors(["old#0"], 4)["old#0"].shape == (1, 4)
    doc, chunks, tokens = _doc("new", "docs/new.md", 1)
    reg.replace_document(doc, chunks, tokens)
    assert reg.generation() == 8 and len(reg.documents()) == 2


def test_the_registry_and_the_app_database_may_share_one_postgresql_database(request, tmp_path):
    from bot.office import ApiKeys
    from bot.office.appdb import AppDB

    url = _url(request, tmp_path, "postgresql")
    reg, app = Registry(url), AppDB(url)
    doc, chunks, tokens = _doc("law", "docs/law.md", 2)
    reg.replace_document(doc, chunks, tokens)
    ApiKeys(app).create("cms", "editor")
    again, app_again = Registry(url), AppDB(url)  # reopening migrates nothing twice
    versions = {r[0] for r in app_again.query("SELECT version_num FROM registry_version")}
    assert versions == {"0001"} and again.document("law") == doc and [k.name for k in ApiKeys(app_again).list()] == ["cms"]


def test_a_database_url_that_is_not_one_is_refused_naming_the_setting(tmp_path):
    from pydantic import ValidationError

    from ipbot.settings import Settings

    for field in ("registry_url", "database_url"):
        with pytest.raises(ValidationError, match=f"{field}[\\s\\S]*'nonsense' is not a database URL"):
            Settings(data_dir=tmp_path, _env_file=None, **{field: "nonsense"})
        assert getattr(Settings(data_dir=tmp_path, _env_file=None, **{field: "  "}), field) is None
