"""What the keys screen's keys do: each action asks what it needs, sends one change, says the result.

Every action runs in a worker (dialogs are awaited there); writes go through the client, so the
transport's rules hold (read-only, confirmation of dangerous changes, the audit journal). Deletions
first show what goes with the object and, when it cannot be undone, ask for a typed word.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.content import Content

from backend.api.client_ids import path_id
from backend.api.errors import ApiError, PermissionDenied, WriteCancelled
from backend.errors import KapkaError
from backend.i18n import _
from backend.pki.importcheck import check_certificate_for_import
from screens.action_runner import ActionRunner
from screens.keys_calls import clients_using, operator_confirmed, write_new
from screens.keys_dialogs import (
    AddressDialog,
    ChangePinDialog,
    DownloadDialog,
    ImportDialog,
    LoginDialog,
)
from screens.keys_generate import CsrPreset, GenerateDialog, GenerateRequest, owner_member_id
from screens.keys_render import delete_plan, sign_members, usage_word
from screens.keys_rules import AUTH, SIGN, Selection
from screens.widgets.confirm import ConfirmDialog

if TYPE_CHECKING:
    from backend.api.models import Token


class KeysActions(ActionRunner):
    """The keys screen's actions (mixed into ``KeysScreen``)."""

    app: Any
    selection: Selection | None
    tokens: list[Token]
    permissions: frozenset[str] | None
    wanted: str | None

    @property
    def server(self) -> Any:
        return self.app.server

    # -- token ------------------------------------------------------------------------------------

    def action_login(self) -> None:
        self.start("login", self._login)

    async def _login(self) -> str | None:
        assert self.selection is not None
        token = self.selection.token
        pin = await self.app.push_screen_wait(LoginDialog(token.name, token.status))
        if pin is None:
            return None
        await self.server.keys.login(pin, token.id)
        return _("Logged in to {token}.").format(token=token.name)

    def action_logout(self) -> None:
        self.start("logout", self._logout)

    async def _logout(self) -> str | None:
        assert self.selection is not None
        token = self.selection.token
        await self.server.keys.logout(token.id)
        return _("Logged out of {token}: its keys cannot sign until someone logs in "
                 "again.").format(token=token.name)

    def action_change_pin(self) -> None:
        self.start("change_pin", self._change_pin)

    async def _change_pin(self) -> str | None:
        assert self.selection is not None
        token = self.selection.token
        try:
            enforced = (await self.server.initialization_status()).enforce_token_pin_policy
        except KapkaError:
            enforced = False
        answer = await self.app.push_screen_wait(ChangePinDialog(token.name, enforced=enforced))
        if answer is None:
            return None
        await self.server.keys.change_pin(answer[0], answer[1], token.id)
        return _("The PIN of {token} is changed.").format(token=token.name)

    # -- keys and CSRs ----------------------------------------------------------------------------

    def allowed_usages(self, token: Token) -> list[str]:
        perms = self.permissions
        usages = []
        if token.type == "SOFTWARE" and (perms is None or "GENERATE_AUTH_CERT_REQ" in perms):
            usages.append(AUTH)  # X-Road keeps authentication keys on the software token only
        if perms is None or "GENERATE_SIGN_CERT_REQ" in perms:
            usages.append(SIGN)
        return usages

    async def owner_member(self) -> str | None:
        try:
            return owner_member_id(await self.server.security_servers(current_server=True))
        except KapkaError:
            return None

    def action_generate(self) -> None:
        self.start("generate", self._generate)

    async def _generate(self) -> str | None:
        assert self.selection is not None
        token = self.selection.token
        request = await self.app.push_screen_wait(GenerateDialog(
            self.server, usages=self.allowed_usages(token), token_name=token.name,
            owner_member=await self.owner_member()))
        return await self.send_generate(token, request)

    def action_new_csr(self) -> None:
        self.start("new_csr", self._new_csr)

    async def _new_csr(self) -> str | None:
        sel = self.selection
        assert sel is not None and sel.key is not None
        usages = [sel.key.usage] if sel.key.usage else self.allowed_usages(sel.token)
        request = await self.app.push_screen_wait(GenerateDialog(
            self.server, usages=usages, token_name=sel.token.name, key_id=sel.key.id,
            key_name=sel.key.name, owner_member=await self.owner_member(),
            preset=CsrPreset(usage=usages[0]) if usages else None))
        return await self.send_generate(sel.token, request)

    async def send_generate(self, token: Token, request: GenerateRequest | None) -> str | None:
        if request is None:
            return None
        if request.key_id is not None:
            await self.server.keys.add_csr(request.key_id, request.csr)
            self.wanted = f"key:{request.key_id}"
            return _("The CSR is created. Save it (s) and send it to {ca}.").format(
                ca=request.csr.ca_name)
        made = await self.server.keys.add_key_with_csr(request.label, request.csr, token.id)
        self.wanted = f"csr:{made.key.id}:{made.csr_id}"
        return _("Key {label} and its CSR are generated. Save the CSR (s) and send it to "
                 "{ca}.").format(label=made.key.label, ca=request.csr.ca_name)

    def action_download(self) -> None:
        self.start("download", self._download)

    async def _download(self) -> str | None:
        sel = self.selection
        assert sel is not None and sel.key is not None and sel.csr is not None
        return await self.save_csr(sel.key.id, sel.csr.id, usage_word(sel.usage))

    async def save_csr(self, key_id: str, csr_id: str, usage: str) -> str | None:
        answer = await self.app.push_screen_wait(DownloadDialog(
            _("CSR {id} ({usage}) of key {key}. Send the file to the certification "
              "authority.").format(id=csr_id, usage=usage, key=key_id)))
        if answer is None:
            return None
        csr_format, directory = answer
        download = await self.server.keys.download_csr(key_id, csr_id, csr_format)
        name = download.filename or f"{usage}_csr_{csr_id}.{csr_format.lower()}"
        try:
            path = await asyncio.to_thread(write_new, directory, name, download.content)
        except OSError as error:
            raise KapkaError(_("The CSR could not be saved in {directory}: {error}").format(
                directory=directory, error=error.strerror or error), _("Not saved")) from error
        return _("Saved the CSR to {path}.").format(path=path)

    # -- certificates -----------------------------------------------------------------------------

    def action_import_cert(self) -> None:
        self.start("import_cert", self._import)

    async def _import(self) -> str | None:
        path = await self.app.push_screen_wait(ImportDialog())
        return await self.import_file(path)

    async def import_file(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            raise KapkaError(_("{path} could not be read: {error}").format(
                path=path, error=error.strerror or error), _("Not imported")) from error
        checked = await check_certificate_for_import(self.server, data, source=path)
        cert = await self.server.certificates.import_file(checked.certificate.der,
                                                          description=path.name)
        self.wanted = f"cert:{cert.certificate_details.hash}"
        nxt = (_("Next: register it (g) and activate it (a).") if checked.usage == AUTH
               else _("It is ready to use once it is active and OCSP is GOOD."))
        return _("Imported the {usage} certificate for key {label}: {status}, {active}. "
                 "{next}").format(usage=usage_word(checked.usage), label=checked.key_label,
                                  status=cert.status,
                                  active=_("active") if cert.active else _("disabled"), next=nxt)

    def _cert_hash(self) -> str:
        assert self.selection is not None and self.selection.cert is not None
        return self.selection.cert.certificate_details.hash

    def action_activate(self) -> None:
        self.start("activate", self._activate)

    async def _activate(self) -> str | None:
        await self.server.certificates.activate(self._cert_hash())
        return _("The certificate is active.")

    def action_disable(self) -> None:
        self.start("disable", self._disable)

    async def _disable(self) -> str | None:
        await self.server.certificates.disable(self._cert_hash())
        return _("The certificate is disabled.")

    def action_register(self) -> None:
        self.start("register", self._register)

    async def _register(self) -> str | None:
        sel = self.selection
        assert sel is not None and sel.cert is not None
        return await self.register(sel.cert.certificate_details.hash,
                                   sel.cert.certificate_details.subject_common_name)

    async def current_address(self) -> str:
        """The address the server is registered with (``GET /system/server-address``, 7.5+)."""
        try:
            status = await self.server.transport.get_model("/system/server-address",
                                                           dict[str, Any])
        except KapkaError:
            return ""  # older servers, or a key without the system administrator role
        return str(status.get("current_address") or "")

    async def register(self, cert_hash: str, subject: str) -> str | None:
        address = await self.app.push_screen_wait(AddressDialog(
            subject, address=await self.current_address()))
        if address is None:
            return None
        await self.server.certificates.register(cert_hash, address)
        return _("The registration request is sent. The status stays REGISTRATION_IN_PROGRESS "
                 "until the central server approves it.")

    def action_unregister(self) -> None:
        self.start("unregister", self._unregister)

    async def _unregister(self) -> str | None:
        return await self.unregister(self._cert_hash())

    async def unregister(self, cert_hash: str) -> str | None:
        try:
            await self.server.certificates.unregister(cert_hash)
        except (WriteCancelled, PermissionDenied):
            raise
        except ApiError as error:
            effect = Content.assemble(
                (_("The deletion request could not be sent:"), "bold"), "\n", error.message,
                "\n\n", _("Mark the certificate for deletion anyway? Its status becomes "
                          "DELETION_IN_PROGRESS without the central server being told; tell "
                          "its administrators yourself."))
            if not await self.app.push_screen_wait(ConfirmDialog(
                    _("Unregistering failed"), effect, confirm_label=_("Mark for deletion"))):
                raise
            with operator_confirmed(self.app, "PUT",
                                    f"/token-certificates/{path_id(cert_hash)}/mark-for-deletion"):
                await self.server.certificates.mark_for_deletion(cert_hash)
            return _("The certificate is marked for deletion.")
        return _("The deletion request is sent to the central server.")

    # -- deleting ---------------------------------------------------------------------------------

    def action_delete(self) -> None:
        self.start("delete", self._delete)

    async def _delete(self) -> str | None:
        sel = self.selection
        assert sel is not None
        return await self.delete(sel)

    async def delete(self, sel: Selection, *, note: str | None = None) -> str | None:
        """Show what goes with ``sel``, ask (typed word when irreversible), then delete it."""
        members = sign_members(sel)
        using = dict(zip(members, await asyncio.gather(
            *(clients_using(self.server, member) for member in members)), strict=True))
        plan = delete_plan(sel, self.tokens, using)
        lines = [Content.styled(note, "bold $text-warning"), *plan.lines] if note else plan.lines
        if not await self.app.push_screen_wait(ConfirmDialog(
                plan.title, Content("\n").join(lines), confirm_label=plan.confirm_label,
                acknowledgement=plan.acknowledgement)):
            return None
        key = sel.key
        assert key is not None
        if sel.csr is not None:
            path = f"/keys/{path_id(key.id)}/csrs/{path_id(sel.csr.id)}"
            with operator_confirmed(self.app, "DELETE", path):
                await self.server.keys.delete_csr(key.id, sel.csr.id)
            return _("The CSR is deleted.")
        if sel.cert is not None:
            cert_hash = sel.cert.certificate_details.hash
            with operator_confirmed(self.app, "DELETE",
                                    f"/token-certificates/{path_id(cert_hash)}"):
                await self.server.certificates.delete(cert_hash)
            return _("The certificate is deleted.")
        request = self.server.keys.delete_key_request(key.id, key.label)
        with operator_confirmed(self.app, "DELETE", request.path):
            sent = await self.app.send_confirming_warnings(request)
        if not sent:
            return _("Nothing was deleted.")
        return _("Key {label} is deleted, with its certificates and CSRs.").format(label=key.label)

