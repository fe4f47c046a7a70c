"""The dense side: a Chroma collection, embedded (PersistentClient) or on a server (HttpClient)."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Protocol, TypeVar
from urllib.parse import urlparse

import numpy as np

from .embeddings import Embedder, chroma_embedding_function, disable_chroma_telemetry
from .errors import EmbeddingModelMismatch, StoreUnavailable

_BATCH = 256
log = logging.getLogger("ipbot.vectors")
T = TypeVar("T")


def _chroma_client(chroma_dir: Path, chroma_url: str | None):
    disable_chroma_telemetry()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    if not url.hostname:
        raise StoreUnavailable(f"IPBOT_CHROMA_URL={chroma_url!r} is not a URL like http://127.0.0.1:8000")
    try:
        return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000), ssl=url.scheme == "https", settings=settings)
    except Exception as exc:
        raise StoreUnavailable(f"cannot reach the Chroma server at {chroma_url}: {exc}") from exc


class VectorStore(Protocol):
    """What the knowledge base needs of a vector store (ChromaVectorStore is the one shipped): chunk embeddings by id,
    nearest-neighbour queries, and a fresh view of a store other processes wrote."""

    embedded: bool

    def reopen(self, stale=None) -> None: ...

    def count(self) -> int: ...

    def add(self, ids: list[str], embeddings: np.ndarray, texts: list[str], metadatas: list[dict]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]: ...

    def query_many(self, embeddings: list[np.ndarray], k: int) -> list[list[tuple[str, float]]]: ...

    def get_embeddings(self, ids: list[str]) -> dict[str, np.ndarray]: ...

    def all_ids(self) -> list[str]: ...


class ChromaVectorStore:
    """Chunk embeddings in Chroma; the collection records which embedding model built it.

    An embedded store may be written by other processes (``ipbot ingest`` while the app serves): ``reopen`` drops this
    process's copy of the index for what is on disk now, and a read that fails is retried once on a reopened store."""

    def __init__(self, chroma_dir: Path, chroma_url: str | None, collection: str, embedder: Embedder) -> None:
        self.embedder = embedder
        self.location = chroma_url or str(chroma_dir)
        self.embedded = not chroma_url
        self._where = (chroma_dir, chroma_url, collection)
        self._swap = threading.Lock()
        self._client, self._col = self._open()
        built_with = (self._col.metadata or {}).get("embedding_model")
        if built_with and built_with != embedder.name:
            raise EmbeddingModelMismatch(
                f"the vector store at {self.location} was built with embedding model {built_with!r}, "
                f"but this configuration uses {embedder.name!r}; use another data dir/collection, or delete it and ingest the documents again"
            )

    def _open(self):
        chroma_dir, chroma_url, collection = self._where
        client = _chroma_client(chroma_dir, chroma_url)
        try:
            col = client.get_or_create_collection(
                name=collection,
                embedding_function=chroma_embedding_function(self.embedder),
                metadata={"hnsw:space": "cosine", "embedding_model": self.embedder.name},
            )
        except Exception as exc:
            raise StoreUnavailable(f"cannot open the Chroma collection {collection!r} at {self.location}: {exc}") from exc
        return client, col

    def reopen(self, stale=None) -> None:
        """Read the store afresh (after another process changed it). With ``stale`` (the collection a failed read used),
        nothing is done when another thread has reopened the store since."""
        with self._swap:
            if stale is not None and stale is not self._col:
                return
            if self.embedded:
                try:
                    self._client.close()
                except Exception:
                    log.debug("closing the old Chroma client failed", exc_info=True)
            self._client, self._col = self._open()

    def _read(self, what: str, call: Callable[[object], T]) -> T:
        col = self._col
        try:
            return call(col)
        except Exception as first:
            log.warning("reading the vector store failed (%s: %s); reopening it and trying once more", type(first).__name__, first)
            self.reopen(stale=col)
            try:
                return call(self._col)
            except Exception as exc:
                raise StoreUnavailable(f"the vector store at {self.location} could not {what}: {exc}") from exc

    def count(self) -> int:
        """Number of vectors in the collection."""
        return self._read("count its vectors", lambda col: col.count())

    def add(self, ids: list[str], embeddings: np.ndarray, texts: list[str], metadatas: list[dict]) -> None:
        """Write vectors; on failure, remove whatever part was written and re-raise."""
        try:
            for i in range(0, len(ids), _BATCH):
                self._col.upsert(
                    ids=ids[i : i + _BATCH],
                    embeddings=embeddings[i : i + _BATCH],
                    documents=texts[i : i + _BATCH],
                    metadatas=[_chroma_meta(m) for m in metadatas[i : i + _BATCH]],
                )
        except BaseException:
            self.delete(ids)
            raise

    def delete(self, ids: list[str]) -> None:
        """Remove vectors by id (best effort: stale vectors are never returned, the registry filters them)."""
        try:
            for i in range(0, len(ids), _BATCH):
                self._col.delete(ids=ids[i : i + _BATCH])
        except Exception:
            pass

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        def run(col):
            n = col.count()
            if n == 0:
                return []
            res = col.query(query_embeddings=[embedding], n_results=min(k, n), where=where or None, include=["distances"])
            return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

        return self._read("be searched", run)

    def query_many(self, embeddings: list[np.ndarray], k: int) -> list[list[tuple[str, float]]]:
        """Nearest chunk ids for each of several query embeddings."""
        def run(col):
            n = col.count()
            if n == 0:
                return [[] for _ in embeddings]
            res = col.query(query_embeddings=list(embeddings), n_results=min(k, n), include=["distances"])
            return [[(cid, 1.0 - float(d)) for cid, d in zip(ids, ds)] for ids, ds in zip(res["ids"], res["distances"])]

        return self._read("be searched", run)

    def get_embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by id (missing ids are absent)."""
        def run(col):
            out: dict[str, np.ndarray] = {}
            for i in range(0, len(ids), _BATCH):
                res = col.get(ids=ids[i : i + _BATCH], include=["embeddings"])
                out.update({cid: np.asarray(e, dtype=np.float32) for cid, e in zip(res["ids"], res["embeddings"])})
            return out

        return self._read("return embeddings", run)

    def all_ids(self) -> list[str]:
        """Every id in the collection (for consistency checks)."""
        return self._read("list its ids", lambda col: list(col.get(include=[])["ids"]))


def _chroma_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool)) and v is not None}
