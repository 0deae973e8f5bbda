"""Per-IP request limits of the admin API: 20 requests a second and 600 a minute (X-Road's
``[proxy-ui-api]`` defaults); a refused request is answered 429 ``{"status":429}``."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

PER_SECOND = 20
PER_MINUTE = 600


class RateLimiter:
    """Sliding one-second and one-minute windows of accepted requests, per client address."""

    def __init__(
        self,
        per_second: int = PER_SECOND,
        per_minute: int = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_minute = per_minute
        self.clock = clock
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        """Count a request from ``address``; ``False`` if it goes over a limit."""
        now = self.clock()
        with self._lock:
            window = self._accepted.setdefault(address, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            last_second = 0
            for stamp in reversed(window):
                if stamp <= now - 1.0:
                    break
                last_second += 1
            if last_second >= self.per_second or len(window) >= self.per_minute:
                return False
            window.append(now)
            if len(self._accepted) > 1024:
                self._forget_idle(now)
            return True

    def _forget_idle(self, now: float) -> None:
        idle = [a for a, w in self._accepted.items() if not w or w[-1] <= now - 60.0]
        for address in idle:
            del self._accepted[address]
