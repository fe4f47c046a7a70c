"""One SQLite file shared by threads: a connection per thread (WAL, foreign keys) and write transactions."""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path


class SQLiteFile:
    """A SQLite database file with a connection per thread (web handlers run in a thread pool). The file, and so its
    -wal and -shm companions, which SQLite creates with the same mode, are readable by their owner only."""

    def __init__(self, path: Path, schema: str, row_factory=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.exists() and companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        self.path = path
        self._row_factory = row_factory
        self._local = threading.local()
        self.connection().executescript(schema)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if self._row_factory is not None:
                db.row_factory = self._row_factory
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def tx(self):
        """A write transaction; rolled back when the block raises."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
