"""What an `ipbot worker` process does: take indexing jobs from the job table one at a time and run them through the
knowledge console (the same checks, drafts and audit entries as an upload in the console), keeping the job's lease
alive while it works."""
from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .jobs import Job, JobQueue
from .services import Services

log = logging.getLogger("ipbot.worker")
LEASE_SECONDS = 120
REPORT_SECONDS = 0.5


def run_job(services: Services, job: Job, on_progress: Callable[[str, int, int], None] | None = None,
            cancel: threading.Event | None = None) -> tuple[str, dict]:
    """Run one job, telling ``on_progress`` each stage of an upload (stage, done, total) and stopping when ``cancel`` is
    set; returns ('done' | 'failed' | 'cancelled', result)."""
    payload, console = job.payload, services.console
    path = Path(payload["path"])
    staged = services.settings.data_dir / "queue"
    if staged.resolve() not in path.resolve().parents or not path.is_file():
        return "failed", {"reason": "the staged file is gone or outside the queue folder"}
    try:
        if job.kind == "replace":
            outcome = console.replace(payload["doc_id"], path, payload["actor"], payload.get("metadata") or None)
        else:
            outcome = next(console.ingest_uploads([path], payload.get("metadata") or {}, payload["actor"], cancel=cancel,
                                                  on_progress=on_progress))
    except Exception as exc:  # a job must end with a recorded outcome, never leave the worker
        log.exception("job %s failed", job.id)
        return "failed", {"reason": f"{type(exc).__name__}: {exc}"[:500]}
    result = {"file": path.name, "status": outcome.status, "doc_id": outcome.doc_id, "chunks": outcome.chunks,
              "reason": outcome.reason, "line": replace(outcome, path=path.name).line()}
    if cancel is not None and cancel.is_set() and outcome.status == "failed":
        return "cancelled", result
    return ("failed" if outcome.status == "failed" else "done"), result


def work(services: Services, worker: str, stop: threading.Event, poll_seconds: float = 1.0, once: bool = False) -> int:
    """Take and run jobs until ``stop`` is set (or, with ``once``, until the queue is empty); returns how many ran. A
    job being indexed when ``stop`` is set is stopped at its next stage and given back to the queue."""
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
        cancel, reported = threading.Event(), [0.0]

        def on_progress(stage: str, done: int, total: int, job_id: int = job.id) -> None:
            if stop.is_set():  # the worker is stopping: the job goes back to the queue, nothing of it written
                cancel.set()
            elif time.monotonic() - reported[0] >= REPORT_SECONDS or done == total:
                reported[0] = time.monotonic()
                if not queue.report(job_id, worker, {"stage": stage, "done": done, "total": total}):
                    cancel.set()

        try:
            status, result = run_job(services, job, on_progress, cancel)
        finally:
            alive.set()
            keeper.join()
        if stop.is_set() and status == "cancelled" and queue.release(job.id, worker):
            log.info("job %s (%s) given back to the queue: the worker is stopping", job.id, job.kind)
            break
        queue.finish(job.id, worker, status, result)
        folder = Path(job.payload["path"]).parent
        if folder.parent.resolve() == (services.settings.data_dir / "queue").resolve():
            shutil.rmtree(folder, ignore_errors=True)
        log.info("job %s (%s): %s", job.id, job.kind, status)
        ran += 1
    return ran
