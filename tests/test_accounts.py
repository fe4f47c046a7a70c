"""Accounts: argon2 hashing, roles, sessions that expire, and the ``ipbot users`` commands."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.office import AccountError, Accounts, User, hash_password, open_app_db, verify_password
from conftest import run_cli


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def accounts(tmp_path, clock):
    return Accounts(open_app_db(tmp_path / "var"), session_hours=2, clock=clock)


def test_passwords_are_hashed_with_argon2_and_salted():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "correct horsE")
    assert not verify_password("not a hash", "correct horse")


def test_the_database_never_holds_the_password(accounts, tmp_path):
    accounts.add_user("li.wei", "s3cret-passw0rd", "staff")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "var").glob("app.sqlite3*"))
    assert b"s3cret-passw0rd" not in raw


def test_authenticate_checks_the_password(accounts):
    accounts.add_user("li.wei", "s3cret-passw0rd", "editor")
    assert accounts.authenticate("li.wei", "s3cret-passw0rd") == User("li.wei", "editor", accounts.user("li.wei").created_at)
    assert accounts.authenticate("li.wei", "wrong-password") is None
    assert accounts.authenticate("nobody", "s3cret-passw0rd") is None


def test_roles_nest_admin_editor_staff():
    admin, editor, staff = User("a", "admin"), User("e", "editor"), User("s", "staff")
    assert admin.can("editor") and admin.can("staff") and admin.can("admin")
    assert editor.can("editor") and editor.can("staff") and not editor.can("admin")
    assert staff.can("staff") and not staff.can("editor")


def test_bad_names_roles_and_passwords_are_refused_with_reasons(accounts):
    with pytest.raises(AccountError, match="role 'boss' is not one of staff, editor, admin"):
        accounts.add_user("zhang", "long-enough-pw", "boss")
    with pytest.raises(AccountError, match="at least 8 characters"):
        accounts.add_user("zhang", "short", "staff")
    with pytest.raises(AccountError, match="not valid"):
        accounts.add_user("bad name<", "long-enough-pw", "staff")
    accounts.add_user("zhang", "long-enough-pw", "staff")
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user("zhang", "long-enough-pw", "staff")
    with pytest.raises(AccountError, match="no user 'ghost'"):
        accounts.set_password("ghost", "long-enough-pw")


def test_sessions_expire(accounts, clock):
    user = accounts.add_user("wang", "long-enough-pw", "staff")
    token = accounts.start_session(user)
    assert accounts.session_user(token).name == "wang"
    clock.now += timedelta(hours=1, minutes=59)
    assert accounts.session_user(token) is not None
    clock.now += timedelta(minutes=2)
    assert accounts.session_user(token) is None
    assert accounts.session_user("forged-token") is None
    assert accounts.session_user(None) is None


def test_logout_and_password_change_end_sessions(accounts):
    user = accounts.add_user("wang", "long-enough-pw", "staff")
    first, second = accounts.start_session(user), accounts.start_session(user)
    accounts.end_session(first)
    assert accounts.session_user(first) is None and accounts.session_user(second) is not None
    accounts.set_password("wang", "another-long-pw")
    assert accounts.session_user(second) is None
    assert accounts.authenticate("wang", "another-long-pw") is not None


def test_role_changes_apply_to_open_sessions(accounts):
    token = accounts.start_session(accounts.add_user("zhao", "long-enough-pw", "staff"))
    accounts.set_role("zhao", "editor")
    assert accounts.session_user(token).role == "editor"
    accounts.remove_user("zhao")
    assert accounts.session_user(token) is None


def _users(data: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("ipbot")
    return subprocess.run([str(exe), "users", *args, "--data-dir", str(data)], input=password, capture_output=True, text=True, timeout=120)


def test_users_commands(tmp_path):
    data = tmp_path / "var"
    added = _users(data, "add", "chen", "--role", "editor", "--password-stdin", password="editor-pass-1\n")
    assert added.returncode == 0, added.stderr
    assert "added: chen (editor)" in added.stdout
    assert _users(data, "add", "chen", "--password-stdin", password="editor-pass-1\n").returncode == 2
    short = _users(data, "add", "liu", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert _users(data, "passwd", "chen", "--password-stdin", password="editor-pass-2\n").returncode == 0
    listed = run_cli("users", "list", "--json", "--data-dir", str(data))
    assert '"name": "chen"' in listed.stdout and '"role": "editor"' in listed.stdout
    accounts = Accounts(open_app_db(data))
    assert accounts.authenticate("chen", "editor-pass-2") is not None
    assert accounts.authenticate("chen", "editor-pass-1") is None
