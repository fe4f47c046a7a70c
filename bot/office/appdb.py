"""The app database: accounts, sessions, API keys, conversations, feedback, drafts, gaps, audit log. A SQLite file in
the data dir by default; PostgreSQL (or another SQLAlchemy URL) with IPBOT_DATABASE_URL, so that several replicas share
it. The schema is kept by Alembic migrations (``bot/office/migrations``), applied when the database is opened; a SQLite
file from before migrations is recognised and brought up to date with every row kept."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy import event

from .migrations import HEAD

APP_DB_NAME = "app.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")
_PLACEHOLDER = re.compile(r"\?")


def local_time(stamp: str, zone: str) -> str:
    """An ISO 8601 UTC time stamp as 'YYYY-MM-DD HH:MM' in ``zone`` (an IANA name such as Asia/Shanghai); the stamp as it is
    when it cannot be read."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError, KeyError):
        return stamp


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _named(sql: str, params: tuple | list | Mapping) -> tuple[sa.TextClause, dict]:
    """A statement written with ``?`` placeholders as SQLAlchemy text with named parameters (one SQL for every backend)."""
    if isinstance(params, Mapping):
        return sa.text(sql), dict(params)
    names = iter(range(len(params)))
    statement = _PLACEHOLDER.sub(lambda _: f":p{next(names)}", sql)
    return sa.text(statement), {f"p{i}": value for i, value in enumerate(params)}


class Record(tuple):
    """A row as sqlite3.Row gives it: the values in order (``*row``), by position (``row[0]``) or by column name
    (``row["name"]``), and ``keys()``, so ``dict(row)`` works too."""

    def __new__(cls, values, index: dict[str, int]):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._index)


def _records(result: sa.Result) -> list[Record]:
    index = {name: i for i, name in enumerate(result.keys())}
    return [Record(tuple(row), index) for row in result]


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
    """An engine for the app database: SQLite in WAL mode with foreign keys, write transactions that take the write lock
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


def migrate(engine: sa.Engine) -> str:
    """Bring the schema to the newest revision (a database from before migrations is first recognised as revision 0001);
    returns the revision it was at. Replicas opening one PostgreSQL database at once take turns (an advisory lock)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(728451903)")
        inspector = sa.inspect(conn)
        current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() if inspector.has_table("alembic_version") else None
        if current == HEAD:
            return current
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        if current is None and inspector.has_table("users"):
            command.stamp(config, "0001")
            current = "0001 (recognised)"
        command.upgrade(config, "head")
        return current or "empty"


class AppDB:
    """The app database behind a SQLAlchemy URL; rows come back as ``Record``s (``row["name"]``, ``row[0]``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)

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


def app_db_url(data_dir: Path, database_url: str | None = None) -> str:
    """The app database's URL: ``database_url`` when set (IPBOT_DATABASE_URL), else the SQLite file in the data dir."""
    return database_url or f"sqlite:///{(Path(data_dir) / APP_DB_NAME).resolve()}"


def open_app_db(data_dir: Path, database_url: str | None = None) -> AppDB:
    """The app database of a data dir, or the one IPBOT_DATABASE_URL names (created and migrated when needed)."""
    return AppDB(app_db_url(data_dir, database_url))


TABLES = ("users", "sessions", "gap_groups", "exchanges", "feedback", "drafts", "audit", "api_keys", "jobs")
"""The app database's tables, parents before children (the order a restore fills them in)."""


def dump_rows(db: AppDB) -> dict[str, list[dict]]:
    """Every row of every table, as JSON-ready dicts (a backup that any backend can load)."""
    with db.engine.connect().execution_options(ipbot_read=True) as conn:
        return {table: [dict(row._mapping) for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))] for table in TABLES}


def load_rows(db: AppDB, rows: dict[str, list[dict]]) -> dict[str, int]:
    """Fill an empty app database with dumped rows (ids kept; PostgreSQL's id sequences moved past them); returns the
    count per table. Refuses a database that has rows already."""
    with db.tx() as tx:
        filled = [t for t in TABLES if tx.one(f"SELECT 1 AS x FROM {t} LIMIT 1") is not None]
        if filled:
            raise ValueError(f"the app database is not empty (table {filled[0]} has rows); restore into a new one")
        for table in TABLES:
            for row in rows.get(table, []):
                columns = list(row)
                tx.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", row)
        if db.backend == "postgresql":
            for table in ("gap_groups", "exchanges", "drafts", "audit", "jobs"):
                tx.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    return {table: len(rows.get(table, [])) for table in TABLES}
