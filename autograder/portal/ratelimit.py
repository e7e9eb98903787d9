"""Request-rate limits: a sliding window per key ("token:…", "addr:…") in the web process's memory."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, window: float, clock=time.monotonic):
        self.window, self.clock = window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> float:
        """Count one request for ``key``; 0 when allowed, else the seconds until one is (Retry-After)."""
        t = self.clock()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= t - self.window:
                q.popleft()
            if len(q) >= limit:
                return max(0.001, q[0] + self.window - t)
            q.append(t)
            if len(self._hits) > 100_000:  # bounded memory: forget idle keys
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= t - self.window]:
                    del self._hits[k]
            return 0.0
