"""The composition root: the knowledge base, the chat model, the retrieval parameters, the ingest options and the
web app's services are built here, once per process, from the one Settings object, and passed in."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from bot.answering import Assistant
    from bot.office import Services
    from knowledge import KnowledgeBase


def open_knowledge_base(settings: Settings) -> "KnowledgeBase":
    """Open (or create) the knowledge base the settings point to, with the embedder they choose."""
    from knowledge import KnowledgeBase, make_embedder

    embedder = make_embedder(settings.embedding_backend, settings.embedding_threads)
    return KnowledgeBase(settings.data_dir, embedder, settings.chroma_url, settings.collection, settings.exact_dense_max,
                         settings.registry_url)


def build_assistant(settings: Settings, kb: "KnowledgeBase | None" = None) -> "Assistant":
    """The Assistant over ``kb`` (else the configured knowledge base), with the configured chat model (none: extractive)
    and retrieval parameters."""
    from bot.answering import Assistant, make_llm
    from bot.answering.retrieval import RetrievalParams

    return Assistant(settings, kb or open_knowledge_base(settings), make_llm(settings), RetrievalParams.from_settings(settings))


def build_services(settings: Settings, assistant: "Assistant | None" = None) -> "Services":
    """The web app's services (accounts, chat log, drafts, gaps, console, audit) around ``assistant`` (else a new one)."""
    from bot.office import open_services

    return open_services(settings, assistant or build_assistant(settings))
