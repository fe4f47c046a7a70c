"""``ipbot backup`` and ``ipbot restore``: the whole state of a deployment in one archive — the document registry and
every passage's embedding (consistent: taken under the knowledge base's write lock), every row of the app database
(SQLite or PostgreSQL, restorable into either), and the uploaded and FAQ files documents were indexed from."""
from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .settings import Settings

FORMAT = "ipbot-backup/1"
FOLDERS = ("uploads", "faq")


class BackupError(Exception):
    """A backup could not be made or restored; the message says why."""


def make_backup(settings: Settings, archive: Path) -> dict:
    """Write the archive (.tar.gz); returns its manifest."""
    from bot.office.appdb import dump_rows, open_app_db

    from .compose import open_knowledge_base

    if not settings.chroma_url and not settings.registry_url and not settings.registry_path.exists():
        raise BackupError(f"no knowledge base in {settings.data_dir}")
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="ipbot-backup-") as tmp:
        work = Path(tmp)
        kb = open_knowledge_base(settings)
        knowledge = kb.backup_to(work / "knowledge")
        db = open_app_db(settings.data_dir, settings.database_url)
        rows = dump_rows(db)
        db.close()
        (work / "app").mkdir()
        for table, items in rows.items():
            (work / "app" / f"{table}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
        for name in FOLDERS:
            if (settings.data_dir / name).is_dir():
                shutil.copytree(settings.data_dir / name, work / "files" / name, symlinks=False)
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **knowledge,
                    "app_rows": {t: len(r) for t, r in rows.items()}}
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work, arcname="ipbot-backup")
        partial.replace(archive)
    return manifest


def _members_inside(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's members, refusing any that would land outside the extraction folder or are not plain files/folders."""
    members = tar.getmembers()
    for m in members:
        if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in Path(m.name).parts:
            raise BackupError(f"the archive holds an unsafe member {m.name!r}; not restoring it")
    return members


def restore_backup(settings: Settings, archive: Path) -> dict:
    """Restore an archive into an empty data dir (and an empty app database when IPBOT_DATABASE_URL is set; an empty
    Chroma collection when IPBOT_CHROMA_URL is); returns the manifest with what was restored."""
    from bot.office.appdb import load_rows, open_app_db
    from knowledge import KnowledgeError

    from .compose import open_knowledge_base

    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"no such archive: {archive}")
    data_dir = Path(settings.data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty; restore into a new data dir (--data-dir)")
    with tempfile.TemporaryDirectory(prefix="ipbot-restore-") as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, members=_members_inside(tar), filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{archive.name} is not a readable ipbot backup: {exc}") from None
        work = Path(tmp) / "ipbot-backup"
        try:
            manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BackupError(f"{archive.name} has no manifest; it is not an ipbot backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive.name} is a {manifest.get('format')!r} archive; this version reads {FORMAT!r}")
        data_dir.mkdir(parents=True, exist_ok=True)
        kb = open_knowledge_base(settings)
        if kb.vectors.count():
            raise BackupError(f"the vector store at {kb.vectors.location} is not empty; restore into an empty collection")
        try:
            passages = kb.restore_from(work / "knowledge")
        except KnowledgeError as exc:
            raise BackupError(str(exc)) from None
        rows = {p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
                for p in (work / "app").glob("*.jsonl")}
        db = open_app_db(data_dir, settings.database_url)
        try:
            counts = load_rows(db, rows)
        except ValueError as exc:
            raise BackupError(str(exc)) from None
        finally:
            db.close()
        for name in FOLDERS:
            if (work / "files" / name).is_dir():
                shutil.copytree(work / "files" / name, data_dir / name)
    return {**manifest, "restored_passages": passages, "restored_rows": counts}
