"""Serving the sandbox over HTTPS on loopback, in a background thread or in the foreground."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.app import create_app
from backend.sandbox.state import ADMIN_USERNAME, PASSWORD_FILE_NAME, SandboxState
from backend.sandbox.tls import ensure_tls_certificate

LOG_FILE_NAME = "sandbox.log"
START_TIMEOUT_SECONDS = 15.0
_LOGGERS = ("uvicorn", "kapka.sandbox")


@dataclass
class SandboxInfo:
    """Where a started sandbox listens and how to trust and log in to it."""

    base_url: str  # "https://127.0.0.1:PORT/api/v1"
    host: str
    port: int
    certificate_path: Path
    data_dir: Path
    admin_username: str
    admin_password_file: Path | None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class SandboxServer:
    """The sandbox security server: its state, its TLS certificate and a uvicorn server."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        admin_password: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.admin_password = admin_password
        self.state: SandboxState | None = None
        self.info: SandboxInfo | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._handlers: list[tuple[logging.Logger, logging.Handler]] = []

    def start(self, *, log_to_stderr: bool = False) -> SandboxInfo:
        """Open the state and serve it in a daemon thread; returns once connections are accepted.

        Warnings and errors go to ``<data dir>/sandbox.log`` (and to stderr with
        ``log_to_stderr``); there is no access log.
        """
        if self._thread is not None:
            raise KapkaError(_("The sandbox is already running."), _("Sandbox"))
        state = SandboxState.open(self.data_dir, self.admin_password)
        try:
            cert_path, key_path = ensure_tls_certificate(self.data_dir, self.host)
            sock = self._bind()
        except BaseException:
            state.close()
            raise
        port = sock.getsockname()[1]
        state.public_base_url = f"https://{_url_host(self.host)}:{port}"
        self._configure_logging(log_to_stderr)
        config = uvicorn.Config(
            create_app(state),
            ssl_certfile=str(cert_path),
            ssl_keyfile=str(key_path),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="kapka-sandbox", daemon=True
        )
        self.state, self._server, self._thread, self._socket = state, server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise KapkaError(
                    _("The sandbox server did not start; see {log} for details.").format(
                        log=self.data_dir / LOG_FILE_NAME),
                    _("Sandbox"),
                )
            time.sleep(0.002)
        password_file = self.data_dir / PASSWORD_FILE_NAME
        self.info = SandboxInfo(
            base_url=f"https://{_url_host(self.host)}:{port}/api/v1",
            host=self.host,
            port=port,
            certificate_path=cert_path,
            data_dir=self.data_dir,
            admin_username=ADMIN_USERNAME,
            admin_password_file=password_file if password_file.exists() else None,
        )
        return self.info

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError as error:
            sock.close()
            raise KapkaError(
                _("Cannot listen on {host} port {port}: {reason}").format(
                    host=self.host, port=self.port, reason=error.strerror or error),
                _("Sandbox"),
            ) from error
        sock.setblocking(False)
        return sock

    def _configure_logging(self, to_stderr: bool) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handlers: list[logging.Handler] = [logging.FileHandler(self.data_dir / LOG_FILE_NAME)]
        if to_stderr:
            handlers.append(logging.StreamHandler())
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            logger.propagate = False  # never onto the console's terminal
            logger.setLevel(logging.WARNING)
            for handler in handlers:
                handler.setFormatter(formatter)
                handler.setLevel(logging.WARNING)
                logger.addHandler(handler)
                self._handlers.append((logger, handler))

    def stop(self) -> None:
        """Stop serving and close the state."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self.state is not None:
            self.state.close()
        closed: set[int] = set()
        for logger, handler in self._handlers:
            logger.removeHandler(handler)
            if id(handler) not in closed:
                handler.close()
                closed.add(id(handler))
        self._handlers.clear()
        self._server = self._thread = self._socket = None
        self.state = None

    def run(self) -> None:
        """Serve in the foreground until Ctrl-C or SIGTERM (starting first if needed)."""
        if self._thread is None:
            self.start(log_to_stderr=True)
        stopping = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, request_stop)
        try:
            while not stopping.wait(0.5):
                if self._thread is None or not self._thread.is_alive():
                    break
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stop()
