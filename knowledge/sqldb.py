"""A database behind a SQLAlchemy URL, shared by threads and processes: a SQLite file by default (WAL, foreign keys,
write transactions that take the lock at BEGIN), PostgreSQL where replicas on several hosts share it. Statements are
written once with ``?`` placeholders for every backend; rows come back as ``Record``s."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy import event

_PLACEHOLDER = re.compile(r"\?")


def _named(sql: str, params: tuple | list | Mapping) -> tuple[sa.TextClause, dict]:
    """A statement written with ``?`` placeholders as SQLAlchemy text with named parameters (one SQL for every backend)."""
    if isinstance(params, Mapping):
        return sa.text(sql), dict(params)
    names = iter(range(len(params)))
    statement = _PLACEHOLDER.sub(lambda _: f":p{next(names)}", sql)
    return sa.text(statement), {f"p{i}": value for i, value in enumerate(params)}


class Record(tuple):
    """A row as sqlite3.Row gives it: the values in order (``*row``), by position (``row[0]``) or by column name
    (``row["name"]``), and ``keys()``, so ``dict(row)`` works too. The rows of one result share a subclass that holds
    their column names."""

    _index: dict[str, int] = {}

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._index)


def _records(result: sa.Result) -> list[Record]:
    row_type = type("Record", (Record,), {"_index": {name: i for i, name in enumerate(result.keys())}, "__slots__": ()})
    return [row_type(row) for row in result]


class Tx:
    """One write transaction: ``execute`` a statement, ``insert`` a row and get its id."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple | list | Mapping = ()) -> sa.CursorResult:
        """Run a statement (``?`` placeholders)."""
        return self.conn.execute(*_named(sql, params))

    def insert(self, sql: str, params: tuple | list | Mapping = ()) -> int:
        """Run an INSERT and return the new row's ``id``."""
        return int(self.conn.execute(*_named(sql + " RETURNING id", params)).scalar_one())

    def many(self, sql: str, rows: Sequence[tuple | list]) -> None:
        """Run one statement (``?`` placeholders) for each row of parameters."""
        if rows:
            statement, _ = _named(sql, rows[0])
            self.conn.execute(statement, [_named(sql, r)[1] for r in rows])

    def one(self, sql: str, params: tuple | list | Mapping = ()) -> Record | None:
        """The first row of a SELECT inside this transaction, or None."""
        rows = _records(self.conn.execute(*_named(sql, params)))
        return rows[0] if rows else None


def _sqlite_file(url: sa.URL) -> None:
    """Create a SQLite file readable by its owner only (its -wal and -shm companions take the same mode)."""
    path = Path(url.database or "")
    if not url.database or url.database == ":memory:":
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists() and companion.stat().st_mode & 0o077:
            companion.chmod(0o600)


def make_engine(url: str) -> sa.Engine:
    """An engine: SQLite in WAL mode with foreign keys, write transactions that take the write lock
    at BEGIN (so two writers never deadlock), reads in deferred transactions (a snapshot, no lock); other backends as
    SQLAlchemy makes them."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    _sqlite_file(parsed)
    engine = sa.create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("ipbot_read") else "BEGIN IMMEDIATE")

    return engine


def migrate(engine: sa.Engine, scripts: Path, head: str, lock: int, version_table: str = "alembic_version",
            legacy_table: str | None = None) -> str:
    """Bring a schema to its newest revision ``head`` with the Alembic migrations in ``scripts``; a database from before
    migrations (it has ``legacy_table`` but no ``version_table``) is first recognised as revision 0001. Returns the
    revision it was at. Processes opening one PostgreSQL database at once take turns (advisory lock ``lock``)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(lock)})")
        inspector = sa.inspect(conn)
        current = conn.exec_driver_sql(f"SELECT version_num FROM {version_table}").scalar() if inspector.has_table(version_table) else None
        if current == head:
            return current
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(scripts))
        config.attributes["connection"] = conn
        config.attributes["version_table"] = version_table
        if current is None and legacy_table and inspector.has_table(legacy_table):
            command.stamp(config, "0001")
            current = "0001 (recognised)"
        command.upgrade(config, "head")
        return current or "empty"


def run_migrations_here() -> None:
    """The body of a migrations folder's ``env.py``: run its migrations on the connection ``migrate`` passes in, keeping
    the version in the table ``migrate`` names."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None, render_as_batch=connection.dialect.name == "sqlite",
                      version_table=context.config.attributes.get("version_table", "alembic_version"))
    with context.begin_transaction():
        context.run_migrations()


class SqlDatabase:
    """A database behind a SQLAlchemy URL: write transactions (``tx``) and reads (``query``, ``one``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql' (the SQLAlchemy dialect)."""
        return self.engine.dialect.name

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        """A write transaction; rolled back when the block raises."""
        with self.engine.begin() as conn:
            yield Tx(conn)

    def query(self, sql: str, params: tuple | list | Mapping = ()) -> list[Record]:
        """Rows of a SELECT."""
        with self.engine.connect().execution_options(ipbot_read=True) as conn:
            rows = _records(conn.execute(*_named(sql, params)))
            conn.rollback()
            return rows

    def one(self, sql: str, params: tuple | list | Mapping = ()) -> Record | None:
        """The first row of a SELECT, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
