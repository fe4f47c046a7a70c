"""Bounds on the work one file may cause while it is indexed: a deadline, a cancel switch, progress reports.

``ingest_file`` makes one :class:`Budget` per file and passes it, as a ``progress(stage, done, total)``
callable, to the loaders, the chunker and ``KnowledgeBase.put_document``; every call reports the stage
to the ``on_progress`` listener and then raises :class:`Cancelled` or :class:`TimeLimitExceeded` when the
file must stop. Deep loops that have no progress to report call :func:`poll`, which runs the check of the
budget active in the current thread (see :func:`watching`).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from knowledge.base import Progress

from .errors import Cancelled, TimeLimitExceeded

__all__ = ["Budget", "Progress", "poll", "watching"]

_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("ipbot_ingest_check", default=None)


class Budget:
    """The deadline, cancel event and progress listener of one file being indexed; call it as a Progress."""

    def __init__(self, max_seconds: float | None = None, cancel: threading.Event | None = None,
                 on_progress: Progress | None = None):
        self.max_seconds = max_seconds
        self.deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.cancel = cancel
        self.on_progress = on_progress

    def check(self) -> None:
        """Raise Cancelled when the cancel event is set, TimeLimitExceeded once the deadline has passed."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimitExceeded(
                f"took longer than the {self.max_seconds:g} s limit for one file (set IPBOT_MAX_SECONDS_PER_FILE to raise it)")

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, done, total)
        self.check()


def poll() -> None:
    """Run the check of the budget being watched in this thread (nothing when none is)."""
    check = _CHECK.get()
    if check is not None:
        check()


@contextmanager
def watching(check: Callable[[], None] | None) -> Iterator[None]:
    """Make :func:`poll` run ``check`` in this thread until the block ends."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)
