"""API keys for other systems (a service centre's website, a WeChat or DingTalk bot, a case system): created by an
admin, shown once, stored as a SHA-256 hash (a key is 32 random bytes, so a fast hash is enough), revocable."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ..answering import BotError
from .appdb import AppDB, utc_now

KEY_ROLES = ("public", "staff", "editor")
KEY_PREFIX = "ipb_"
_NAME = re.compile(r"^[\w.\-@]{1,64}$", re.UNICODE)
_KEY = re.compile(r"^ipb_([A-Za-z0-9]{8})_([A-Za-z0-9_\-]{43})$")


class ApiKeyError(BotError):
    """An API key name or role was refused, or the key does not exist; the message says why."""


@dataclass
class ApiKey:
    """One API key as listed (never its secret): ``id`` is the 8 characters after ``ipb_`` that the key starts with."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str = ""
    last_used_at: str = ""

    @property
    def active(self) -> bool:
        """Whether the key is still accepted."""
        return not self.revoked_at

    def can(self, role: str) -> bool:
        """Whether this key's role includes ``role`` (editor ⊇ staff ⊇ public)."""
        return KEY_ROLES.index(self.role) >= KEY_ROLES.index(role)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(row) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["role"], row["created_at"], row["revoked_at"], row["last_used_at"])


class ApiKeys:
    """The API keys in the app database."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """A new key: (its record, the key itself — shown this once, only its hash is kept)."""
        if not _NAME.match(name or ""):
            raise ApiKeyError(f"key name {name!r} is not valid: use 1–64 letters, digits, '.', '-', '_' or '@'")
        if role not in KEY_ROLES:
            raise ApiKeyError(f"role {role!r} is not one of {', '.join(KEY_ROLES)}")
        if self.db.one("SELECT 1 FROM api_keys WHERE name=?", (name,)):
            raise ApiKeyError(f"an API key named {name!r} exists; revoke it or choose another name")
        key_id = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
        secret = secrets.token_urlsafe(32)
        created = utc_now()
        with self.db.tx() as db:
            db.execute("INSERT INTO api_keys(id, name, role, key_hash, created_at) VALUES (?,?,?,?,?)",
                       (key_id, name, role, _hash(secret), created))
        return ApiKey(key_id, name, role, created), f"{KEY_PREFIX}{key_id}_{secret}"

    def verify(self, key: str | None) -> ApiKey | None:
        """The active key a presented key string belongs to; None when it is malformed, unknown, wrong or revoked."""
        m = _KEY.match(key or "")
        if not m:
            return None
        row = self.db.one("SELECT * FROM api_keys WHERE id=?", (m.group(1),))
        if row is None or row["revoked_at"] or not secrets.compare_digest(row["key_hash"], _hash(m.group(2))):
            return None
        now = utc_now()
        if row["last_used_at"][:16] != now[:16]:  # at most one write a minute per key
            with self.db.tx() as db:
                db.execute("UPDATE api_keys SET last_used_at=? WHERE id=?", (now, row["id"]))
        return _key(row)

    def revoke(self, name: str) -> ApiKey:
        """Stop accepting a key (named by its name or id); the record stays for the audit trail."""
        row = self.db.one("SELECT * FROM api_keys WHERE name=? OR id=?", (name, name))
        if row is None:
            raise ApiKeyError(f"no API key {name!r}; list them with: ipbot keys list")
        if not row["revoked_at"]:
            with self.db.tx() as db:
                db.execute("UPDATE api_keys SET revoked_at=? WHERE id=?", (utc_now(), row["id"]))
        return _key(self.db.one("SELECT * FROM api_keys WHERE id=?", (row["id"],)))

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        return [_key(r) for r in self.db.query("SELECT * FROM api_keys ORDER BY created_at DESC, name")]
