"""The knowledge base: registry + vector store + BM25, changed atomically per document."""
from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from .embeddings import Embedder
from .errors import EmbeddingModelMismatch, KnowledgeError, UnknownDocument
from .lexical import BM25Index, tokenize
from .records import ChunkRecord, DocumentRecord
from .registry import Registry, registry_url
from .sentences import sentences_to_embed
from .vectors import ChromaVectorStore, VectorStore

QUERY_CACHE = 256
EMBED_BATCH = 64
EXACT_DENSE_MAX = 100_000

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: a human stage name ("reading", "OCR page", "chunking", "embedding passages", …)
and how many of its ``total`` units are done; it may raise to stop the work (nothing is written then)."""


class KnowledgeBase:
    """What ingest writes into and what the bot reads from.

    The registry (SQLite in the data dir, or a shared database) is the source of truth: a vector that is not registered is never
    returned, so a failed write never shows up half-done, and a document is replaced in a
    single transaction, so readers see either the old version or the new one.

    Several processes may share a data dir (the app, ``ipbot ingest``, another replica): writes take a lock file in
    the data dir, and a process whose registry generation moved on because another one wrote reads the embedded
    vector store afresh before it searches or writes again. Replicas on several hosts share a registry in PostgreSQL
    (``registry``: a SQLAlchemy URL; writers then take turns by an advisory lock) and a Chroma server.
    """

    def __init__(self, data_dir: Path, embedder: Embedder, chroma_url: str | None = None, collection: str = "ipbot",
                 exact_dense_max: int = EXACT_DENSE_MAX, registry: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.exact_dense_max = exact_dense_max
        self.embedder = embedder
        self.registry = Registry(registry_url(self.data_dir, registry))
        built_with = self.registry.get_meta("embedding_model")
        if built_with and built_with != embedder.name:
            raise EmbeddingModelMismatch(
                f"the knowledge base in {self.data_dir} was built with embedding model {built_with!r}, "
                f"but this configuration uses {embedder.name!r}; use another data dir, or set IPBOT_EMBEDDING_BACKEND back, or delete the data dir and ingest the documents again"
            )
        self.vectors: VectorStore = ChromaVectorStore(self.data_dir / "chroma", chroma_url, collection, embedder)
        if not built_with:
            self.registry.set_meta("embedding_model", embedder.name)
        self._lock = threading.RLock()
        self._vectors_generation = self.registry.generation()
        self._bm25: BM25Index | None = None
        self._bm25_generation = -1
        self._sentences: tuple[int, list[str], np.ndarray, np.ndarray] | None = None
        self._passages: tuple[int, list[str] | None, np.ndarray | None] | None = None
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()

    def documents(self) -> list[DocumentRecord]:
        """Registered documents."""
        return self.registry.documents()

    def document(self, doc_id: str) -> DocumentRecord:
        """One document; raises UnknownDocument with the known ids when absent."""
        doc = self.registry.document(doc_id) or self.registry.document_by_source(doc_id)
        if doc is None:
            known = ", ".join(d.doc_id for d in self.registry.documents()[:20]) or "none"
            raise UnknownDocument(f"no document {doc_id!r} in the knowledge base; known ids: {known}")
        return doc

    def chunks(self, doc_id: str | None = None) -> list[ChunkRecord]:
        """Chunks of one document, or of all."""
        if doc_id is not None:
            doc_id = self.document(doc_id).doc_id
        return self.registry.chunks(doc_id)

    def put_document(self, doc: DocumentRecord, texts: list[str], metadatas: list[dict], embeddings: np.ndarray | None = None,
                     progress: Progress | None = None, sentence_source: list[ChunkRecord] | None = None) -> DocumentRecord:
        """Index a document's chunks, replacing any earlier version atomically. ``progress`` hears of each embedding
        batch ("embedding passages" / "embedding sentences", done, total) and may raise to abort before anything is written."""
        previous = self.registry.document(doc.doc_id)
        old_chunks = self.registry.chunks(doc.doc_id) if previous else []
        if embeddings is None:
            embeddings = self._embed_reusing(texts, old_chunks, progress)
        sentence_vectors = self._sentence_vectors(texts, sentence_source or old_chunks, progress)
        doc.version = previous.version + 1 if previous else 1
        doc.chunk_count = len(texts)
        doc.ingested_at = doc.ingested_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        ids = [f"{doc.doc_id}@{doc.version}#{i}" for i in range(len(texts))]
        chunks = [ChunkRecord(cid, doc.doc_id, i, t, {**m, "doc_id": doc.doc_id}) for i, (cid, t, m) in enumerate(zip(ids, texts, metadatas))]
        tokens = [tokenize(c.metadata.get("index_text") or c.text) for c in chunks]
        with self._writing():
            self.vectors.add(ids, embeddings, texts, [c.metadata for c in chunks])
            try:
                old_ids = self.registry.replace_document(doc, chunks, tokens, sentence_vectors)
            except BaseException:
                self.vectors.delete(ids)
                raise
            fresh = set(ids)
            self.vectors.delete([i for i in old_ids if i not in fresh])
            if self._bm25 is not None and self._bm25_generation == self.registry.generation() - 1:
                for cid in old_ids:
                    self._bm25.remove(cid)
                for c, t in zip(chunks, tokens):
                    self._bm25.add(c.chunk_id, t)
                self._bm25_generation += 1
        return doc

    def archive_version(self, doc_id: str, superseded_on: str) -> DocumentRecord:
        """Keep the current version of a document as its own, superseded document (``{doc_id}.v{N}``), before a new
        version replaces it: same passages and embeddings (nothing is embedded again), status 'superseded', in force
        before ``superseded_on`` (an ISO date) and never after; returns the archived record."""
        current = self.document(doc_id)
        chunks = self.registry.chunks(current.doc_id)
        archived_id = f"{current.doc_id}.v{current.version}"
        by_id = self.vectors.get_embeddings([c.chunk_id for c in chunks])
        if len(by_id) != len(chunks):
            raise KnowledgeError(f"cannot keep version {current.version} of {current.doc_id}: its embeddings are incomplete")
        changes = {"status": "superseded", "superseded_by": current.doc_id, "superseded_on": superseded_on,
                   "version_of": current.doc_id, "archived_version": current.version}
        record = DocumentRecord(archived_id, f"{current.source}#v{current.version}", current.sha256, current.title, current.fmt,
                                current.status, metadata={**current.metadata, **changes}, warnings=list(current.warnings),
                                ingested_at=current.ingested_at)
        self.put_document(record, [c.text for c in chunks], [{**c.metadata, **changes} for c in chunks],
                          embeddings=np.stack([by_id[c.chunk_id] for c in chunks]) if chunks else None,
                          sentence_source=chunks)
        return record

    def backup_to(self, folder: Path) -> dict:
        """A consistent copy of the knowledge base in ``folder`` (taken under the write lock, so no document is half
        written): ``registry.sqlite3`` (every row of the registry, whatever database holds it) and ``vectors.npz`` (every
        registered passage's embedding). Returns counts for the manifest."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        copy = Registry(registry_url(folder))
        with self._writing():
            try:
                self.registry.copy_to(copy)
            finally:
                copy.close()
            ids = sorted(self.registry.chunk_ids())
            found = self.vectors.get_embeddings(ids)
        missing = [cid for cid in ids if cid not in found]
        if missing:
            raise KnowledgeError(f"{len(missing)} passages have no embedding in the vector store (e.g. {missing[0]}); "
                                 "re-ingest their documents before backing up")
        matrix = np.stack([found[cid] for cid in ids]) if ids else np.zeros((0, self.embedder.dim), dtype=np.float32)
        np.savez_compressed(folder / "vectors.npz", ids=np.array(ids), embeddings=matrix.astype(np.float32))
        return {"documents": len(self.registry.documents()), "passages": len(ids), "embedding_model": self.embedder.name}

    def restore_from(self, folder: Path) -> int:
        """Fill this empty knowledge base from a backup folder (``backup_to``): the registry's rows, then the
        embeddings of its passages; returns how many passages. KnowledgeError when it is not empty or the backup was
        made with another embedding model."""
        saved = Registry(registry_url(Path(folder)))
        try:
            built_with = saved.get_meta("embedding_model")
            if built_with and built_with != self.embedder.name:
                raise EmbeddingModelMismatch(f"the backup was made with embedding model {built_with!r}, this configuration uses {self.embedder.name!r}")
            with self._writing():
                try:
                    saved.copy_to(self.registry)
                except ValueError as exc:
                    raise KnowledgeError(str(exc)) from None
        finally:
            saved.close()
        return self.load_vectors(folder)

    def load_vectors(self, folder: Path) -> int:
        """Put the embeddings of a backup (``vectors.npz``) into this knowledge base's vector store, for the passages its
        registry holds (a restore copies the registry first); returns how many."""
        saved = np.load(Path(folder) / "vectors.npz", allow_pickle=False)
        by_id = dict(zip(saved["ids"].tolist(), saved["embeddings"]))
        chunks = [c for c in self.registry.chunks(None) if c.chunk_id in by_id]
        with self._writing():
            for start in range(0, len(chunks), 1024):
                part = chunks[start : start + 1024]
                self.vectors.add([c.chunk_id for c in part], np.stack([by_id[c.chunk_id] for c in part]),
                                 [c.text for c in part], [c.metadata for c in part])
        return len(chunks)

    @contextmanager
    def _writing(self):
        """This process's lock and the registry's writers' lock (a file in the data dir, or a PostgreSQL advisory lock), with the
        vector store brought up to date first."""
        with self._lock, self.registry.exclusive(self.data_dir / "write.lock"):
            try:
                self.sync()
                yield
            finally:
                self._vectors_generation = self.registry.generation()

    def sweep_stray_vectors(self) -> int:
        """Delete vectors no registered chunk owns (left by a process that stopped between writing the vectors and
        committing the registry); returns how many. Runs under the write lock, so no other writer is mid-way."""
        with self._writing():
            stray = sorted(set(self.vectors.all_ids()) - self.registry.chunk_ids())
            self.vectors.delete(stray)
        return len(stray)

    def sync(self) -> None:
        """Read the embedded vector store afresh when another process changed the knowledge base since we last looked."""
        generation = self.registry.generation()
        if generation == self._vectors_generation:
            return
        with self._lock:
            if generation != self._vectors_generation:
                if self.vectors.embedded:
                    self.vectors.reopen()
                self._vectors_generation = generation

    def _embed_in_batches(self, texts: list[str], stage: str, progress: Progress | None) -> np.ndarray:
        if progress is None:
            return self.embedder.embed_passages(texts)
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            progress(stage, start, len(texts))
            parts.append(self.embedder.embed_passages(texts[start : start + EMBED_BATCH]))
        progress(stage, len(texts), len(texts))
        return np.vstack(parts)

    def _embed_reusing(self, texts: list[str], old_chunks: list[ChunkRecord], progress: Progress | None = None) -> np.ndarray:
        """Embeddings for ``texts``, taking those of unchanged passages from the document's current version."""
        known: dict[str, np.ndarray] = {}
        if old_chunks:
            old = {c.text: c.chunk_id for c in old_chunks}
            wanted = [old[t] for t in set(texts) if t in old]
            by_id = self.vectors.get_embeddings(wanted)
            known = {t: by_id[cid] for t, cid in old.items() if cid in by_id}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self._embed_in_batches(missing, "embedding passages", progress)))
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def _sentence_vectors(self, texts: list[str], old_chunks: list[ChunkRecord], progress: Progress | None = None) -> list[np.ndarray]:
        """One matrix of sentence embeddings per passage, reusing those of passages whose text did not change."""
        old = {c.chunk_id: c.text for c in old_chunks}
        known = {old[cid]: v for cid, v in self.registry.sentence_vectors(list(old), self.embedder.dim).items()} if old else {}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        pieces = [sentences_to_embed(t) for t in missing]
        flat = [s for p in pieces for s in p]
        vectors = self._embed_in_batches(flat, "embedding sentences", progress) if flat else np.zeros((0, self.embedder.dim), dtype=np.float32)
        start = 0
        for text, p in zip(missing, pieces):
            known[text] = vectors[start : start + len(p)]
            start += len(p)
        return [known[t] for t in texts]

    def ensure_sentence_vectors(self, doc_id: str) -> int:
        """Embed the sentences of a document's chunks that were indexed without them (an older knowledge base);
        returns how many chunks were completed."""
        missing = self.registry.chunks_without_sentence_vectors(doc_id)
        if missing:
            vectors = self._sentence_vectors([c.text for c in missing], [])
            self.registry.add_sentence_vectors({c.chunk_id: v for c, v in zip(missing, vectors)})
        return len(missing)

    def sentence_search(self, vectors: list[np.ndarray], k: int = 20) -> list[list[tuple[str, float]]]:
        """For each query vector, the chunks whose best sentence is closest (chunk_id, cosine), best first.
        The sentence matrix is held in memory and reloaded only when the registry changed."""
        with self._lock:
            gen = self.registry.generation()
            if self._sentences is None or self._sentences[0] != gen:
                rows = [(cid, m) for cid, m in self.registry.all_sentence_vectors(self.embedder.dim) if len(m)]
                starts = np.cumsum([0] + [len(m) for _, m in rows[:-1]]) if rows else np.zeros(0, dtype=int)
                matrix = np.vstack([m for _, m in rows]) if rows else np.zeros((0, self.embedder.dim), dtype=np.float32)
                self._sentences = (gen, [cid for cid, _ in rows], starts, matrix)
            _, owners, starts, matrix = self._sentences
        out = []
        for q in vectors:
            if not owners:
                out.append([])
                continue
            best = np.maximum.reduceat(matrix @ q, starts)
            top = np.argsort(-best)[:k]
            out.append([(owners[i], float(best[i])) for i in top])
        return out

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Sentence embeddings of the given chunks (one row per sentence); chunks indexed without them are absent."""
        return self.registry.sentence_vectors(chunk_ids, self.embedder.dim) if chunk_ids else {}

    def remove_document(self, doc_id: str) -> DocumentRecord:
        """Delete a document and all its chunks."""
        doc = self.document(doc_id)
        with self._writing():
            old_ids = self.registry.remove_document(doc.doc_id)
            self.vectors.delete(old_ids)
            if self._bm25 is not None and self._bm25_generation == self.registry.generation() - 1:
                for cid in old_ids:
                    self._bm25.remove(cid)
                self._bm25_generation += 1
        return doc

    def bm25(self) -> BM25Index:
        """The BM25 index, rebuilt from the stored tokens only when another process changed the registry."""
        with self._lock:
            gen = self.registry.generation()
            if self._bm25 is None or gen != self._bm25_generation:
                index = BM25Index()
                for cid, toks in self.registry.all_tokens():
                    index.add(cid, toks)
                self._bm25, self._bm25_generation = index, gen
            return self._bm25

    def lexical_search(self, query: str | list[str], k: int = 20) -> list[tuple[str, float]]:
        """BM25 hits (chunk_id, score) for a query string or its tokens."""
        tokens = tokenize(query) if isinstance(query, str) else query
        return self.bm25().search(tokens, k) if tokens else []

    def dense_search(self, query: str, k: int = 20, where: dict | None = None) -> list[tuple[str, float]]:
        """Embedding hits (chunk_id, cosine similarity) for a query."""
        if not query.strip():
            return []
        self.sync()
        if where is None:
            return self.dense_search_vectors([self.embedder.embed_query(query)], k)[0]
        return self.vectors.query(self.embedder.embed_query(query), k, where)

    def embed_queries(self, queries: list[str]) -> list[np.ndarray]:
        """Query embeddings (``query:`` prefix) for non-blank queries, in order; the last few are remembered,
        so the answer step reuses the embedding its search made."""
        return [self._embed_query(q) for q in queries if q.strip()]

    def _embed_query(self, query: str) -> np.ndarray:
        with self._query_lock:
            cached = self._query_cache.get(query)
            if cached is not None:
                self._query_cache.move_to_end(query)
                return cached
        vector = self.embedder.embed_query(query)
        vector.flags.writeable = False
        with self._query_lock:
            self._query_cache[query] = vector
            while len(self._query_cache) > QUERY_CACHE:
                self._query_cache.popitem(last=False)
        return vector

    def dense_search_vectors(self, vectors: list[np.ndarray], k: int = 20) -> list[list[tuple[str, float]]]:
        """Embedding hits for query vectors already computed: exact cosine over every registered passage while the
        knowledge base holds at most ``exact_dense_max`` of them (the same hits in every process), the vector store's
        approximate index beyond that."""
        if not vectors:
            return []
        self.sync()
        passages = self._passage_matrix()
        if passages is None:
            return self.vectors.query_many(vectors, k)
        ids, matrix = passages
        out = []
        for q in vectors:
            scores = matrix @ np.asarray(q, dtype=np.float32) if ids else np.zeros(0, dtype=np.float32)
            top = np.argsort(-scores, kind="stable")[:k]
            out.append([(ids[i], float(scores[i])) for i in top])
        return out

    def _passage_matrix(self) -> tuple[list[str], np.ndarray] | None:
        """Registered passages' unit-length embeddings, in chunk-id order, held in memory and refreshed (only the new
        passages read) when the registry changed; None above ``exact_dense_max`` passages."""
        with self._lock:
            gen = self.registry.generation()
            if self._passages is not None and self._passages[0] == gen:
                return None if self._passages[1] is None else (self._passages[1], self._passages[2])
            ids = sorted(self.registry.chunk_ids())
            if len(ids) > self.exact_dense_max:
                self._passages = (gen, None, None)  # too many for exact search until the registry changes
                return None
            known = dict(zip(self._passages[1], self._passages[2])) if self._passages and self._passages[1] is not None else {}
            fetched = self.vectors.get_embeddings([cid for cid in ids if cid not in known])
            rows = {cid: known.get(cid, fetched.get(cid)) for cid in ids}
            ids = [cid for cid in ids if rows[cid] is not None]
            matrix = np.vstack([rows[cid] for cid in ids]).astype(np.float32) if ids else np.zeros((0, self.embedder.dim), dtype=np.float32)
            if len(matrix):
                matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            self._passages = (gen, ids, matrix)
            return ids, matrix

    def embeddings(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored passage embeddings by chunk id."""
        return self.vectors.get_embeddings(chunk_ids) if chunk_ids else {}

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, ChunkRecord]:
        """Registered chunks by id; unregistered (stale) ids are absent."""
        return self.registry.chunks_by_id(chunk_ids)
