"""``kapka --sandbox``: start the sandbox and connect to it as to a real server.

The sandbox runs as a child process (``backend.sandbox.embedded``) that serves HTTPS on a free
loopback port and exits when the console closes its stdin. The console talks to it over HTTPS,
trusting the sandbox's certificate file, with an API key created through ``/api-keys`` with the
sandbox administrator's password — the path an operator takes on a real security server. The key
lives for this run only: it is revoked when the console exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.paths import PASSWORD_ENV

if TYPE_CHECKING:
    from backend.api.client import SecurityServerClient
    from backend.api.credentials import Secret
    from backend.api.transport import ApiTransport
    from backend.sandbox.server import SandboxInfo
    from console.archive_settings import ArchiveSettings
    from console.audit import AuditJournal

READY_TIMEOUT_SECONDS = 60.0  # a first start makes the sandbox's keys; later starts take < 1 s
LOG_FILE = "embedded.log"


#: The child's niceness: the console, painting and connecting meanwhile, wins the CPU.
CHILD_NICENESS = 5


class EmbeddedSandbox:
    """A sandbox server in a child process, with an API key for this console session."""

    def __init__(self, data_dir: Path, *, fresh: bool = False,
                 journal: AuditJournal | None = None) -> None:
        self.data_dir = data_dir
        self.fresh = fresh
        self.journal = journal
        self.info: SandboxInfo | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._password: Secret | None = None
        self._key_id: int | None = None

    # -- the child process -------------------------------------------------------------------

    def start(self) -> None:
        """Start the child; returns at once (``connect()`` waits for it, and starts it if need be)."""
        log = self.data_dir.parent / f"sandbox-{LOG_FILE}"
        command = [sys.executable, "-m", "backend.sandbox.embedded", "--data", str(self.data_dir)]
        if self.fresh:
            command.append("--fresh")
        try:
            self.data_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._log = open(log, "ab")  # noqa: SIM115
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                start_new_session=True,  # Ctrl-C in the console's terminal is the console's
            )
        except OSError as error:
            raise KapkaError(
                _("The sandbox could not be started: {error}. Its data directory is {dir}; "
                  "--sandbox-data names another.").format(error=error, dir=self.data_dir),
                _("Sandbox not started"),
            ) from error
        with contextlib.suppress(OSError):  # set from here: the console has threads by now
            os.setpriority(os.PRIO_PROCESS, self._process.pid, CHILD_NICENESS)

    def _wait_ready_and_import(self) -> SandboxInfo:
        import backend.api.apikeys
        import backend.api.client
        import backend.api.transport
        import backend.api.trust  # noqa: F401

        return self._wait_ready()

    def _wait_ready(self) -> SandboxInfo:
        from backend.sandbox.embedded import info_from_json

        process = self._process
        assert process is not None and process.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT_SECONDS)
        text = line[0].decode("utf-8", "replace").strip() if line else ""
        log = self.data_dir.parent / f"sandbox-{LOG_FILE}"
        if not text:
            raise KapkaError(
                _("The sandbox did not start within {seconds} s. Its log is {log}; 'kapka "
                  "--sandbox --fresh' starts it from scratch.").format(
                    seconds=int(READY_TIMEOUT_SECONDS), log=log),
                _("Sandbox not started"),
            )
        try:
            return info_from_json(text)
        except KapkaError as error:
            error.message += " " + _("(sandbox log: {log})").format(log=log)
            raise

    def archive_settings(self, base: ArchiveSettings) -> ArchiveSettings:
        """The sandbox's own message log (what ``kapka sandbox traffic`` writes), with ``base``'s
        retention period."""
        from dataclasses import replace

        from backend.sandbox.traffic.state import Layout

        layout = Layout.of(self.data_dir)
        return replace(base, archive_dir=layout.archive, gpg_home=layout.gpg_home,
                       verification_conf=layout.verification_conf, origin="sandbox")

    # -- the console's connection ------------------------------------------------------------

    async def connect(self, *, read_only: bool = False) -> SecurityServerClient:
        """Wait for the sandbox, create this session's API key, return a client (in a worker).

        ``kapka --sandbox`` starts the child here, once the dashboard is painted. Started beside
        the console's own start-up, the two compete for the CPU: on a busy host the dashboard
        came about 0.2 s later, its data no sooner; on an idle one the data came a few
        hundredths of a second sooner, the dashboard no sooner (tests/bench/bench_startup.py)."""
        if self._process is None:
            self.start()
        # the HTTP and TLS stack is imported off the event loop, which keeps painting meanwhile
        self.info = await asyncio.to_thread(self._wait_ready_and_import)
        from backend.api.apikeys import create_api_key
        from backend.api.client import SecurityServerClient
        from backend.api.models import ROLES

        if self.journal is not None:
            self.journal = self.journal.for_connection("sandbox", self.info.base_url)
        self._password = self._admin_password(self.info)
        async with self._transport() as transport:
            listing, key = await create_api_key(
                transport, self.info.admin_username, self._password, ROLES)
        self._key_id = listing.id
        client = SecurityServerClient(self._transport(key))
        client.transport.read_only = read_only
        return client

    @staticmethod
    def _admin_password(info: SandboxInfo) -> Secret:
        from backend.api.credentials import Secret

        from_env = os.environ.get(PASSWORD_ENV)
        if from_env:
            return Secret(from_env)
        if info.admin_password_file is not None and info.admin_password_file.exists():
            return Secret(info.admin_password_file.read_text(encoding="utf-8").strip())
        raise KapkaError(
            _("The sandbox in {dir} was set up with an administrator password Kapka does not "
              "know. Set {env} to it, or start from scratch with 'kapka --sandbox --fresh'.").format(
                dir=info.data_dir, env=PASSWORD_ENV),
            _("Sandbox password unknown"),
        )

    def _transport(self, api_key: Secret | None = None) -> ApiTransport:
        from backend.api.transport import ApiTransport
        from backend.api.trust import TlsTrust

        assert self.info is not None
        return ApiTransport(self.info.base_url, api_key=api_key,
                            trust=TlsTrust(self.info.certificate_path), observer=self.journal)

    # -- the end -----------------------------------------------------------------------------

    def close(self) -> None:
        """Revoke this session's key, then let the child exit (closing its stdin)."""
        try:
            if self._key_id is not None:
                asyncio.run(self._revoke_key())
        except KapkaError:
            pass  # the sandbox is going away; a key left behind is listed in /api-keys
        finally:
            self._stop_child()

    async def _revoke_key(self) -> None:
        from backend.api.apikeys import revoke_api_key

        assert self.info is not None and self._password is not None and self._key_id is not None
        async with self._transport() as transport:
            await revoke_api_key(transport, self._key_id, self.info.admin_username, self._password)

    def _stop_child(self) -> None:
        process = self._process
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
        self._process = self._log = None

    def __enter__(self) -> EmbeddedSandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
