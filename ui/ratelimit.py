"""A sliding-window limit of events per key (a visitor's IP) per minute, kept in memory."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key; a limit of 0 allows everything."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def allow(self, key: str) -> bool:
        """Count an event for ``key`` and say whether it is within the limit (refused events are not counted)."""
        if self.limit <= 0:
            return True
        with self._lock:
            now = self.clock()
            if len(self._events) > 10_000:
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                    del self._events[k]
            events = self._recent(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may act again (0 when it may now)."""
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            if self.limit <= 0 or len(events) < self.limit:
                return 0
            return max(1, math.ceil(events[0] + self.window - now))
