"""Step 6: the authentication key and its CSR, then the owner's signing key and its CSR.

The subject fields come from the CA's profile on the server (``csr-subject-fields``): Kapka never
assumes them, because Tunduk's CA profile differs from X-Road's basic one.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from cryptography.x509.oid import NameOID
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, RadioSet, Static

from backend.api.models import CSR_FORMATS, CsrGenerate
from backend.i18n import N_, _
from backend.pki.certfile import read_csr
from screens.setup.flow import AUTHENTICATION, SIGNING, SetupState
from screens.setup.step_base import StepPanel
from screens.setup.step_register import default_address
from screens.widgets.choices import Choice

#: X-Road's labels of the CA profiles' subject fields (``label_key``; its web UI translates them)
FIELD_LABELS = {
    "SERVER_DNS_NAME": N_("Server DNS name"),
    "MEMBER_CODE_SN": N_("Member code"),
    "COUNTRY_CODE": N_("Country code"),
    "ORGANIZATION_NAME": N_("Organisation name"),
    "ORGANIZATION_NAME_CN": N_("Organisation name"),
    "MEMBER_CLASS_BC": N_("Member class"),
    "MEMBER_CLASS": N_("Member class"),
    "MEMBER_CODE": N_("Member code"),
    "INSTANCE_IDENTIFIER": N_("Instance"),
    "SERVER_CODE": N_("Server code"),
    "SUBJECT_ALT_NAME": N_("Alternative name"),
}
PLACEHOLDERS = {"C": N_("two letters, e.g. KG"), "CN": N_("e.g. ss1.example.kg")}


def field_label(field: Any) -> str:
    """"Server DNS name (CN) *": the field's label, its DN attribute, and * when required."""
    label = field.label or (_(FIELD_LABELS[field.label_key]) if field.label_key in FIELD_LABELS
                            else (field.label_key or field.id).replace("_", " ").capitalize())
    return f"{label} ({field.id})" + (" *" if field.required else "")


def dn_string(values: list[tuple[str, str]]) -> str:
    """The subject as a DN string, in the profile's order ("C=KG, O=…, CN=…")."""
    def escape(value: str) -> str:
        escaped = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
        return "\\" + escaped if escaped.startswith(("#", " ")) else escaped

    return ", ".join(f"{field}={escape(value)}" for field, value in values if value)


class KeysStep(StepPanel):
    """One key at a time: authentication first, then the owner's signing key."""

    STEP = 6

    DEFAULT_CSS = """
    KeysStep RadioSet { height: auto; }
    KeysStep .csr-row { height: auto; }
    KeysStep .csr-row Label { width: 30; padding-top: 1; }
    KeysStep .csr-row Input { width: 1fr; }
    KeysStep #csr-fields { height: auto; }
    KeysStep #csr-subject { height: auto; margin-top: 1; }
    KeysStep #csr-missing { color: $text-warning; height: auto; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.usage = AUTHENTICATION if state.auth is None else SIGNING
        self.authorities: list[Any] = []
        self.fields: list[Any] = []

    @property
    def member_id(self) -> str | None:
        return self.state.owner_id if self.usage == SIGNING else None

    def compose(self) -> ComposeResult:
        if self.usage == AUTHENTICATION:
            yield Static(_("First the authentication key, with which the server proves who "
                           "it is. Kapka generates it on the software token, with a certificate "
                           "signing request (CSR) for the certification authority."),
                         classes="intro")
        else:
            yield Static(_("Now the signing key of the owner {owner}: it signs the messages the "
                           "owner sends. Its CSR names the owner.").format(
                owner=self.state.owner_id or "?"), classes="intro")
        yield Label(_("Certification authority"), classes="field-label")
        yield RadioSet(id="csr-ca")
        yield Vertical(id="csr-fields")
        yield Static("", id="csr-subject")
        yield Label(_("CSR file format"), classes="field-label")
        yield RadioSet(*(Choice(name, name=name) for name in CSR_FORMATS), id="csr-format",
                       classes="-inline")
        with Horizontal(classes="csr-row"):
            yield Label(_("Key label"))
            yield Input(self._default_label(), id="csr-label", max_length=255)
        yield Static("", id="csr-missing", markup=False)
        with Horizontal(classes="actions"):
            yield self.action_button(_("Generate the key and the CSR"), "csr-generate")
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def _default_label(self) -> str:
        today = date.today().isoformat()
        if self.usage == AUTHENTICATION:
            return _("auth {code} {date}").format(code=self.state.server_code or "", date=today)
        return _("sign {member} {date}").format(member=self.state.owner_id or "", date=today)

    def on_mount(self) -> None:
        self._check()
        self.load_authorities()

    # -- the CA and its profile ------------------------------------------------------------

    @work(exclusive=True, group="setup-csr-ca", exit_on_error=False)
    async def load_authorities(self) -> None:
        if self.usage == SIGNING and not self.member_id:
            self.show_problem(_("Owner unknown"), _(
                "The server did not say who owns it (GET /security-servers?current_server=true), "
                "so Kapka cannot name the owner in the signing CSR. Press ctrl+r to read it "
                "again."))
            return
        try:
            authorities = await self.client.keys.certificate_authorities(self.usage)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        self.authorities = list(authorities)
        await self.fill_radio("csr-ca", [
            Choice(ca.name, value=len(authorities) == 1, name=str(index))
            for index, ca in enumerate(authorities)], focus=bool(authorities))
        if not authorities:
            self.show_problem(_("No certification authority"), _(
                "The global configuration approves no certification authority for {usage} "
                "certificates. Ask your X-Road operator.").format(usage=self.usage.lower()))
            return
        if len(authorities) == 1:
            self._ca_chosen(authorities[0])

    @property
    def authority(self) -> Any:
        pressed = self.query_one("#csr-ca", RadioSet).pressed_button
        return None if pressed is None else self.authorities[int(pressed.name or 0)]

    @on(RadioSet.Changed, "#csr-ca")
    def _ca_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if self.authority is not None:
            self._ca_chosen(self.authority)

    def _ca_chosen(self, authority: Any) -> None:
        wanted = (authority.default_csr_format or "PEM").upper()
        self.run_worker(self.fill_radio("csr-format", [
            Choice(name, value=name == wanted, name=name) for name in CSR_FORMATS]),
            group="setup-csr-format", exclusive=True, exit_on_error=False)
        self.load_fields(authority)

    @work(exclusive=True, group="setup-csr-fields", exit_on_error=False)
    async def load_fields(self, authority: Any) -> None:
        self.clear_problem()
        holder = self.query_one("#csr-fields", Vertical)
        await holder.remove_children()
        self.fields = []
        self._check()
        try:
            fields = await self.client.keys.csr_subject_fields(
                authority.name, self.usage, member_id=self.member_id)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        if authority is not self.authority:
            return
        self.fields = list(fields)
        defaults = await self._defaults()
        rows = []
        for index, field in enumerate(fields):
            value = field.default_value or ("" if field.read_only else defaults.get(field.id, ""))
            placeholder = PLACEHOLDERS.get(field.id)
            rows.append(Horizontal(
                Label(field_label(field), markup=False),
                Input(value, id=f"csr-field-{index}", name=field.id, disabled=field.read_only,
                      placeholder=_(placeholder) if placeholder else "",
                      tooltip=_("set by the CA's profile") if field.read_only else None),
                classes="csr-row"))
        await holder.mount_all(rows)
        self._check()

    async def _defaults(self) -> dict[str, str]:
        """Values for fields the profile leaves empty: the server's DNS name for an
        authentication CN, and the country of a CSR this server already made."""
        found: dict[str, str] = {}
        if self.usage == AUTHENTICATION:
            address, _where = await asyncio.to_thread(default_address, self.client.base_url)
            if address and "." in address:
                found["CN"] = address
        other = self.state.auth
        if other is not None and other.csr is not None:
            try:
                download = await self.client.keys.download_csr(other.key.id, other.csr.id, "PEM")
                subject = read_csr(download.content).request.subject
                country = subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
                if country:
                    found["C"] = str(country[0].value)
            except Exception as error:  # a default is a help, not a requirement
                self.log.warning(f"no country from the authentication CSR: {error!r}")
        return found

    # -- the subject, checked as it is typed -----------------------------------------------

    def values(self) -> list[tuple[str, str]]:
        found = []
        for index, field in enumerate(self.fields):
            inputs = self.query(f"#csr-field-{index}")
            found.append((field.id, inputs.first(Input).value.strip() if inputs else ""))
        return found

    def missing(self) -> list[str]:
        problems = []
        if self.authority is None:
            problems.append(_("Choose the certification authority."))
        elif not self.fields:
            problems.append(_("Waiting for the CA's subject fields…"))
        values = dict(self.values())
        for field in self.fields:
            if field.required and not values.get(field.id):
                problems.append(_("{field} is required.").format(
                field=field_label(field).removesuffix(" *")))
        if self._format() is None:
            problems.append(_("Choose the CSR file format."))
        return problems

    def _format(self) -> str | None:
        pressed = self.query_one("#csr-format", RadioSet).pressed_button
        return pressed.name if pressed is not None else None

    def _check(self) -> None:
        problems = self.missing()
        subject = dn_string(self.values())
        self.query_one("#csr-subject", Static).update(Content.assemble(
            (_("Subject") + "  ", "$text-muted"), (subject or "…", "bold")))
        self.query_one("#csr-missing", Static).update("\n".join(problems))
        self.query_one("#csr-generate", Button).disabled = self.read_only or bool(problems)

    @on(Input.Changed)
    @on(RadioSet.Changed, "#csr-format")
    def _changed(self, event: Input.Changed | RadioSet.Changed) -> None:
        event.stop()
        self._check()

    # -- generating ------------------------------------------------------------------------

    @on(Button.Pressed, "#csr-generate")
    def _generate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.missing() or self.read_only:
            return
        request = CsrGenerate(key_usage_type=self.usage, ca_name=self.authority.name,
                              csr_format=self._format() or "PEM",
                              subject_field_values=dict(self.values()),
                              member_id=self.member_id)
        label = self.query_one("#csr-label", Input).value.strip()
        self.generate(label, request)

    @work(exclusive=True, group="setup-csr", exit_on_error=False)
    async def generate(self, label: str, request: CsrGenerate) -> None:
        self.clear_problem()
        self.busy(True, "csr-generate")
        self.note(_("Generating the key on the token and its CSR…"))
        try:
            await self.client.keys.add_key_with_csr(label, request)
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(error)
            self._check()
            return
        self.note(_("Key and CSR generated."))
        self.post_message(self.Completed())
