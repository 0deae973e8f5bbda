"""``kapka --sandbox``: start the embedded sandbox and connect to it as to a real server.

The console talks to the sandbox over HTTPS on 127.0.0.1, trusting the sandbox's certificate
file, with an API key created through ``/api-keys`` with the sandbox administrator's password —
the same path an operator takes on a real security server. The key lives only for this run: it is
revoked when the console exits.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import TracebackType

from backend.api.apikeys import create_api_key, revoke_api_key
from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.errors import ApiError, ConnectionFailed
from backend.api.models import ROLES
from backend.api.transport import ApiTransport
from backend.api.trust import TlsTrust
from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.server import SandboxInfo, SandboxServer
from console.audit import AuditJournal

PASSWORD_ENV = "KAPKA_SANDBOX_ADMIN_PASSWORD"


class EmbeddedSandbox:
    """A sandbox server running in a thread of this process, with a key for this session."""

    def __init__(self, data_dir: Path, *, fresh: bool = False,
                 journal: AuditJournal | None = None) -> None:
        self.data_dir = data_dir
        self.fresh = fresh
        self.journal = journal
        self.server: SandboxServer | None = None
        self.info: SandboxInfo | None = None
        self._password: Secret | None = None
        self._key: Secret | None = None
        self._key_id: int | None = None

    def __enter__(self) -> EmbeddedSandbox:
        if self.fresh:
            from backend.sandbox.state import reset_data_dir

            reset_data_dir(self.data_dir)
        self.server = SandboxServer(self.data_dir, admin_password=os.environ.get(PASSWORD_ENV))
        self.info = self.server.start()
        if self.journal is not None:
            self.journal = self.journal.for_connection("sandbox", self.info.base_url)
        try:
            self._password = self._admin_password(self.info)
            self._key_id, self._key = asyncio.run(self._create_key())
        except BaseException:
            self.server.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._key_id is not None:
                asyncio.run(self._revoke_key())
        except (ApiError, ConnectionFailed):
            pass  # the sandbox is going away; an unrevoked key dies with its data dir
        finally:
            if self.server is not None:
                self.server.stop()

    @staticmethod
    def _admin_password(info: SandboxInfo) -> Secret:
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
        assert self.info is not None
        return ApiTransport(
            self.info.base_url,
            api_key=api_key,
            trust=TlsTrust(self.info.certificate_path),
            observer=self.journal,
        )

    async def _create_key(self) -> tuple[int, Secret]:
        assert self.info is not None and self._password is not None
        async with self._transport() as transport:
            listing, key = await create_api_key(
                transport, self.info.admin_username, self._password, ROLES
            )
        return listing.id, key

    async def _revoke_key(self) -> None:
        assert self.info is not None and self._password is not None and self._key_id is not None
        async with self._transport() as transport:
            await revoke_api_key(transport, self._key_id, self.info.admin_username, self._password)

    def client(self, *, read_only: bool = False) -> SecurityServerClient:
        """A client for the console's own event loop (create it inside or just before run)."""
        assert self._key is not None
        transport = self._transport(self._key)
        transport.read_only = read_only
        return SecurityServerClient(transport)
