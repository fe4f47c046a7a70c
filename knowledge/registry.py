"""The document registry: SQLite in the data dir, the source of truth for what is indexed."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from .records import ChunkRecord, DocumentRecord
from .sqlite import SQLiteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL, title TEXT NOT NULL,
    fmt TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, chunk_count INTEGER NOT NULL, version INTEGER NOT NULL,
    ingested_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', warnings TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS sentence_vectors (chunk_id TEXT PRIMARY KEY, vectors BLOB NOT NULL);
"""
_DOC_COLUMNS = "doc_id, source, sha256, title, fmt, status, chunk_count, version, ingested_at, metadata, warnings"


class Registry(SQLiteFile):
    """Documents, their chunks and the lexical tokens of each chunk, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table (embedding model, generation …)."""
        row = self.connection().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
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
        rows = self.connection().execute(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY title, doc_id").fetchall()
        return [_doc(r) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The document with this id, or None."""
        row = self.connection().execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def document_by_source(self, source: str) -> DocumentRecord | None:
        """The document ingested from this source path, or None."""
        row = self.connection().execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE source=?", (source,)).fetchone()
        return _doc(row) if row else None

    def chunks(self, doc_id: str | None = None) -> list[ChunkRecord]:
        """Chunks of one document (or of all documents) in reading order."""
        sql = "SELECT chunk_id, doc_id, ordinal, text, metadata FROM chunks"
        rows = self.connection().execute(sql + (" WHERE doc_id=? ORDER BY ordinal" if doc_id else " ORDER BY doc_id, ordinal"), (doc_id,) if doc_id else ()).fetchall()
        return [ChunkRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def chunk_ids(self) -> set[str]:
        """The ids of every registered chunk."""
        return {r[0] for r in self.connection().execute("SELECT chunk_id FROM chunks")}

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, ChunkRecord]:
        """Chunks for the given ids (missing ids are skipped)."""
        out: dict[str, ChunkRecord] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for r in self.connection().execute(f"SELECT chunk_id, doc_id, ordinal, text, metadata FROM chunks WHERE chunk_id IN ({marks})", part):
                out[r[0]] = ChunkRecord(r[0], r[1], r[2], r[3], json.loads(r[4]))
        return out

    def sentence_vectors(self, chunk_ids: list[str], dim: int) -> dict[str, np.ndarray]:
        """The sentence embeddings (one row per sentence) of the given chunks; chunks without any are absent."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for cid, blob in self.connection().execute(f"SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id IN ({marks})", part):
                out[cid] = _matrix(blob, dim)
        return out

    def chunks_without_sentence_vectors(self, doc_id: str) -> list[ChunkRecord]:
        """A document's chunks that were indexed without sentence embeddings."""
        rows = self.connection().execute(
            "SELECT c.chunk_id, c.doc_id, c.ordinal, c.text, c.metadata FROM chunks c LEFT JOIN sentence_vectors s "
            "ON s.chunk_id = c.chunk_id WHERE c.doc_id=? AND s.chunk_id IS NULL ORDER BY c.ordinal", (doc_id,)).fetchall()
        return [ChunkRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def all_sentence_vectors(self, dim: int) -> list[tuple[str, np.ndarray]]:
        """(chunk_id, sentence embeddings) of every chunk that has them."""
        return [(cid, _matrix(blob, dim)) for cid, blob in self.connection().execute("SELECT chunk_id, vectors FROM sentence_vectors")]

    def add_sentence_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store sentence embeddings for chunks that are registered (others are ignored)."""
        with self.tx() as db:
            registered = {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}
            db.executemany("INSERT OR REPLACE INTO sentence_vectors(chunk_id, vectors) VALUES (?,?)",
                           [(cid, np.asarray(v, dtype=np.float32).tobytes()) for cid, v in vectors.items() if cid in registered])

    def all_tokens(self) -> list[tuple[str, list[str]]]:
        """(chunk_id, lexical tokens) of every chunk, to rebuild the in-memory BM25 index."""
        return [(cid, toks.split(" ") if toks else []) for cid, toks in self.connection().execute("SELECT chunk_id, tokens FROM chunks")]

    def replace_document(self, doc: DocumentRecord, chunks: list[ChunkRecord], tokens: list[list[str]],
                         sentence_vectors: list[np.ndarray] | None = None) -> list[str]:
        """Atomically make ``chunks`` (with their tokens and sentence embeddings) the document's only chunks;
        returns the chunk ids it replaced."""
        with self.tx() as db:
            old = _delete_chunks(db, doc.doc_id)
            db.execute(
                f"INSERT OR REPLACE INTO documents({_DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.source, doc.sha256, doc.title, doc.fmt, doc.status, doc.chunk_count, doc.version,
                 doc.ingested_at, json.dumps(doc.metadata, ensure_ascii=False), json.dumps(doc.warnings, ensure_ascii=False)),
            )
            db.executemany(
                "INSERT INTO chunks(chunk_id, doc_id, ordinal, text, tokens, metadata) VALUES (?,?,?,?,?,?)",
                [(c.chunk_id, c.doc_id, c.ordinal, c.text, " ".join(t), json.dumps(c.metadata, ensure_ascii=False)) for c, t in zip(chunks, tokens)],
            )
            if sentence_vectors is not None:
                db.executemany("INSERT OR REPLACE INTO sentence_vectors(chunk_id, vectors) VALUES (?,?)",
                               [(c.chunk_id, np.asarray(v, dtype=np.float32).tobytes()) for c, v in zip(chunks, sentence_vectors)])
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
            row = db.execute("SELECT metadata FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
            if row is None:
                return
            db.execute("UPDATE documents SET metadata=? WHERE doc_id=?", (json.dumps({**json.loads(row[0]), **changes}, ensure_ascii=False), doc_id))
            for cid, meta in db.execute("SELECT chunk_id, metadata FROM chunks WHERE doc_id=?", (doc_id,)).fetchall():
                db.execute("UPDATE chunks SET metadata=? WHERE chunk_id=?", (json.dumps({**json.loads(meta), **changes}, ensure_ascii=False), cid))
            _bump(db)

def _delete_chunks(db: sqlite3.Connection, doc_id: str) -> list[str]:
    """Delete a document's chunks and their sentence embeddings; returns their ids."""
    old = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
    db.execute("DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks WHERE doc_id=?)", (doc_id,))
    db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
    return old


def _matrix(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)


def _bump(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES('generation', '1') ON CONFLICT(key) DO UPDATE SET value=CAST(value AS INTEGER)+1")


def _doc(r) -> DocumentRecord:
    return DocumentRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]), json.loads(r[10]))
