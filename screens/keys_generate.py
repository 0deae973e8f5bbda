"""The key-and-CSR form: usage, member, certification authority, CSR format and subject fields.

The CAs and the subject fields of a CA's certificate profile come from the server
(``/certificate-authorities`` and ``…/csr-subject-fields``), so the form asks for exactly what that
CA's profile needs. A renewal opens it filled in from the old certificate (``CsrPreset``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from backend.api.models import CertificateAuthority, CsrGenerate, CsrSubjectFieldDescription
from backend.i18n import N_, _
from screens.base import describe_exception
from screens.keys_rules import AUTH, SIGN
from screens.widgets.choices import Choice, bracketed


@dataclass(frozen=True)
class CsrPreset:
    """What a renewal keeps from the old certificate."""

    usage: str
    ca_name: str | None = None
    member_id: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    label: str = ""
    csr_format: str | None = None


@dataclass(frozen=True)
class GenerateRequest:
    label: str
    csr: CsrGenerate
    key_id: str | None = None  # a new CSR for this existing key instead of a new key


#: X-Road's label keys of the basic certificate profiles, as its web UI words them
FIELD_WORDS = {
    "SERVER_DNS_NAME": N_("Server DNS name"), "MEMBER_CODE_SN": N_("Member code"),
    "COUNTRY_CODE": N_("Country code"), "ORGANIZATION_NAME": N_("Organization name"),
    "ORGANIZATION_NAME_CN": N_("Organization name"), "MEMBER_CLASS_BC": N_("Member class"),
    "INSTANCE_IDENTIFIER": N_("Instance identifier"), "SERVER_CODE": N_("Server code"),
    "SUBJECT_ALT_NAME": N_("Subject alternative name"),
}


def field_caption(described: CsrSubjectFieldDescription) -> str:
    if described.label:
        return described.label
    word = FIELD_WORDS.get(described.label_key or "")
    return f"{_(word)} ({described.id})" if word else (described.label_key or described.id)


def _field_id(value: str) -> str:
    return "subject-" + re.sub(r"[^A-Za-z0-9_-]", "_", value)


class GenerateDialog(ModalScreen[GenerateRequest | None]):
    """A new key with its CSR on ``token_id`` or, with ``key_id``, a new CSR for that key."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="generate.cancel")]

    DEFAULT_CSS = """
    GenerateDialog { align: center middle; }
    GenerateDialog > VerticalScroll {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    GenerateDialog #generate-title { text-style: bold; margin-bottom: 1; }
    GenerateDialog .form-label { margin-top: 1; color: $text-muted; }
    GenerateDialog Input { margin-bottom: 0; }
    GenerateDialog #generate-fields > Label { color: $text-muted; }
    GenerateDialog Vertical { height: auto; }
    GenerateDialog #generate-problem { color: $text-error; text-style: bold; height: auto; }
    GenerateDialog #generate-note { color: $text-muted; height: auto; }
    GenerateDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    GenerateDialog Horizontal Button { margin-left: 1; }
    GenerateDialog .-hidden { display: none; }
    """

    def __init__(self, server: Any, *, usages: list[str], token_name: str,
                 owner_member: str | None = None, key_id: str | None = None,
                 key_name: str | None = None, preset: CsrPreset | None = None) -> None:
        super().__init__()
        self.server = server
        self.usages = [u for u in (AUTH, SIGN) if u in usages] or [SIGN]
        self.token_name = token_name
        self.owner_member = owner_member
        self.key_id = key_id
        self.key_name = key_name
        self.preset = preset
        self.usage = preset.usage if preset and preset.usage in self.usages else self.usages[0]
        self.authorities: list[CertificateAuthority] = []
        self.fields: list[CsrSubjectFieldDescription] = []
        self.ca_name: str | None = preset.ca_name if preset else None
        self.loads = 0  # finished loads of the subject fields (for tests)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            title = (_("New CSR for key {key}").format(key=self.key_name) if self.key_id
                     else _("Generate a key and a CSR on {token}").format(token=self.token_name))
            yield Label(title, id="generate-title", markup=False)
            yield Label(_("Usage"), classes="form-label")
            with RadioSet(id="generate-usage", compact=True):
                for usage in self.usages:
                    word = _("authentication") if usage == AUTH else _("signing")
                    yield Choice(word, usage == self.usage, name=usage, compact=True)
            with Vertical(id="generate-member-box"):
                yield Label(_("Member (INSTANCE:CLASS:CODE)"), classes="form-label")
                member = (self.preset.member_id if self.preset and self.preset.member_id
                          else self.owner_member or "")
                yield Input(member, id="generate-member", placeholder="KG:GOV:70000001")
            yield Label(_("Certification authority"), classes="form-label")
            yield Vertical(id="generate-cas")
            yield Label(_("CSR format"), classes="form-label")
            with RadioSet(id="generate-format", compact=True):
                yield Choice("PEM", True, name="PEM", compact=True)
                yield Choice("DER", False, name="DER", compact=True)
            if self.key_id is None:
                yield Label(_("Key label"), classes="form-label")
                yield Input(self.preset.label if self.preset else "", id="generate-label",
                            placeholder=_("e.g. sign 2026"), max_length=255)
            yield Label(_("Subject of the certificate"), classes="form-label")
            yield Vertical(id="generate-fields")
            yield Static("", id="generate-note", markup=False)
            yield Static("", id="generate-problem", markup=False)
            with Horizontal():
                yield Button(bracketed(_("Cancel")), id="generate-cancel", compact=True)
                yield Button(bracketed(_("Generate")), id="generate-ok", variant="primary",
                             compact=True)

    def on_mount(self) -> None:
        self._show_member()
        self.query_one("#generate-usage", RadioSet).focus()
        self.load_authorities()

    def _show_member(self) -> None:
        self.query_one("#generate-member-box").set_class(self.usage != SIGN, "-hidden")

    def problem(self, text: str) -> None:
        self.query_one("#generate-problem", Static).update(text)

    @property
    def member_id(self) -> str | None:
        if self.usage != SIGN:
            return None
        return self.query_one("#generate-member", Input).value.strip() or None

    # -- loading from the server ----------------------------------------------------------------

    @work(exclusive=True, group="generate-cas", exit_on_error=False)
    async def load_authorities(self) -> None:
        self.query_one("#generate-note", Static).update(_("Loading the approved CAs…"))
        try:
            authorities = await self.server.keys.certificate_authorities(self.usage)
        except Exception as error:  # said in the form; the operator may cancel
            self.authorities = []
            self.problem(_("The approved CAs could not be loaded: {why}").format(
                why=describe_exception(error)[1]))
            return
        self.authorities = [ca for ca in authorities
                            if not (self.usage == SIGN and ca.authentication_only)]
        names = [ca.name for ca in self.authorities]
        if self.ca_name not in names:
            self.ca_name = names[0] if names else None
        box = self.query_one("#generate-cas", Vertical)
        await box.remove_children()
        if not names:
            await box.mount(Static(_("The global configuration approves no CA for this usage."),
                                   markup=False))
            self.query_one("#generate-note", Static).update("")
            return
        radio = RadioSet(*(Choice(name, name == self.ca_name, name=name, compact=True)
                           for name in names), id="generate-ca", compact=True)
        await box.mount(radio)
        self._apply_format_default()
        self.load_fields()

    def _apply_format_default(self) -> None:
        ca = next((ca for ca in self.authorities if ca.name == self.ca_name), None)
        wanted = (self.preset.csr_format if self.preset and self.preset.csr_format
                  else ca.default_csr_format if ca else None) or "PEM"
        for choice in self.query_one("#generate-format", RadioSet).query(Choice):
            choice.value = choice.name == wanted

    @work(exclusive=True, group="generate-fields", exit_on_error=False)
    async def load_fields(self) -> None:
        box = self.query_one("#generate-fields", Vertical)
        note = self.query_one("#generate-note", Static)
        if self.ca_name is None:
            return
        if self.usage == SIGN and not self.member_id:
            note.update(_("Type the member first: the subject fields depend on it."))
            return
        note.update(_("Loading the subject fields of {ca}…").format(ca=self.ca_name))
        try:
            fields = await self.server.keys.csr_subject_fields(
                self.ca_name, self.usage, key_id=self.key_id, member_id=self.member_id)
        except Exception as error:  # said in the form
            self.problem(_("The subject fields could not be loaded: {why}").format(
                why=describe_exception(error)[1]))
            note.update("")
            return
        self.fields = fields
        preset = self.preset.values if self.preset else {}
        widgets = []
        for described in fields:
            value = described.default_value or ""
            if not described.read_only and preset.get(described.id):
                value = preset[described.id]
            caption = field_caption(described)
            widgets.append(Label(f"{caption}{' *' if described.required else ''}"
                                 f"{' ' + _('(set by the server)') if described.read_only else ''}",
                                 markup=False))
            widgets.append(Input(value, id=_field_id(described.id), name=described.id,
                                 disabled=described.read_only, compact=described.read_only))
        await box.remove_children()
        await box.mount_all(widgets)
        note.update(_("* required. The CA checks these against its profile.") if fields else "")
        self.problem("")
        self.loads += 1

    @on(RadioSet.Changed, "#generate-usage")
    def _usage_changed(self, event: RadioSet.Changed) -> None:
        self.usage = event.pressed.name or self.usage
        self._show_member()
        self.load_authorities()

    @on(RadioSet.Changed, "#generate-ca")
    def _ca_changed(self, event: RadioSet.Changed) -> None:
        self.ca_name = event.pressed.name
        self._apply_format_default()
        self.load_fields()

    @on(Input.Submitted, "#generate-member")
    @on(Input.Blurred, "#generate-member")
    def _member_changed(self) -> None:
        self.load_fields()

    # -- the answer ------------------------------------------------------------------------------

    def request(self) -> GenerateRequest | None:
        if self.ca_name is None:
            self.problem(_("There is no certification authority to choose."))
            return None
        if self.usage == SIGN and not self.member_id:
            self.problem(_("A signing CSR is for a member: type its id (INSTANCE:CLASS:CODE)."))
            return None
        if not self.fields:
            self.problem(_("The subject fields are not loaded yet."))
            return None
        values: dict[str, str] = {}
        for described in self.fields:
            value = self.query_one(f"#{_field_id(described.id)}", Input).value.strip()
            if described.required and not value:
                self.problem(_("{field} is required.").format(field=field_caption(described)))
                return None
            if value:
                values[described.id] = value
        pressed = self.query_one("#generate-format", RadioSet).pressed_button
        csr_format = pressed.name if pressed is not None and pressed.name else "PEM"
        label = (self.query_one("#generate-label", Input).value.strip()
                 if self.key_id is None else "")
        return GenerateRequest(label, CsrGenerate(
            key_usage_type=self.usage, ca_name=self.ca_name, csr_format=csr_format,
            subject_field_values=values, member_id=self.member_id), self.key_id)

    @on(Button.Pressed, "#generate-ok")
    def _generate(self) -> None:
        request = self.request()
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#generate-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def owner_member_id(servers: list[Any]) -> str | None:
    """``INSTANCE:CLASS:CODE`` of this server's owner, from ``/security-servers?current_server``."""
    for server in servers:
        if server.instance_id and server.member_class and server.member_code:
            return f"{server.instance_id}:{server.member_class}:{server.member_code}"
        parts = server.id.split(":")
        if len(parts) == 4:
            return ":".join(parts[:3])
    return None
