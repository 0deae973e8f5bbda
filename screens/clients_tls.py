"""The TLS certificates of a client's information systems (used with connection type HTTPS).

A table with each certificate's hash, subject, issuer and expiry; ``n`` adds one from a file on
this host or from pasted PEM (Kapka reads it first and sends the certificate alone), ``d`` deletes
the selected one after a confirmation that starts on Cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, RadioSet, Static, TextArea

from backend.api.client_ids import path_id
from backend.api.models import CertificateDetails
from backend.errors import KapkaError
from backend.i18n import _
from backend.pki.certfile import CertificateFile, read_certificate, read_certificate_file
from screens.base import KapkaScreen, describe_exception
from screens.clients import user_permissions
from screens.clients_calls import operator_confirmed
from screens.dashboard_render import days_left
from screens.keys_dialogs import CERTIFICATE_SUFFIXES, KeysDialog
from screens.widgets.choices import Choice
from screens.widgets.confirm import ConfirmDialog
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.file_picker import FilePicker

ADD, DELETE = "ADD_CLIENT_INTERNAL_CERT", "DELETE_CLIENT_INTERNAL_CERT"


class AddTlsDialog(KeysDialog):
    """A certificate file on this host, or PEM text pasted from elsewhere."""

    OK_LABEL = _("Check and add")

    DEFAULT_CSS = """
    AddTlsDialog #tls-pem { height: 8; display: none; }
    AddTlsDialog.-paste #tls-pem { display: block; }
    AddTlsDialog.-paste FilePicker { display: none; }
    """

    def __init__(self, client_id: str) -> None:
        super().__init__(_("The TLS certificate an information system of {client} shows when it "
                           "connects to this server over HTTPS (PEM or DER; the certificate "
                           "alone, no private key).").format(client=client_id))
        self.TITLE_TEXT = _("Add an information-system TLS certificate")

    def compose_fields(self) -> ComposeResult:
        with RadioSet(id="tls-source", compact=True):
            yield Choice(_("From a file"), True, name="file", compact=True)
            yield Choice(_("Pasted PEM text"), False, name="paste", compact=True)
        yield FilePicker(suffixes=CERTIFICATE_SUFFIXES, id="tls-file")
        yield TextArea(id="tls-pem", soft_wrap=False, show_line_numbers=False)

    def on_mount(self) -> None:
        self.query_one("#picker-path").focus()

    @on(RadioSet.Changed, "#tls-source")
    def _source(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.set_class(event.pressed.name == "paste", "-paste")

    @on(FilePicker.Picked)
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.submit()

    def answer(self) -> CertificateFile | None:
        try:
            if self.has_class("-paste"):
                text = self.query_one("#tls-pem", TextArea).text.strip()
                if not text:
                    self.problem(_("Paste the certificate's PEM text (-----BEGIN CERTIFICATE-----"
                                   " …)."))
                    return None
                return read_certificate(text.encode(), source=_("the pasted text"))
            path = self.query_one(FilePicker).typed_path
            if path is None or not path.is_file():
                self.problem(_("Choose the certificate file (it must exist)."))
                return None
            return read_certificate_file(Path(path))
        except KapkaError as error:
            self.problem(error.message)
            return None


class TlsCertificatesScreen(KapkaScreen):
    """The information-system TLS certificates of ``client_id``."""

    SCREEN_TITLE = _("IS TLS certificates")
    DANGEROUS_ACTIONS = frozenset({"add", "delete"})

    BINDINGS = [
        Binding("n", "add", _("Add"), id="tls.add",
                tooltip=_("From a file on this host or pasted PEM")),
        Binding("d,delete", "delete", _("Delete"), id="tls.delete"),
        Binding("r", "refresh", _("Refresh"), id="tls.refresh"),
        Binding("escape", "back", _("Back"), id="tls.back"),
    ]

    DEFAULT_CSS = """
    TlsCertificatesScreen DataTable { height: 1fr; border: round $primary 50%; }
    TlsCertificatesScreen #tls-note { height: auto; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.certificates: list[CertificateDetails] = []
        self.permissions: frozenset[str] | None = None
        self.loads = 0
        self.busy = False

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield ErrorPanel(id="tls-error")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="tls-table")
        table.border_title = _("TLS certificates of {client}").format(client=self.client_id)
        yield table
        yield Static("", id="tls-note", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.permissions = user_permissions(self.app)
        table = self.query_one(DataTable)
        table.add_columns(_("SHA-256"), _("Subject"), _("Issuer"), _("Expires"))
        table.focus()
        self.load()

    @work(exclusive=True, group="tls-load", exit_on_error=False)
    async def load(self) -> None:
        panel = self.query_one("#tls-error", ErrorPanel)
        try:
            found = await self.app.server.clients.tls_certificates(self.client_id)
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message)
            return
        panel.clear()
        self.certificates = sorted(found, key=lambda cert: cert.not_after)
        table = self.query_one(DataTable)
        table.clear()
        for cert in self.certificates:
            left = days_left(cert.not_after)
            expiry = f"{cert.not_after.date()} " + (
                _("(expired)") if left <= 0 else _("({n} days)").format(n=left))
            table.add_row(cert.hash[:16] + "…", cert.subject_common_name or
                          cert.subject_distinguished_name, cert.issuer_common_name, expiry,
                          key=cert.hash)
        self.query_one("#tls-note", Static).update(
            _("No certificates: with connection type HTTPS the information systems cannot "
              "connect until theirs is added (n).") if not found else
            _("The information systems connect over HTTPS with one of these certificates."))
        self.loads += 1
        self.refresh_bindings()

    def selected(self) -> CertificateDetails | None:
        table = self.query_one(DataTable)
        if not self.certificates or table.cursor_row < 0:
            return None
        return self.certificates[min(table.cursor_row, len(self.certificates) - 1)]

    def reason(self, action: str) -> str | None:
        if getattr(self.app, "read_only", False):
            return _("read-only mode")
        needed = {"add": ADD, "delete": DELETE}.get(action)
        if needed and self.permissions is not None and needed not in self.permissions:
            return _("this API key lacks the registration officer or service administrator "
                     "role ({permission})").format(permission=needed)
        if action == "delete" and self.selected() is None:
            return _("there is no certificate to delete")
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.DANGEROUS_ACTIONS:
            return None if self.reason(action) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        return self.reason(action) if action in self.DANGEROUS_ACTIONS else None

    def _refused(self, action: str) -> bool:
        why = self.reason(action)
        if why:
            self.notify(why, title=_("Not possible"), severity="warning", markup=False)
        return bool(why)

    def action_add(self) -> None:
        if not self._refused("add"):
            self.run_worker(self._add(), group="tls-write", exit_on_error=False)

    async def _add(self) -> None:
        checked: CertificateFile | None = await self.app.push_screen_wait(
            AddTlsDialog(self.client_id))
        if checked is None:
            return
        await self._send(lambda: self.app.server.clients.add_tls_certificate(
            self.client_id, checked.der, description=checked.subject_common_name or checked.hash),
            _("Added the certificate of {subject}.").format(subject=checked.subject))

    def action_delete(self) -> None:
        if not self._refused("delete"):
            self.run_worker(self._delete(), group="tls-write", exit_on_error=False)

    async def _delete(self) -> None:
        cert = self.selected()
        assert cert is not None
        effect = Content("\n").join([
            Content.assemble(_("Delete the TLS certificate of "), (cert.subject_distinguished_name,
                                                                   "bold"), "?"),
            Content(_("SHA-256 {hash}").format(hash=cert.hash)),
            Content(_("An information system that connects with it is refused from then on "
                      "(connection type HTTPS)."))])
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Delete TLS certificate"), effect, confirm_label=_("Delete"))):
            return
        path = f"/clients/{path_id(self.client_id)}/tls-certificates/{path_id(cert.hash)}"
        with operator_confirmed(self.app, "DELETE", path):
            await self._send(lambda: self.app.server.clients.delete_tls_certificate(
                self.client_id, cert.hash), _("The certificate is deleted."))

    async def _send(self, call: Any, message: str) -> None:
        self.busy = True
        try:
            await call()
        except KapkaError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10,
                        markup=False)
        else:
            self.notify(message, markup=False)
        finally:
            self.busy = False
            self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
