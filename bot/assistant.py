"""The bot's front door: search and ask over one knowledge base, configured by Settings."""
from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge import KnowledgeBase, ScoredChunk, make_embedder

from .answer import Answer
from .extractive import compose_extractive
from .query import language_of, normalize_question
from .retrieval import RetrievalParams, Retriever, SearchFilters

if TYPE_CHECKING:
    from ipbot.settings import Settings


def open_knowledge_base(settings: "Settings") -> KnowledgeBase:
    """Open (or create) the knowledge base the settings point to."""
    embedder = make_embedder(settings.embedding_backend, settings.embedding_threads)
    return KnowledgeBase(settings.data_dir, embedder, settings.chroma_url, settings.collection)


class Assistant:
    """Answers questions from the knowledge base, citing what it retrieved."""

    def __init__(self, settings: "Settings", kb: KnowledgeBase | None = None) -> None:
        self.settings = settings
        self.kb = kb or open_knowledge_base(settings)
        self.retriever = Retriever(self.kb, RetrievalParams(settings.rrf_k, settings.dense_weight, settings.lexical_weight))

    def search(self, question: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredChunk]:
        """Ranked passages for a question; raises InvalidQuestion for an empty one."""
        return self.retriever.search(normalize_question(question), k, filters)

    def human_channel(self, language: str) -> str:
        """Where to get help from a person, in the given language."""
        return self.settings.human_channel_zh if language == "zh" else self.settings.human_channel_en

    def ask(self, question: str, filters: SearchFilters | None = None) -> Answer:
        """A cited answer, or an abstention pointing to a human service channel."""
        q = normalize_question(question)
        language = language_of(q)
        hits = self.retriever.search(q, self.settings.top_k, filters)
        return compose_extractive(q, hits, self.kb.bm25(), language=language, human_channel=self.human_channel(language),
                                  min_support=self.settings.min_support, max_sentences=self.settings.answer_sentences)
