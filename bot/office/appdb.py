"""The app database: accounts, sessions, API keys, conversations, feedback, drafts, gaps, audit log. A SQLite file in
the data dir by default; PostgreSQL (or another SQLAlchemy URL) with IPBOT_DATABASE_URL, so that several replicas share
it. The schema is kept by Alembic migrations (``bot/office/migrations``), applied when the database is opened; a SQLite
file from before migrations is recognised and brought up to date with every row kept."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from knowledge.sqldb import SqlDatabase, migrate

from .migrations import HEAD

APP_DB_NAME = "app.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 728451903


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


class AppDB(SqlDatabase):
    """The app database behind a SQLAlchemy URL; rows come back as ``Record``s (``row["name"]``, ``row[0]``)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        migrate(self.engine, MIGRATIONS, HEAD, MIGRATION_LOCK, legacy_table="users")


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
