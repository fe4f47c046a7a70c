"""Errors of the knowledge-base layer."""
from __future__ import annotations


class KnowledgeError(Exception):
    """Base class: ``str(err)`` is a message a person can act on."""


class EmbeddingModelMismatch(KnowledgeError):
    """The store was built with another embedding model than the one configured."""


class StoreUnavailable(KnowledgeError):
    """The vector store (embedded or server) cannot be opened or reached."""


class UnknownDocument(KnowledgeError):
    """No document with the given id or source is registered."""
