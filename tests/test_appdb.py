"""The app database on SQLite and on a real PostgreSQL (issue 18): the same stores work on both, migrations run once and
are recorded, and a SQLite file from before migrations is upgraded with every row kept."""
from __future__ import annotations

import itertools
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.answering import Answer, Citation
from bot.office import Accounts, ApiKeys, AuditLog, Conversations, Draft, DraftStore, hash_password, open_app_db
from bot.office.appdb import AppDB, app_db_url
from bot.office.migrations import HEAD
from postgres import create_database

_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> AppDB:
    if request.param == "sqlite":
        database = open_app_db(tmp_path / "var")
    else:
        database = open_app_db(tmp_path / "var", create_database(request.getfixturevalue("postgres"), f"app{next(_names)}"))
    yield database
    database.close()


def _answer(text: str = "示例权的期限为十二年[1]。") -> Answer:
    cite = Citation(1, "/srv/law.md", "示例保护法", "第三条", None, "示例权的期限为十二年", "law", "law#3")
    return Answer(text, [cite], "extractive", False, "zh", "", 0.93)


def test_every_store_works_on_both_databases(db):
    assert db.one("SELECT version_num FROM alembic_version")["version_num"] == HEAD
    accounts = Accounts(db, session_hours=1)
    user = accounts.add_user("editor1", "editor-pass-1", "editor")
    token = accounts.start_session(user)
    assert accounts.session_user(token).name == "editor1" and accounts.authenticate("editor1", "editor-pass-1")
    accounts.remove_user("editor1")
    assert accounts.session_user(token) is None, "sessions go with their user (ON DELETE CASCADE)"

    log = Conversations(db)
    first, second = log.record("s1", "期限多久？", _answer()), log.record("s1", "年费呢？", _answer("年费三百元[1]。"))
    assert second > first
    log.rate(first, -1, "太简略")
    log.rate(first, 1)
    got = log.exchange(first)
    assert (got.rating, got.comment, got.support, got.citations[0]["article_label"]) == (1, "太简略", 0.93, "第三条")
    assert [e.id for e in log.exchanges(where="f.rating = ?", params=(1,))] == [first]

    drafts = DraftStore(db)
    draft = drafts.save(Draft("问题", "答复[1]", [{"n": 1, "title": "示例保护法"}], {"region": "上海"}, "zh"), "staff1")
    draft.body = "改过的答复[1]"
    drafts.save(draft, "staff1")
    assert drafts.get(draft.id).body == "改过的答复[1]" and [d.id for d in drafts.list()] == [draft.id]

    keys = ApiKeys(db)
    key, secret = keys.create("website", "public")
    assert keys.verify(secret).id == key.id and keys.verify(secret[:-1] + "x") is None
    keys.revoke("website")
    assert keys.verify(secret) is None

    audit = AuditLog(db)
    audit.record("key:website", "document.upload", "guide", "draft")
    assert audit.entries(5)[0].actor == "key:website"


def test_concurrent_writers_lose_nothing(db):
    log = Conversations(db)

    def write(n: int) -> None:
        for i in range(15):
            log.record(f"s{n}", f"问题{n}-{i}", _answer())

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log.exchanges()) == 90 and len({e.id for e in log.exchanges()}) == 90


def test_two_processes_opening_one_database_migrate_once(postgres):
    url = create_database(postgres, f"app{next(_names)}")
    opened = []
    threads = [threading.Thread(target=lambda: opened.append(AppDB(url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 4 and opened[0].one("SELECT count(*) AS n FROM alembic_version")["n"] == 1


LEGACY_SCHEMA = """
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


def test_a_sqlite_file_from_before_migrations_keeps_every_row(tmp_path):
    """The layout of ipbot's app.sqlite3 up to session 9 (written by its own CREATE TABLE statements, no migration
    table), filled with rows, is opened by this version: every row is kept and the newest tables are added."""
    data = tmp_path / "var"
    data.mkdir()
    old = sqlite3.connect(data / "app.sqlite3")
    old.executescript(LEGACY_SCHEMA)
    later = (datetime.now(timezone.utc) + timedelta(hours=4)).isoformat(timespec="seconds")
    old.execute("INSERT INTO users VALUES ('admin1', 'admin', ?, '2026-11-01T08:00:00+00:00')", (hash_password("admin-pass-1"),))
    old.execute("INSERT INTO sessions VALUES ('abc', 'admin1', '2026-11-01T08:00:00+00:00', ?)", (later,))
    old.execute("INSERT INTO gap_groups VALUES (1, '年费能缓缴吗？', '可以申请……', 'faq-1', 'staff1', '2026-11-02T08:00:00+00:00')")
    for i in range(1, 41):
        old.execute("INSERT INTO exchanges(id, session, question, answer, abstained, support, created_at, gap_group) VALUES (?,?,?,?,?,?,?,?)",
                    (i, f"s{i % 3}", f"问题{i}", f"答复{i}", i % 2, i / 100, f"2026-11-03T08:{i:02d}:00+00:00", 1 if i < 5 else None))
    old.execute("INSERT INTO feedback VALUES (3, -1, '没回答', '2026-11-03T09:00:00+00:00')")
    old.execute("INSERT INTO drafts VALUES (7, '问', '{}', '答[1]', '[]', 'zh', 'staff1', '2026-11-04T08:00:00+00:00', '2026-11-04T08:00:00+00:00')")
    old.execute("INSERT INTO audit VALUES (1, '2026-11-05T08:00:00+00:00', 'cli', 'user.add', 'admin1', 'admin')")
    old.commit()
    before = {t: old.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
              for t in ("users", "sessions", "exchanges", "feedback", "drafts", "gap_groups", "audit")}
    old.close()

    db = open_app_db(data)
    after = {t: [tuple(r) for r in db.query(f"SELECT * FROM {t} ORDER BY 1")] for t in before}
    assert after == before
    assert db.one("SELECT version_num FROM alembic_version")["version_num"] == HEAD
    assert Accounts(db).authenticate("admin1", "admin-pass-1").role == "admin"
    assert Conversations(db).record("s9", "新问题", _answer()) == 41, "ids go on from the old rows"
    assert ApiKeys(db).create("site", "public")[0].name == "site"
    assert open_app_db(data).one("SELECT count(*) AS n FROM exchanges")["n"] == 41, "opening it again changes nothing"


def test_the_database_url_setting(tmp_path, postgres):
    from ipbot.settings import Settings

    url = create_database(postgres, f"app{next(_names)}")
    settings = Settings(data_dir=tmp_path / "var", database_url=url, _env_file=None)
    assert app_db_url(settings.data_dir, settings.database_url) == url
    assert app_db_url(tmp_path / "var").endswith("/var/app.sqlite3")
    with pytest.raises(Exception, match="ipbot_nope|does not exist"):
        AppDB(url.rsplit("/", 1)[0] + "/ipbot_nope")


def test_a_backup_moves_a_deployment_from_sqlite_to_postgresql(tmp_path, postgres, kb, docs_dir):
    from ingest import ingest_paths
    from ipbot.backup import make_backup, restore_backup
    from ipbot.compose import build_assistant
    from ipbot.settings import Settings

    list(ingest_paths(kb, [docs_dir]))
    source = Settings(data_dir=tmp_path / "var", _env_file=None)
    db = open_app_db(source.data_dir)
    Accounts(db).add_user("staff1", "staff-pass-1", "staff")
    ids = [Conversations(db).record("s", f"问题{i}", _answer()) for i in range(3)]
    before = build_assistant(source).ask("示例权的期限是多久？").answer
    manifest = make_backup(source, tmp_path / "b.tar.gz")
    assert manifest["passages"] == len(kb.chunks()) and manifest["app_rows"]["exchanges"] == 3
    target = Settings(data_dir=tmp_path / "new", database_url=create_database(postgres, f"app{next(_names)}"), _env_file=None)
    done = restore_backup(target, tmp_path / "b.tar.gz")
    assert done["restored_passages"] == manifest["passages"] and done["restored_rows"]["users"] == 1
    assert build_assistant(target).ask("示例权的期限是多久？").answer == before
    moved = open_app_db(target.data_dir, target.database_url)
    assert moved.backend == "postgresql" and Accounts(moved).authenticate("staff1", "staff-pass-1")
    assert Conversations(moved).record("s", "新问题", _answer()) == max(ids) + 1, "the id sequence moved past the restored rows"


def test_job_claims_never_collide_and_a_dead_workers_job_is_taken_again(db):
    from bot.office import JobQueue
    from bot.office.jobs import MAX_ATTEMPTS

    queue = JobQueue(db)
    made = [queue.enqueue("upload", {"path": f"/x/{i}", "actor": "key:cms"}).id for i in range(12)]
    claimed: list[int] = []

    def claimer(n: int) -> None:
        while (job := queue.claim(f"w{n}", 60)) is not None:
            claimed.append(job.id)
            queue.finish(job.id, f"w{n}", "done", {"status": "indexed"})

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == made, "every job once, none twice"
    stuck = queue.enqueue("upload", {"path": "/x/stuck", "actor": "key:cms"})
    assert queue.claim("dead", lease_seconds=-1).id == stuck.id, "claimed by a worker that then died"
    again = queue.claim("alive", lease_seconds=-1)
    assert again.id == stuck.id and again.attempts == 2 and again.worker == "alive"
    assert not queue.extend(stuck.id, "dead"), "the dead worker's lease is gone"
    for n in range(MAX_ATTEMPTS):
        queue.claim(f"d{n}", lease_seconds=-1)
    assert queue.get(stuck.id).status == "failed" and queue.pending() == 0


def test_a_running_job_reports_its_stage_and_stops_when_cancelled(db):
    from bot.office import JobQueue

    queue = JobQueue(db)
    job = queue.enqueue("upload", {"path": "/x/big.pdf", "actor": "ed"})
    waiting = queue.enqueue("upload", {"path": "/x/next.pdf", "actor": "ed"})
    assert queue.claim("w1", 60).id == job.id
    assert queue.report(job.id, "w1", {"stage": "OCR page", "done": 3, "total": 9})
    assert queue.get(job.id).result == {"stage": "OCR page", "done": 3, "total": 9} and not queue.report(job.id, "w2", {})
    assert queue.cancel([job.id, waiting.id]) == 2
    assert queue.get(waiting.id).status == "cancelled" and queue.claim("w2", 60) is None, "a cancelled job is never taken"
    assert queue.get(job.id).status == "cancelling" and not queue.report(job.id, "w1", {"stage": "OCR page", "done": 4, "total": 9})
    queue.finish(job.id, "w1", "cancelled", {"status": "failed", "reason": "cancelled"})
    assert queue.get(job.id).status == "cancelled" and queue.pending() == 0
    orphan = queue.enqueue("upload", {"path": "/x/orphan.pdf", "actor": "ed"})
    queue.claim("dead", lease_seconds=-1)
    queue.cancel([orphan.id])
    assert queue.claim("w3", 60) is None and queue.get(orphan.id).status == "cancelled", "its worker died while it was being cancelled"


def test_a_job_given_back_by_a_stopping_worker_is_queued_again_without_counting_the_try(db):
    from bot.office import JobQueue

    queue = JobQueue(db)
    job = queue.enqueue("upload", {"path": "/x/long.pdf", "actor": "ed"})
    assert queue.claim("w1", 60).attempts == 1 and queue.report(job.id, "w1", {"stage": "reading page", "done": 5, "total": 300})
    assert not queue.release(job.id, "w2") and queue.release(job.id, "w1")
    back = queue.get(job.id)
    assert (back.status, back.attempts, back.worker, back.result) == ("queued", 0, "", {})
    assert queue.claim("w2", 60).id == job.id
    queue.cancel([job.id])
    assert not queue.release(job.id, "w2"), "a job asked to stop is finished as cancelled, not queued again"
