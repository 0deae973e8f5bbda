"""Client-side request limit that keeps Kapka under X-Road's per-address limits.

X-Road answers 429 past 20 requests in a second or 600 in a minute from one address. Kapka keeps a
margin under both, over sliding windows, so that a bulk change never trips the server's limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class RequestThrottle:
    """Sliding-window limiter: at most ``per_second`` in any 1 s and ``per_minute`` in any 60 s."""

    def __init__(
        self,
        per_second: int = 18,
        per_minute: int = 570,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second < 1 or per_minute < per_second:
            raise ValueError("per_second must be ≥ 1 and per_minute ≥ per_second")
        self.per_second = per_second
        self.per_minute = per_minute
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _delay(self, now: float) -> float:
        """How long to wait before one more request may go, given the requests sent so far."""
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        delay = 0.0
        if len(self._sent) >= self.per_minute:
            delay = max(delay, self._sent[-self.per_minute] + 60.0 - now)
        if len(self._sent) >= self.per_second:
            delay = max(delay, self._sent[-self.per_second] + 1.0 - now)
        return delay

    async def acquire(self) -> None:
        """Wait until a request may be sent, and count it as sent."""
        async with self._lock:
            while (delay := self._delay(self._clock())) > 0:
                await asyncio.sleep(delay)
            self._sent.append(self._clock())

    def sent_within(self, seconds: float) -> int:
        now = self._clock()
        return sum(1 for t in self._sent if now - t < seconds)
