"""ipbot's search behind LangChain's interfaces: the retriever returns Documents with the law and article, and the LCEL
chain shown in the README runs as written."""
from __future__ import annotations

import re
from pathlib import Path

from bot.answering import Assistant, SearchFilters
from bot.answering.lc_retriever import as_langchain_retriever
from ingest import ingest_paths
from knowledge.embeddings import langchain_embeddings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_retriever_returns_documents_with_their_law_and_article(settings, kb, docs_dir, embedder):
    list(ingest_paths(kb, [docs_dir]))
    assistant = Assistant(settings, kb)
    docs = as_langchain_retriever(assistant, k=3, filters=SearchFilters()).invoke("示例保护法第三条")
    assert len(docs) == 3 and docs[0].metadata["law"] == "中华人民共和国示例保护法" and docs[0].metadata["article"] == 3
    assert docs[0].metadata["article_label"] == "第三条" and docs[0].metadata["signals"].get("article_ref") is True
    assert [d.page_content for d in docs] == [h.chunk.text for h in assistant.search("示例保护法第三条", 3, SearchFilters())]
    vector = langchain_embeddings(embedder).embed_query("示例权")
    assert len(vector) == embedder.dim


def test_the_readme_chain_runs(settings, kb, docs_dir, monkeypatch, capsys):
    list(ingest_paths(kb, [docs_dir]))
    monkeypatch.setenv("IPBOT_DATA_DIR", str(settings.data_dir))
    code = re.search(r"## LangChain.*?```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    exec(compile(code.replace("发明专利保护多少年？", "示例权的期限是多久？"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "问题：示例权的期限是多久？" in out and "[1] 《" in out and "十二年" in out
