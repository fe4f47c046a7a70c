"""``ipbot users`` and ``ipbot keys``: accounts of the web app, and API keys for other systems."""
from __future__ import annotations

import sys
from typing import Annotated

import typer

from .cli_common import DataDir, app, fail, out, settings_for

users_app = typer.Typer(help="Accounts of the staff desk (/staff) and the knowledge console (/admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")]


def _accounts(data_dir):
    from bot.office import Accounts, open_app_db

    settings = settings_for(data_dir)
    return Accounts(open_app_db(settings.data_dir, settings.database_url), settings.session_hours), settings


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


def _audit(settings, action: str, name: str, detail: str = "") -> None:
    from bot.office import AuditLog, open_app_db

    AuditLog(open_app_db(settings.data_dir, settings.database_url)).record("cli", action, name, detail)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . - _ @).")],
    role: Annotated[str, typer.Option(help="staff (staff desk), editor (also the knowledge console) or admin.")] = "staff",
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
) -> None:
    """Create an account; the password is prompted for (or read with --password-stdin)."""
    from bot.office import AccountError

    accounts, settings = _accounts(data_dir)
    try:
        user = accounts.add_user(name, _password(password_stdin), role)
    except AccountError as exc:
        fail(str(exc))
    _audit(settings, "user.add", user.name, user.role)
    out.print(f"added: {user.name} ({user.role})")


@users_app.command("passwd")
def users_passwd(name: Annotated[str, typer.Argument(help="User name.")], password_stdin: PasswordStdin = False, data_dir: DataDir = None) -> None:
    """Set a new password (the user's open sessions end)."""
    from bot.office import AccountError

    accounts, settings = _accounts(data_dir)
    if accounts.user(name) is None:
        fail(f"no user {name!r}; list them with: ipbot users list")
    try:
        accounts.set_password(name, _password(password_stdin))
    except AccountError as exc:
        fail(str(exc))
    _audit(settings, "user.passwd", name)
    out.print(f"password changed: {name}")


@users_app.command("role")
def users_role(name: Annotated[str, typer.Argument(help="User name.")], role: Annotated[str, typer.Argument(help="staff, editor or admin.")],
               data_dir: DataDir = None) -> None:
    """Change a user's role."""
    from bot.office import AccountError

    accounts, settings = _accounts(data_dir)
    try:
        accounts.set_role(name, role)
    except AccountError as exc:
        fail(str(exc))
    _audit(settings, "user.role", name, role)
    out.print(f"role changed: {name} ({role})")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="User name.")], data_dir: DataDir = None) -> None:
    """Delete an account and its sessions."""
    from bot.office import AccountError

    accounts, settings = _accounts(data_dir)
    try:
        accounts.remove_user(name)
    except AccountError as exc:
        fail(str(exc))
    _audit(settings, "user.remove", name)
    out.print(f"removed: {name}")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False, data_dir: DataDir = None) -> None:
    """List the accounts: name, role, created at."""
    import json

    accounts, _ = _accounts(data_dir)
    for user in accounts.users():
        out.print(json.dumps({"name": user.name, "role": user.role, "created_at": user.created_at}) if as_json
                  else f"{user.name}\t{user.role}\t{user.created_at}")


keys_app = typer.Typer(help="API keys for other systems (the HTTP API /api/v1, the OpenAI-compatible /v1, the embeddable chat).",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _keys(data_dir):
    from bot.office import ApiKeys, open_app_db

    settings = settings_for(data_dir)
    return ApiKeys(open_app_db(settings.data_dir, settings.database_url)), settings


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key (who uses it: letters, digits, . - _ @).")],
    role: Annotated[str, typer.Option(help="public (ask, search, feedback), staff (the same, for staff systems) or editor (also documents).")] = "public",
    data_dir: DataDir = None,
) -> None:
    """Create an API key and print it once (only its hash is kept)."""
    from bot.office import ApiKeyError

    keys, settings = _keys(data_dir)
    try:
        key, secret = keys.create(name, role)
    except ApiKeyError as exc:
        fail(str(exc))
    _audit(settings, "key.create", key.name, key.role)
    out.print(f"created: {key.name} ({key.role}), id {key.id}. The key is shown this once:", highlight=False)
    out.print(secret, highlight=False, markup=False)
    if role == "public":
        out.print(f'embed the chat with: <script src="https://YOUR-SERVER/embed.js" data-key="{secret}" async></script>  '
                  "(add the website to IPBOT_EMBED_ORIGINS)", highlight=False, markup=False)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name or id.")], data_dir: DataDir = None) -> None:
    """Stop accepting a key (it stays listed, revoked)."""
    from bot.office import ApiKeyError

    keys, settings = _keys(data_dir)
    try:
        key = keys.revoke(name)
    except ApiKeyError as exc:
        fail(str(exc))
    _audit(settings, "key.revoke", key.name, key.id)
    out.print(f"revoked: {key.name} ({key.id})")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False, data_dir: DataDir = None) -> None:
    """List the keys: id, name, role, created, last used, revoked (never the keys themselves)."""
    import json
    from dataclasses import asdict

    keys, _ = _keys(data_dir)
    for key in keys.list():
        out.print(json.dumps(asdict(key)) if as_json else
                  f"{key.id}\t{key.name}\t{key.role}\t{key.created_at}\t{key.last_used_at or '-'}\t{'revoked ' + key.revoked_at if key.revoked_at else 'active'}",
                  highlight=False, markup=False)
