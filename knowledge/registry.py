"""The document registry, the source of truth for what is indexed: documents, their chunks with the lexical tokens
and sentence embeddings of each, and a change counter. A SQLite file in the data dir by default; PostgreSQL (any
SQLAlchemy URL) with IPBOT_REGISTRY_URL, so that replicas on several hosts share it."""
from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import sqlalchemy as sa

from .migrations import HEAD
from .records import ChunkRecord, DocumentRecord
from .sqldb import SqlDatabase, Tx, migrate

REGISTRY_FILE = "registry.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")
WRITE_LOCK = 31_415_926
"""The PostgreSQL advisory lock that writers to a shared registry take in turn (the file lock's counterpart)."""
MIGRATION_LOCK = 31_415_927

TABLES = ("meta", "documents", "chunks", "sentence_vectors")
"""The registry's tables, parents before children."""

_DOC_COLUMNS = "doc_id, source, sha256, title, fmt, status, chunk_count, version, ingested_at, metadata, warnings"
_CHUNK_COLUMNS = "chunk_id, doc_id, ordinal, text, metadata"
_PART = 500


def registry_url(data_dir: Path, url: str | None = None) -> str:
    """The registry's URL: ``url`` when set (IPBOT_REGISTRY_URL), else the SQLite file in the data dir."""
    return url or f"sqlite:///{(Path(data_dir) / REGISTRY_FILE).resolve()}"


class Registry(SqlDatabase):
    """Documents, their chunks and the lexical tokens and sentence embeddings of each chunk."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        migrate(self.engine, MIGRATIONS, HEAD, MIGRATION_LOCK, version_table="registry_version", legacy_table="documents")

    @contextmanager
    def exclusive(self, lock_file: Path) -> Iterator[None]:
        """Writers take turns: a lock on ``lock_file`` for a SQLite registry (processes sharing the data dir), a
        PostgreSQL advisory lock for a shared one (processes on any host)."""
        if self.backend != "postgresql":
            with open(lock_file, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({WRITE_LOCK})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({WRITE_LOCK})")

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table (embedding model, generation …)."""
        row = self.one("SELECT value FROM meta WHERE key=?", (key,))
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table."""
        with self.tx() as db:
            db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def generation(self) -> int:
        """A counter bumped by every change, so readers in other processes notice updates."""
        return int(self.get_meta("generation") or 0)

    def documents(self) -> list[DocumentRecord]:
        """All registered documents, by title."""
        return sorted((_doc(r) for r in self.query(f"SELECT {_DOC_COLUMNS} FROM documents")), key=lambda d: (d.title, d.doc_id))

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The document with this id, or None."""
        row = self.one(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id=?", (doc_id,))
        return _doc(row) if row else None

    def document_by_source(self, source: str) -> DocumentRecord | None:
        """The document ingested from this source path, or None."""
        row = self.one(f"SELECT {_DOC_COLUMNS} FROM documents WHERE source=?", (source,))
        return _doc(row) if row else None

    def chunks(self, doc_id: str | None = None) -> list[ChunkRecord]:
        """Chunks of one document (or of all documents) in reading order."""
        if doc_id:
            rows = self.query(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))
        else:
            rows = sorted(self.query(f"SELECT {_CHUNK_COLUMNS} FROM chunks"), key=lambda r: (r[1], r[2]))
        return [_chunk(r) for r in rows]

    def chunk_ids(self) -> set[str]:
        """The ids of every registered chunk."""
        return {r[0] for r in self.query("SELECT chunk_id FROM chunks")}

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, ChunkRecord]:
        """Chunks for the given ids (missing ids are skipped)."""
        return {r[0]: _chunk(r) for r in self._in(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN", chunk_ids)}

    def sentence_vectors(self, chunk_ids: list[str], dim: int) -> dict[str, np.ndarray]:
        """The sentence embeddings (one row per sentence) of the given chunks; chunks without any are absent."""
        return {r[0]: _matrix(r[1], dim) for r in self._in("SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id IN", chunk_ids)}

    def _in(self, sql: str, ids: list[str]) -> list:
        rows = []
        for i in range(0, len(ids), _PART):
            part = ids[i : i + _PART]
            rows += self.query(f"{sql} ({','.join('?' * len(part))})", part)
        return rows

    def chunks_without_sentence_vectors(self, doc_id: str) -> list[ChunkRecord]:
        """A document's chunks that were indexed without sentence embeddings."""
        rows = self.query(
            "SELECT c.chunk_id, c.doc_id, c.ordinal, c.text, c.metadata FROM chunks c LEFT JOIN sentence_vectors s "
            "ON s.chunk_id = c.chunk_id WHERE c.doc_id=? AND s.chunk_id IS NULL ORDER BY c.ordinal", (doc_id,))
        return [_chunk(r) for r in rows]

    def all_sentence_vectors(self, dim: int) -> list[tuple[str, np.ndarray]]:
        """(chunk_id, sentence embeddings) of every chunk that has them."""
        return [(r[0], _matrix(r[1], dim)) for r in self.query("SELECT chunk_id, vectors FROM sentence_vectors")]

    def add_sentence_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store sentence embeddings for chunks that are registered (others are ignored)."""
        with self.tx() as db:
            registered = {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}
            _put_sentence_vectors(db, [(cid, v) for cid, v in vectors.items() if cid in registered])

    def all_tokens(self) -> list[tuple[str, list[str]]]:
        """(chunk_id, lexical tokens) of every chunk, to rebuild the in-memory BM25 index."""
        return [(r[0], r[1].split(" ") if r[1] else []) for r in self.query("SELECT chunk_id, tokens FROM chunks")]

    def replace_document(self, doc: DocumentRecord, chunks: list[ChunkRecord], tokens: list[list[str]],
                         sentence_vectors: list[np.ndarray] | None = None) -> list[str]:
        """Atomically make ``chunks`` (with their tokens and sentence embeddings) the document's only chunks (and the
        document the only one from its source); returns the chunk ids it replaced."""
        with self.tx() as db:
            old = _delete_chunks(db, doc.doc_id)
            for (other,) in db.execute("SELECT doc_id FROM documents WHERE source=? AND doc_id<>?", (doc.source, doc.doc_id)).fetchall():
                old += _delete_chunks(db, other)
                db.execute("DELETE FROM documents WHERE doc_id=?", (other,))
            values = (doc.doc_id, doc.source, doc.sha256, doc.title, doc.fmt, doc.status, doc.chunk_count, doc.version,
                      doc.ingested_at, json.dumps(doc.metadata, ensure_ascii=False), json.dumps(doc.warnings, ensure_ascii=False))
            updates = ", ".join(f"{c}=excluded.{c}" for c in _DOC_COLUMNS.split(", ")[1:])
            db.execute(f"INSERT INTO documents({_DOC_COLUMNS}) VALUES ({','.join('?' * len(values))}) "
                       f"ON CONFLICT(doc_id) DO UPDATE SET {updates}", values)
            db.many("INSERT INTO chunks(chunk_id, doc_id, ordinal, text, tokens, metadata) VALUES (?,?,?,?,?,?)",
                    [(c.chunk_id, c.doc_id, c.ordinal, c.text, " ".join(t), json.dumps(c.metadata, ensure_ascii=False)) for c, t in zip(chunks, tokens)])
            if sentence_vectors is not None:
                _put_sentence_vectors(db, [(c.chunk_id, v) for c, v in zip(chunks, sentence_vectors)])
            _bump(db)
        return old

    def remove_document(self, doc_id: str) -> list[str]:
        """Delete a document and its chunks; returns the removed chunk ids."""
        with self.tx() as db:
            old = _delete_chunks(db, doc_id)
            db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            _bump(db)
        return old

    def rename(self, doc_id: str, title: str) -> None:
        """Give a document (and the metadata of its chunks) a new title."""
        with self.tx() as db:
            db.execute("UPDATE documents SET title=? WHERE doc_id=?", (title, doc_id))
        self.update_metadata(doc_id, {"title": title})

    def update_metadata(self, doc_id: str, changes: dict) -> None:
        """Merge ``changes`` into a document's metadata and into each of its chunks' metadata."""
        with self.tx() as db:
            row = db.one("SELECT metadata FROM documents WHERE doc_id=?", (doc_id,))
            if row is None:
                return
            db.execute("UPDATE documents SET metadata=? WHERE doc_id=?", (json.dumps({**json.loads(row[0]), **changes}, ensure_ascii=False), doc_id))
            db.many("UPDATE chunks SET metadata=? WHERE chunk_id=?",
                    [(json.dumps({**json.loads(meta), **changes}, ensure_ascii=False), cid)
                     for cid, meta in db.execute("SELECT chunk_id, metadata FROM chunks WHERE doc_id=?", (doc_id,)).fetchall()])
            _bump(db)

    def copy_to(self, target: "Registry") -> int:
        """Copy every row into an empty registry (a backup into a SQLite file, a restore into PostgreSQL); returns the
        number of chunks. Refuses a target that holds documents already."""
        if target.one("SELECT doc_id FROM documents LIMIT 1") is not None:
            raise ValueError("the target registry is not empty; restore into a new one")
        with self.engine.connect().execution_options(ipbot_read=True) as source, target.tx() as db:
            for table in TABLES:
                result = source.execute(sa.text(f"SELECT * FROM {table}"))
                columns = list(result.keys())
                if table == "meta":
                    db.execute("DELETE FROM meta")
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"
                while batch := result.fetchmany(1000):
                    db.many(insert, [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in batch])
            source.rollback()
        return len(target.chunk_ids())


def _put_sentence_vectors(db: Tx, rows: list[tuple[str, np.ndarray]]) -> None:
    db.many("INSERT INTO sentence_vectors(chunk_id, vectors) VALUES (?,?) ON CONFLICT(chunk_id) DO UPDATE SET vectors=excluded.vectors",
            [(cid, np.asarray(v, dtype=np.float32).tobytes()) for cid, v in rows])


def _delete_chunks(db: Tx, doc_id: str) -> list[str]:
    """Delete a document's chunks and their sentence embeddings; returns their ids."""
    old = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,)).fetchall()]
    db.execute("DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks WHERE doc_id=?)", (doc_id,))
    db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
    return old


def _matrix(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)


def _bump(db: Tx) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES('generation', '1') "
               "ON CONFLICT(key) DO UPDATE SET value=CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")


def _chunk(r) -> ChunkRecord:
    return ChunkRecord(r[0], r[1], r[2], r[3], json.loads(r[4]))


def _doc(r) -> DocumentRecord:
    return DocumentRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]), json.loads(r[10]))
