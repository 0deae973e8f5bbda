"""``RecordSource``: the records of one search, a page at a time, for a view that shows a few dozen.

The view asks for single lines; the source keeps a few pages of ``PAGE_SIZE`` lines (least recently
used dropped first) and fetches a missing page either at once — when the last page of this search
came back faster than ``SYNC_BUDGET``, as unfiltered pages of an index of a million records do — or
on a reader thread, newest request first, so that a drag of the scroll bar does not queue a page
for every line passed. The SQLite connection is used by one thread at a time (``_lock``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from backend.archive.search import ArchiveSearch, RecordFilter, RecordLine

PAGE_SIZE = 100
MAX_PAGES = 48
#: a page that took less than this is fetched while the view draws (seconds)
SYNC_BUDGET = 0.015
#: pages waiting for the reader beyond this many (the oldest requests) are forgotten
MAX_REQUESTS = 8


class RecordSource:
    """Count and lines of the records matching ``filter``; ``generation`` changes with the search."""

    def __init__(self, search: ArchiveSearch | None = None) -> None:
        self._lock = threading.Lock()
        self._state = threading.Lock()  # guards the fields below between the reader and the view
        self.search = search
        self.filter = RecordFilter()
        self.count = 0
        self.counted = search is None
        self.generation = 0
        self._pages: OrderedDict[int, list[RecordLine]] = OrderedDict()
        self._requests: list[int] = []
        self._reading = False
        self.last_fetch = 0.0  # seconds the last page took
        self.fetches = 0

    # -- the search ---------------------------------------------------------------------------

    def reset(self, flt: RecordFilter | None = None, search: ArchiveSearch | None = None) -> int:
        """Start over with another filter (or search); returns the new generation."""
        with self._state:
            if search is not None:
                self.search = search
            if flt is not None:
                self.filter = flt
            self.generation += 1
            self._pages.clear()
            self._requests.clear()
            self.count = 0
            self.counted = False
            self.last_fetch = 0.0 if self.filter.is_empty else SYNC_BUDGET  # unknown cost: the reader
            return self.generation

    def compute_count(self, generation: int) -> int | None:
        """Count the matches (any thread); ``None`` when the search changed meanwhile."""
        search = self.search
        if search is None:
            return None
        with self._lock:
            if generation != self.generation:
                return None
            count = search.count(self.filter)
        with self._state:
            if generation != self.generation:
                return None
            self.count, self.counted = count, True
        return count

    @property
    def lock(self) -> threading.Lock:
        """Held while the search's connection is in use."""
        return self._lock

    @property
    def cheap(self) -> bool:
        return self.last_fetch < SYNC_BUDGET

    # -- lines --------------------------------------------------------------------------------

    def get(self, index: int) -> RecordLine | None:
        """Line ``index`` if its page is here (no fetching)."""
        page, row = divmod(index, PAGE_SIZE)
        with self._state:
            lines = self._pages.get(page)
            if lines is None:
                return None
            self._pages.move_to_end(page)
        return lines[row] if row < len(lines) else None

    def has_page(self, page: int) -> bool:
        with self._state:
            return page in self._pages

    def fetch(self, page: int, generation: int, *, wait: bool = True) -> bool:
        """Fetch ``page`` into the cache; False when the search changed or (``wait`` False) it is busy."""
        search = self.search
        if search is None:
            return False
        if not self._lock.acquire(blocking=wait):
            return False
        try:
            if generation != self.generation:
                return False
            started = time.perf_counter()
            lines = search.page(self.filter, page * PAGE_SIZE, PAGE_SIZE)
            took = time.perf_counter() - started
        finally:
            self._lock.release()
        with self._state:
            if generation != self.generation:
                return False
            self.last_fetch, self.fetches = took, self.fetches + 1
            self._pages[page] = lines
            self._pages.move_to_end(page)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        return True

    def fetch_now(self, page: int) -> bool:
        """Fetch ``page`` on this thread if pages are cheap and nobody else is reading."""
        return self.cheap and self.fetch(page, self.generation, wait=False)

    # -- the reader thread --------------------------------------------------------------------

    def request(self, page: int) -> bool:
        """Ask the reader for ``page``; True when no reader runs and one must be started."""
        with self._state:
            if page in self._pages:
                return False
            if page in self._requests:
                self._requests.remove(page)
            self._requests.append(page)
            del self._requests[:-MAX_REQUESTS]
            if self._reading:
                return False
            self._reading = True
            return True

    def next_request(self) -> tuple[int, int] | None:
        """(page, generation) for the reader, newest first; None ends the reader."""
        with self._state:
            while self._requests:
                page = self._requests.pop()
                if page not in self._pages:
                    return page, self.generation
            self._reading = False
            return None
