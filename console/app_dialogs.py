"""The app's questions to the operator, asked from workers: passphrase, changes, warnings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from textual.content import Content

from backend.errors import KapkaError
from backend.i18n import _

if TYPE_CHECKING:
    from backend.api.errors import WarningsDetected
    from backend.api.writes import WriteRequest


class OperatorDialogsMixin:
    """Part of ``KapkaApp``: every confirmation a change to the server may need."""

    # -- asking the operator (from workers) -------------------------------------------------

    async def ensure_secrets_unlocked(self) -> bool:
        """Ask for the secrets file's passphrase if it is locked; False if the operator cancels."""
        from screens.passphrase import PassphraseScreen

        store = self.connector.secrets
        problem: str | None = None
        while store.needs_unlock:
            passphrase = await self.push_screen_wait(PassphraseScreen(
                where=store.backend_description, create=not store.file_exists, error=problem))
            if passphrase is None:
                return False
            try:
                await self.connector.unlock_secrets(passphrase)
            except KapkaError as error:
                problem = error.message
        return True

    @contextmanager
    def operator_confirmed(self, method: str, path: str) -> Iterator[None]:
        """A screen has asked the operator about this write itself, saying more than the
        generic dialog would (what goes with a deleted key): do not ask a second time."""
        self._confirmed_writes.add((method, path))
        try:
            yield
        finally:
            self._confirmed_writes.discard((method, path))

    async def confirm_write(self, request: WriteRequest) -> bool:
        """The transport's confirmer: a dangerous change is sent only after the operator agrees."""
        from screens.widgets.confirm import ConfirmDialog

        if (request.method, request.path) in self._confirmed_writes:
            return True

        server = self.server.base_url if self.server is not None else _("the server")
        effect = Content.assemble(
            _("Kapka will send this change to {server}:").format(server=server), "\n\n",
            (request.summary, "bold"), "\n", (f"{request.method} {request.path}", "$text-muted"))
        acknowledgement = _("delete") if request.method == "DELETE" else None
        return bool(await self.push_screen_wait(ConfirmDialog(
            _("Confirm change"), effect, confirm_label=_("Send"), acknowledgement=acknowledgement)))

    async def confirm_warnings(self, error: WarningsDetected) -> bool:
        """Show X-Road's warnings verbatim (codes and details) and ask before the resend."""
        from backend.api.messages import describe_warnings
        from screens.widgets.confirm import ConfirmDialog

        verbatim = "\n".join(
            "  " + warning.code + (": " + ", ".join(warning.metadata) if warning.metadata else "")
            for warning in error.warnings)
        summary = error.request.summary if error.request is not None else ""
        effect = Content.assemble(
            (summary, "bold"), "\n\n",
            _("The security server reports these warnings and changed nothing:"), "\n",
            describe_warnings(error.warnings), "\n\n",
            (_("As the server sent them:"), "$text-muted"), "\n", (verbatim, "$text-muted"),
            "\n\n", _("Send it again, ignoring these warnings?"))
        return bool(await self.push_screen_wait(ConfirmDialog(
            _("Warnings from the server"), effect, confirm_label=_("Ignore warnings and send"))))

    async def send_confirming_warnings(self, request: WriteRequest) -> bool:
        """Send a write; on X-Road's warnings, ask and resend ignoring them (call from a worker).

        Returns False when the operator declined the warnings (nothing was changed).
        """
        from backend.api.errors import WarningsDetected

        assert self.server is not None
        try:
            await self.server.transport.write(request)
        except WarningsDetected as error:
            if error.request is None or not await self.confirm_warnings(error):
                return False
            await self.server.transport.write(error.request.ignoring_warnings())
        return True

