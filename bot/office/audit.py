"""The audit log: who changed what, and when."""
from __future__ import annotations

from dataclasses import dataclass

from .appdb import AppDB, utc_now


@dataclass
class AuditEntry:
    """One recorded change."""

    at: str
    actor: str
    action: str
    target: str
    detail: str


class AuditLog:
    """Append-only record of changes to the knowledge base, accounts and gaps."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        """Add an entry now."""
        with self.db.tx() as db:
            db.execute("INSERT INTO audit(at, actor, action, target, detail) VALUES (?,?,?,?,?)", (utc_now(), actor, action, target, detail))

    def entries(self, limit: int = 500) -> list[AuditEntry]:
        """The latest entries, newest first."""
        rows = self.db.query("SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(*tuple(r)) for r in rows]
