"""The app database (SQLite in the data dir): accounts, sessions, conversations, feedback, drafts, gaps, audit log."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from knowledge import SQLiteFile

APP_DB_NAME = "app.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY, session TEXT NOT NULL DEFAULT '', question TEXT NOT NULL,
    answer TEXT NOT NULL, citations TEXT NOT NULL DEFAULT '[]', abstained INTEGER NOT NULL DEFAULT 0,
    support REAL NOT NULL DEFAULT 0, mode TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT 'zh',
    created_at TEXT NOT NULL, gap_group INTEGER REFERENCES gap_groups(id));
CREATE TABLE IF NOT EXISTS feedback (
    exchange_id INTEGER PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE, rating INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, facts TEXT NOT NULL DEFAULT '{}', body TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]', language TEXT NOT NULL DEFAULT 'zh', author TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gap_groups (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL, faq_doc_id TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL, resolved_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS exchanges_gap ON exchanges(gap_group, created_at);
"""


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


class AppDB(SQLiteFile):
    """The app database file; rows come back as sqlite3.Row."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, sqlite3.Row)

    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        """Rows of a SELECT."""
        return self.connection().execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
        """The first row of a SELECT, or None."""
        return self.connection().execute(sql, params).fetchone()


def open_app_db(data_dir: Path) -> AppDB:
    """The app database of a data dir (created when missing)."""
    return AppDB(Path(data_dir) / APP_DB_NAME)
