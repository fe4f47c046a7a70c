"""What an `ipbot worker` process does: take indexing jobs from the job table one at a time and run them through the
knowledge console (the same checks, drafts and audit entries as an upload in the console), keeping the job's lease
alive while it works."""
from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

from .jobs import Job, JobQueue
from .services import Services

log = logging.getLogger("ipbot.worker")
LEASE_SECONDS = 120


def run_job(services: Services, job: Job) -> tuple[str, dict]:
    """Run one job; returns ('done' | 'failed', result)."""
    payload, console = job.payload, services.console
    path = Path(payload["path"])
    staged = services.settings.data_dir / "queue"
    if staged.resolve() not in path.resolve().parents or not path.is_file():
        return "failed", {"reason": "the staged file is gone or outside the queue folder"}
    try:
        if job.kind == "replace":
            outcome = console.replace(payload["doc_id"], path, payload["actor"], payload.get("metadata") or None)
        else:
            outcome = next(console.ingest_uploads([path], payload.get("metadata") or {}, payload["actor"]))
    except Exception as exc:  # a job must end with a recorded outcome, never leave the worker
        log.exception("job %s failed", job.id)
        return "failed", {"reason": f"{type(exc).__name__}: {exc}"[:500]}
    result = {"file": Path(outcome.path).name, "status": outcome.status, "doc_id": outcome.doc_id, "chunks": outcome.chunks,
              "reason": outcome.reason}
    return ("failed" if outcome.status == "failed" else "done"), result


def work(services: Services, worker: str, stop: threading.Event, poll_seconds: float = 1.0, once: bool = False) -> int:
    """Take and run jobs until ``stop`` is set (or, with ``once``, until the queue is empty); returns how many ran."""
    queue, ran = JobQueue(services.db), 0
    while not stop.is_set():
        job = queue.claim(worker, LEASE_SECONDS)
        if job is None:
            if once:
                break
            stop.wait(poll_seconds)
            continue
        alive = threading.Event()

        def keep_lease() -> None:
            while not alive.wait(LEASE_SECONDS / 3):
                if not queue.extend(job.id, worker, LEASE_SECONDS):
                    return

        keeper = threading.Thread(target=keep_lease, daemon=True)
        keeper.start()
        try:
            status, result = run_job(services, job)
        finally:
            alive.set()
            keeper.join()
        queue.finish(job.id, worker, status, result)
        folder = Path(job.payload["path"]).parent
        if folder.parent.resolve() == (services.settings.data_dir / "queue").resolve():
            shutil.rmtree(folder, ignore_errors=True)
        log.info("job %s (%s): %s", job.id, job.kind, status)
        ran += 1
    return ran
