"""Indexing into a real embedded Chroma store: idempotent, replacing, atomic, model-checked."""
from __future__ import annotations

import numpy as np
import pytest

from ingest import IngestOptions, ingest_file, ingest_paths
from knowledge import EmbeddingModelMismatch, KnowledgeBase


def _statuses(outcomes):
    return {o.path.rsplit("/", 1)[-1]: o.status for o in outcomes}


def test_ingest_unchanged_and_replaced(kb, docs_dir):
    first = list(ingest_paths(kb, [docs_dir]))
    assert _statuses(first) == {"example-law.md": "indexed", "windmill-guide.md": "indexed"}
    law = kb.document("example-law")
    assert law.chunk_count == len(kb.chunks("example-law")) == kb.vectors.count() - kb.document("windmill-guide").chunk_count
    assert law.metadata["doc_type"] == "law" and law.sha256 and law.ingested_at

    again = list(ingest_paths(kb, [docs_dir]))
    assert _statuses(again) == {"example-law.md": "unchanged", "windmill-guide.md": "unchanged"}

    path = docs_dir / "example-law.md"
    path.write_text(path.read_text(encoding="utf-8").replace("十二年", "十五年"), encoding="utf-8")
    outcome = ingest_file(kb, path, IngestOptions())
    assert outcome.status == "replaced"
    texts = " ".join(c.text for c in kb.chunks("example-law"))
    assert "十五年" in texts and "十二年" not in texts
    assert kb.document("example-law").version == 2
    assert kb.vectors.count() == sum(d.chunk_count for d in kb.documents())


def test_article_metadata_on_chunks(kb, docs_dir):
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    by_article = {c.metadata.get("article"): c for c in kb.chunks("example-law") if c.metadata.get("kind") == "article"}
    assert sorted(by_article) == [1, 2, 3, 4, 5, 6]
    fourth = by_article[4]
    assert fourth.metadata["article_label"] == "第四条"
    assert "第二章" in fourth.metadata["chapter"]
    assert "依照本法第三条的规定" in fourth.text
    assert fourth.text.startswith("《中华人民共和国示例保护法》")


def test_remove_document(kb, docs_dir):
    list(ingest_paths(kb, [docs_dir]))
    kb.remove_document("windmill-guide")
    assert [d.doc_id for d in kb.documents()] == ["example-law"]
    assert kb.vectors.count() == kb.document("example-law").chunk_count
    assert all(c.doc_id == "example-law" for c in kb.chunks())


def test_a_failed_write_leaves_nothing_behind(kb, docs_dir, monkeypatch):
    list(ingest_paths(kb, [docs_dir / "windmill-guide.md"]))
    before = (kb.vectors.count(), [c.chunk_id for c in kb.chunks()])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(kb.registry, "replace_document", broken)
    outcome = ingest_file(kb, docs_dir / "example-law.md", IngestOptions())
    assert outcome.status == "failed" and "disk full" in outcome.reason
    assert (kb.vectors.count(), [c.chunk_id for c in kb.chunks()]) == before
    assert kb.registry.document("example-law") is None


def test_a_failed_replacement_keeps_the_old_version(kb, docs_dir, monkeypatch):
    path = docs_dir / "example-law.md"
    list(ingest_paths(kb, [path]))
    old = [c.text for c in kb.chunks("example-law")]
    path.write_text(path.read_text(encoding="utf-8") + "\n第七条 新增条文。\n", encoding="utf-8")
    monkeypatch.setattr(kb.embedder, "embed_passages", lambda texts: (_ for _ in ()).throw(MemoryError()))
    outcome = ingest_file(kb, path, IngestOptions())
    assert outcome.status == "failed"
    assert [c.text for c in kb.chunks("example-law")] == old


def test_batch_with_bad_files_indexes_the_good_ones(kb, docs_dir):
    (docs_dir / "empty.txt").write_bytes(b"")
    (docs_dir / "notes.xyz").write_text("?")
    (docs_dir / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    outcomes = list(ingest_paths(kb, [docs_dir, docs_dir / "missing.md"]))
    st = _statuses(outcomes)
    assert st["example-law.md"] == st["windmill-guide.md"] == "indexed"
    assert st["empty.txt"] == st["broken.pdf"] == st["missing.md"] == "failed"
    assert st["notes.xyz"] == "skipped"
    assert all(o.reason for o in outcomes if o.status == "failed")
    assert {d.doc_id for d in kb.documents()} == {"example-law", "windmill-guide"}


def test_store_refuses_to_mix_embedding_models(tmp_path, embedder, docs_dir):
    kb = KnowledgeBase(tmp_path / "var", embedder)
    list(ingest_paths(kb, [docs_dir / "windmill-guide.md"]))

    class Other:
        name, dim = "another-model/768", 768

    with pytest.raises(EmbeddingModelMismatch, match="another-model"):
        KnowledgeBase(tmp_path / "var", Other())


def test_sidecar_and_option_overrides(kb, docs_dir):
    (docs_dir / "example-law.md.meta.toml").write_text('status = "repealed"\njurisdiction = "上海市"\n', encoding="utf-8")
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    meta = kb.chunks("example-law")[0].metadata
    assert meta["status"] == "repealed" and meta["jurisdiction"] == "上海市"
    outcome = ingest_file(kb, docs_dir / "windmill-guide.md", IngestOptions(overrides={"doc_type": "nonsense"}))
    assert outcome.status == "failed" and "guide" in outcome.reason


def test_reindexing_reuses_embeddings_of_unchanged_passages(kb, docs_dir, monkeypatch):
    path = docs_dir / "example-law.md"
    list(ingest_paths(kb, [path]))
    embedded: list[str] = []
    real = kb.embedder.embed_passages
    monkeypatch.setattr(kb.embedder, "embed_passages", lambda texts: (embedded.extend(texts), real(texts))[1])
    path.write_text(path.read_text(encoding="utf-8").replace("三百元", "四百元"), encoding="utf-8")
    assert ingest_file(kb, path, IngestOptions()).status == "replaced"
    changed = next(c.text for c in kb.chunks("example-law") if "四百元" in c.text)
    assert embedded and all(t in changed for t in embedded), "only the changed passage and its sentences are embedded"
    hits = kb.dense_search("示例权的期限为十二年", 1)
    assert kb.get_chunks([hits[0][0]])[hits[0][0]].metadata["article"] == 3


def test_sentences_get_their_own_embeddings_and_go_with_their_chunk(kb, docs_dir):
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    chunks = kb.chunks("example-law")
    vectors = kb.sentence_vectors([c.chunk_id for c in chunks])
    assert set(vectors) == {c.chunk_id for c in chunks}
    article4 = next(c for c in chunks if c.metadata.get("article") == 4)
    assert vectors[article4.chunk_id].shape == (2, kb.embedder.dim)
    best = kb.sentence_search([kb.embedder.embed_query("期限届满后示例权终止")], 3)[0]
    assert best[0][0] == article4.chunk_id and best[0][1] > 0.9
    kb.remove_document("example-law")
    assert kb.sentence_vectors([c.chunk_id for c in chunks]) == {}
    assert kb.sentence_search([kb.embedder.embed_query("期限")], 3) == [[]]


def test_an_older_knowledge_base_gets_sentence_embeddings_on_the_next_ingest(kb, docs_dir):
    path = docs_dir / "example-law.md"
    list(ingest_paths(kb, [path]))
    with kb.registry.tx() as db:
        db.execute("DELETE FROM sentence_vectors")
    ids = [c.chunk_id for c in kb.chunks("example-law")]
    assert kb.sentence_vectors(ids) == {}
    assert ingest_file(kb, path, IngestOptions()).status == "unchanged"
    assert set(kb.sentence_vectors(ids)) == set(ids)


def test_a_folders_own_documentation_is_not_knowledge(kb, docs_dir):
    (docs_dir / "README.md").write_text("# About this folder\n\nThese files are examples for the windmill office.\n", encoding="utf-8")
    (docs_dir / "LICENSE").write_text("MIT\n", encoding="utf-8")
    outcomes = {o.path.rsplit("/", 1)[-1]: o for o in ingest_paths(kb, [docs_dir])}
    assert outcomes["README.md"].status == "skipped" and "documentation" in outcomes["README.md"].reason
    assert outcomes["example-law.md"].status == "indexed" and all("README" not in d.source for d in kb.documents())
    named = list(ingest_paths(kb, [docs_dir / "README.md"]))
    assert named[0].status == "indexed"


def test_embedding_search_is_exact_and_follows_changes(kb, docs_dir, tmp_path):
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    query = "示例权的期限为十二年"
    chunks = kb.chunks("example-law")
    vectors = kb.vectors.get_embeddings([c.chunk_id for c in chunks])
    q = kb.embedder.embed_query(query)
    expected = sorted(vectors, key=lambda cid: -float(vectors[cid] @ q / np.linalg.norm(vectors[cid])))
    hits = kb.dense_search(query, len(chunks))
    assert [cid for cid, _ in hits] == expected
    assert hits == KnowledgeBase(tmp_path / "var", kb.embedder).dense_search(query, len(chunks)), "another process sees the same hits"
    list(ingest_paths(kb, [docs_dir / "windmill-guide.md"]))
    assert {cid for cid, _ in kb.dense_search(query, 100)} == {c.chunk_id for d in ("example-law", "windmill-guide") for c in kb.chunks(d)}
    kb.remove_document("windmill-guide")
    assert {cid for cid, _ in kb.dense_search(query, 100)} == {c.chunk_id for c in chunks}
    approximate = KnowledgeBase(tmp_path / "var", kb.embedder, exact_dense_max=0)
    assert {cid for cid, _ in approximate.dense_search(query, 3)} <= {c.chunk_id for c in chunks}, "above the limit, the Chroma index answers"
