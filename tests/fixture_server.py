"""A plain HTTP server on loopback serving service descriptions to the sandbox in tests.

The fixture ``description_server`` serves the reference fixtures
(``../shared/reference/fixtures/``, e.g. ``wsdl/valid.wsdl``, ``openapi/v310.yaml``) and any file a
test adds, from a thread, on ``127.0.0.1`` and a free port::

    def test_x(description_server: DescriptionServer) -> None:
        url = description_server.url("wsdl/valid.wsdl")           # a reference fixture
        url = description_server.add("mine.wsdl", b"<...>")        # a file of the test (or replace)
        description_server.fail("broken.yaml", 500)                # answer 500 for that path
        description_server.delay("mine.wsdl", 0.5)                 # answer it half a second late
        description_server.hits("mine.wsdl")                       # how many GETs it had
        description_server.unreachable_url("x.wsdl")               # a port nobody listens on

Added files take precedence over fixtures; nothing is written to disk.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "fixtures"
HOST = "127.0.0.1"
_TYPES = {".wsdl": "text/xml", ".xml": "text/xml", ".yaml": "application/yaml",
          ".yml": "application/yaml", ".json": "application/json"}


class DescriptionServer:
    """The running server: its files, failures and request counts."""

    def __init__(self, root: Path = FIXTURES_DIR) -> None:
        self.root = root
        self._files: dict[str, tuple[bytes, str]] = {}
        self._failures: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((HOST, 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True, name="description-server")

    # -- the API tests use -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        """The URL of ``path`` (relative, e.g. ``wsdl/valid.wsdl``) on this server."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def add(self, path: str, content: bytes | str, content_type: str | None = None) -> str:
        """Serve ``content`` at ``path`` (replacing what was there); its URL."""
        data = content.encode() if isinstance(content, str) else content
        kind = content_type or _TYPES.get(Path(path).suffix, "application/octet-stream")
        with self._lock:
            self._files[path.lstrip("/")] = (data, kind)
            self._failures.pop(path.lstrip("/"), None)
        return self.url(path)

    def copy(self, fixture: str, path: str) -> str:
        """Serve the reference fixture ``fixture`` also at ``path`` (e.g. to change it later)."""
        return self.add(path, (self.root / fixture).read_bytes())

    def fail(self, path: str, status: int) -> str:
        """Answer ``status`` (no body) for ``path``; its URL."""
        with self._lock:
            self._failures[path.lstrip("/")] = status
        return self.url(path)

    def delay(self, path: str, seconds: float) -> str:
        """Answer ``path`` only after ``seconds``; its URL."""
        with self._lock:
            self._delays[path.lstrip("/")] = seconds
        return self.url(path)

    def hits(self, path: str) -> int:
        """How many GET requests ``path`` had."""
        with self._lock:
            return self._hits[path.lstrip("/")]

    @staticmethod
    def unreachable_url(path: str = "description") -> str:
        """A URL on a loopback port nobody listens on (connection refused)."""
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        return f"http://{HOST}:{port}/{path.lstrip('/')}"

    # -- serving ---------------------------------------------------------------------------------

    def _lookup(self, path: str) -> tuple[int, bytes, str]:
        with self._lock:
            self._hits[path] += 1
            delay = self._delays.get(path, 0.0)
        if delay:
            time.sleep(delay)
        with self._lock:
            if path in self._failures:
                return self._failures[path], b"", "text/plain"
            if path in self._files:
                data, kind = self._files[path]
                return 200, data, kind
        candidate = (self.root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(self.root.resolve()):
            return 200, candidate.read_bytes(), _TYPES.get(candidate.suffix, "text/plain")
        return 404, b"not found", "text/plain"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path).lstrip("/")
                status, body, kind = server._lookup(path)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a test of timeouts)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def start(self) -> DescriptionServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def description_server() -> Iterator[DescriptionServer]:
    """A :class:`DescriptionServer` for this test, stopped afterwards."""
    server = DescriptionServer().start()
    try:
        yield server
    finally:
        server.stop()
