"""Users, roles and login sessions: argon2-hashed passwords, session tokens that expire."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .appdb import AppDB
from ..answering import BotError

ROLES = ("staff", "editor", "admin")
MIN_PASSWORD_CHARS = 8
_NAME = re.compile(r"^[\w.\-@]{1,64}$", re.UNICODE)
_hasher = PasswordHasher()


class AccountError(BotError):
    """A user name, role or password was refused; the message says why."""


@dataclass
class User:
    """A person who can log in to the staff desk or the knowledge console."""

    name: str
    role: str
    created_at: str = ""

    def can(self, role: str) -> bool:
        """Whether this user's role includes ``role`` (admin ⊇ editor ⊇ staff)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether the password matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


class Accounts:
    """Accounts and sessions in the app database; ``clock`` is replaceable for tests."""

    def __init__(self, db: AppDB, session_hours: float = 8.0, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.session_hours = session_hours
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def _check(self, name: str, password: str | None = None, role: str | None = None) -> None:
        if not _NAME.match(name or ""):
            raise AccountError(f"user name {name!r} is not valid: use 1–64 letters, digits, '.', '-', '_' or '@'")
        if role is not None and role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if password is not None and len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")

    def add_user(self, name: str, password: str, role: str) -> User:
        """Create a user; AccountError when the name is taken or a value is invalid."""
        self._check(name, password, role)
        if self.user(name):
            raise AccountError(f"user {name!r} already exists; change the password with: ipbot users passwd {name}")
        created = _iso(self.clock())
        with self.db.tx() as db:
            db.execute("INSERT INTO users(name, role, password_hash, created_at) VALUES (?,?,?,?)", (name, role, hash_password(password), created))
        return User(name, role, created)

    def set_password(self, name: str, password: str) -> None:
        """Change a user's password and end their sessions."""
        self._check(name, password)
        self._require(name)
        with self.db.tx() as db:
            db.execute("UPDATE users SET password_hash=? WHERE name=?", (hash_password(password), name))
            db.execute("DELETE FROM sessions WHERE user_name=?", (name,))

    def set_role(self, name: str, role: str) -> None:
        """Change a user's role."""
        self._check(name, role=role)
        self._require(name)
        with self.db.tx() as db:
            db.execute("UPDATE users SET role=? WHERE name=?", (role, name))

    def remove_user(self, name: str) -> None:
        """Delete a user and their sessions."""
        self._require(name)
        with self.db.tx() as db:
            db.execute("DELETE FROM users WHERE name=?", (name,))

    def user(self, name: str) -> User | None:
        """The user with this name, or None."""
        row = self.db.one("SELECT name, role, created_at FROM users WHERE name=?", (name,))
        return User(row["name"], row["role"], row["created_at"]) if row else None

    def _require(self, name: str) -> User:
        found = self.user(name)
        if found is None:
            raise AccountError(f"no user {name!r}; list them with: ipbot users list")
        return found

    def users(self) -> list[User]:
        """All users by name."""
        return [User(r["name"], r["role"], r["created_at"]) for r in self.db.query("SELECT name, role, created_at FROM users ORDER BY name")]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None."""
        row = self.db.one("SELECT name, role, created_at, password_hash FROM users WHERE name=?", (name,))
        if row is None:
            verify_password(_decoy_hash(), password)  # as slow as a real check, so timing does not reveal which names exist
            return None
        if not verify_password(row["password_hash"], password):
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):
            with self.db.tx() as db:
                db.execute("UPDATE users SET password_hash=? WHERE name=?", (hash_password(password), name))
        return User(row["name"], row["role"], row["created_at"])

    def start_session(self, user: User) -> str:
        """A new session token for the user (only its hash is stored); it expires after ``session_hours``."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (_iso(now),))
            db.execute("INSERT INTO sessions(token_hash, user_name, created_at, expires_at) VALUES (?,?,?,?)",
                       (_token_hash(token), user.name, _iso(now), _iso(now + timedelta(hours=self.session_hours))))
        return token

    def session_user(self, token: str | None) -> User | None:
        """The user of a live session token; None when it is unknown or expired."""
        if not token:
            return None
        row = self.db.one("SELECT u.name, u.role, u.created_at, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name "
                          "WHERE s.token_hash=?", (_token_hash(token),))
        if row is None or row["expires_at"] <= _iso(self.clock()):
            return None
        return User(row["name"], row["role"], row["created_at"])

    def end_session(self, token: str | None) -> None:
        """Log a session out."""
        if token:
            with self.db.tx() as db:
                db.execute("DELETE FROM sessions WHERE token_hash=?", (_token_hash(token),))
