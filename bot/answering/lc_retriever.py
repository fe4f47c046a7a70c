"""ipbot's search as a LangChain retriever: ``as_langchain_retriever(assistant).invoke("专利法第二十二条")`` gives
``Document``s whose metadata names the law, the article, the page and the scores, for LCEL chains and other tools."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .retrieval import SearchFilters

if TYPE_CHECKING:
    from .assistant import Assistant

METADATA_KEYS = ("title", "article", "article_label", "chapter", "page", "doc_type", "status", "effective_date", "source")


class IpbotRetriever(BaseRetriever):
    """The structure-aware hybrid search of an Assistant behind LangChain's retriever interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Any
    k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.assistant.search(query, self.k, self.filters)
        return [Document(page_content=h.chunk.text, id=h.chunk.chunk_id, metadata={
            **{k: h.chunk.metadata[k] for k in METADATA_KEYS if h.chunk.metadata.get(k) is not None},
            "law": h.chunk.metadata.get("title", ""), "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id,
            "score": round(h.score, 6), "signals": h.signals.to_dict()}) for h in hits]


def as_langchain_retriever(assistant: "Assistant", k: int = 5, filters: SearchFilters | None = None) -> IpbotRetriever:
    """A LangChain ``BaseRetriever`` over ``assistant.search`` returning the ``k`` best passages as Documents (metadata:
    law, article, article_label, chapter, page, doc_id, chunk_id, score, signals …); ``filters`` as for search (None: the
    documents in force today)."""
    return IpbotRetriever(assistant=assistant, k=k, filters=filters)
