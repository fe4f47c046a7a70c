"""Indexing jobs in the app database, for `ipbot worker` processes: the server queues an upload and answers at once;
a worker claims it (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two workers never take the same job; SQLite: the write
lock), keeps a lease on it while it works, reports its progress, and records the outcome. A job whose worker died is
taken again when its lease runs out; after ``MAX_ATTEMPTS`` it is marked failed. Statuses: queued → running → done |
failed | cancelled; a running job asked to stop is 'cancelling' until its worker stops it."""
from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..answering import BotError
from .appdb import AppDB, utc_now
from .console import check_metadata, safe_filename

MAX_ATTEMPTS = 3
JOB_KINDS = ("upload", "replace")
FINISHED = ("done", "failed", "cancelled")
_COLUMNS = "id, kind, payload, status, created_at, started_at, finished_at, worker, lease_until, attempts, result"


@dataclass
class Job:
    """One queued piece of work; ``payload`` says what (a staged file, its metadata, who asked), ``result`` how it went."""

    id: int
    kind: str
    payload: dict
    status: str = "queued"
    created_at: str = ""
    started_at: str = ""
    finished_at: str = ""
    worker: str = ""
    lease_until: str = ""
    attempts: int = 0
    result: dict = field(default_factory=dict)


def _job(row) -> Job:
    return Job(row["id"], row["kind"], json.loads(row["payload"]), row["status"], row["created_at"], row["started_at"],
               row["finished_at"], row["worker"], row["lease_until"], row["attempts"], json.loads(row["result"] or "{}"))


def _later(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


class JobQueue:
    """The job table."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def enqueue(self, kind: str, payload: dict) -> Job:
        """Queue a job; returns it."""
        if kind not in JOB_KINDS:
            raise BotError(f"job kind {kind!r} is not one of {', '.join(JOB_KINDS)}")
        with self.db.tx() as tx:
            job_id = tx.insert("INSERT INTO jobs(kind, payload, status, created_at) VALUES (?,?,?,?)",
                               (kind, json.dumps(payload, ensure_ascii=False), "queued", utc_now()))
        return self.get(job_id)

    def enqueue_files(self, staging: Path, paths: list[Path], metadata: dict, actor: str) -> list[Job]:
        """Copy files into ``staging`` (a folder of its own for each) and queue an upload job for each, with the
        metadata checked first (ConsoleError names a bad value); returns the jobs in the files' order."""
        metadata = check_metadata(metadata)
        jobs = []
        for path in paths:
            folder = Path(staging) / secrets.token_hex(8)
            folder.mkdir(parents=True)
            target = folder / safe_filename(Path(path).name)
            shutil.copyfile(path, target)
            jobs.append(self.enqueue("upload", {"path": str(target), "actor": actor, "metadata": metadata}))
        return jobs

    def get(self, job_id: int) -> Job | None:
        """A job, or None."""
        row = self.db.one(f"SELECT {_COLUMNS} FROM jobs WHERE id=?", (job_id,))
        return _job(row) if row else None

    def claim(self, worker: str, lease_seconds: float = 120) -> Job | None:
        """The oldest job that is queued, or running with an expired lease (its worker died), now this worker's; None
        when there is none. A job past ``MAX_ATTEMPTS`` is marked failed instead of being taken again."""
        now = utc_now()
        lock = " FOR UPDATE SKIP LOCKED" if self.db.backend == "postgresql" else ""
        with self.db.tx() as tx:
            tx.execute("UPDATE jobs SET status='cancelled', finished_at=? WHERE status='cancelling' AND lease_until < ?", (now, now))
            while True:
                row = tx.one("SELECT id, attempts FROM jobs WHERE status='queued' OR (status='running' AND lease_until < ?) "
                             f"ORDER BY id LIMIT 1{lock}", (now,))
                if row is None:
                    return None
                if row["attempts"] >= MAX_ATTEMPTS:
                    tx.execute("UPDATE jobs SET status='failed', finished_at=?, result=? WHERE id=?",
                               (now, json.dumps({"reason": f"gave up after {MAX_ATTEMPTS} attempts (the worker stopped each time)"}), row["id"]))
                    continue
                tx.execute("UPDATE jobs SET status='running', worker=?, started_at=?, lease_until=?, attempts=attempts+1 WHERE id=?",
                           (worker, now, _later(lease_seconds), row["id"]))
                break
        return self.get(row["id"])

    def extend(self, job_id: int, worker: str, lease_seconds: float = 120) -> bool:
        """Renew a running job's lease; False when the job is no longer this worker's."""
        with self.db.tx() as tx:
            done = tx.execute("UPDATE jobs SET lease_until=? WHERE id=? AND worker=? AND status='running'",
                              (_later(lease_seconds), job_id, worker))
            return done.rowcount == 1

    def report(self, job_id: int, worker: str, progress: dict) -> bool:
        """Record how far a running job got (``progress`` replaces its result until it ends); False when it is no
        longer running for this worker (asked to stop, or taken over), so the worker stops."""
        with self.db.tx() as tx:
            done = tx.execute("UPDATE jobs SET result=? WHERE id=? AND worker=? AND status='running'",
                              (json.dumps(progress, ensure_ascii=False), job_id, worker))
            return done.rowcount == 1

    def cancel(self, job_ids: list[int]) -> int:
        """Cancel jobs: a queued one at once, a running one when its worker next reports ('cancelling'); returns how many
        were still to do."""
        changed = 0
        with self.db.tx() as tx:
            for job_id in job_ids:
                changed += tx.execute("UPDATE jobs SET status='cancelled', finished_at=?, result=? WHERE id=? AND status='queued'",
                                      (utc_now(), json.dumps({"reason": "cancelled"}), job_id)).rowcount
                changed += tx.execute("UPDATE jobs SET status='cancelling' WHERE id=? AND status='running'", (job_id,)).rowcount
        return changed

    def release(self, job_id: int, worker: str) -> bool:
        """Give a running job back to the queue (its worker is stopping; the try does not count); False when it is no
        longer running for this worker (it was asked to stop meanwhile, or taken over)."""
        with self.db.tx() as tx:
            done = tx.execute("UPDATE jobs SET status='queued', worker='', lease_until='', result='{}', "
                              "attempts=CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END "
                              "WHERE id=? AND worker=? AND status='running'", (job_id, worker))
            return done.rowcount == 1

    def finish(self, job_id: int, worker: str, status: str, result: dict) -> None:
        """Record how a job ended ('done' or 'failed')."""
        with self.db.tx() as tx:
            tx.execute("UPDATE jobs SET status=?, finished_at=?, result=?, lease_until='' WHERE id=? AND worker=?",
                       (status, utc_now(), json.dumps(result, ensure_ascii=False), job_id, worker))

    def pending(self) -> int:
        """How many jobs are queued or running."""
        return int(self.db.one("SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')")["n"])
