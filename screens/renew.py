"""The guided renewal of one certificate: what is done, what is next, what to wait for.

Nothing about the renewal is kept on this computer: each load derives the steps from the tokens
(``screens/renew_state.py``), so a renewal started days ago, from another terminal or in X-Road's
web UI, resumes at the right step.
"""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from backend.api.models import Token
from backend.errors import KapkaError
from backend.i18n import N_, _
from screens.base import KapkaScreen, describe_exception, is_read_only
from screens.keys_actions import KeysActions
from screens.keys_dialogs import ImportDialog
from screens.keys_generate import CsrPreset, GenerateDialog
from screens.keys_render import expiry_phrase, usage_word
from screens.keys_rules import Selection, action_reason
from screens.renew_state import (
    DONE,
    LATER,
    NEXT,
    SKIPPED,
    WAITING,
    Renewal,
    find_renewal,
    subject_values,
)
from screens.widgets.error_panel import ErrorPanel

MARKS = {DONE: "✓", NEXT: "▶", WAITING: "…", LATER: "○", SKIPPED: "–"}
STATE_WORDS = {DONE: N_("done"), NEXT: N_("next"), WAITING: N_("waiting"), LATER: N_("later"),
               SKIPPED: N_("not needed")}
STEP_STYLES = {DONE: "$text-success", NEXT: "bold", WAITING: "$text-warning", LATER: "$text-muted",
               SKIPPED: "$text-muted"}

#: renew action → (keys-screen action whose rules apply, which object it acts on)
RULES = {
    "generate": ("generate", "old-token"), "new_csr": ("new_csr", "new-key"),
    "download": ("download", "new-csr"), "import": ("import_cert", "old-token"),
    "register": ("register", "new-cert"), "activate": ("activate", "new-cert"),
    "disable_old": ("disable", "old-cert"), "unregister_old": ("unregister", "old-cert"),
    "delete_old": ("delete", "old-cert"),
}


class RenewScreen(KeysActions, KapkaScreen):
    """Steps of the renewal of the certificate ``cert_hash``, read back from the server."""

    SCREEN_TITLE = _("Renew a certificate")

    BINDINGS = [
        Binding("enter", "next_step", _("Do next step"), id="renew.next",
                tooltip=_("Do the step marked ▶")),
        Binding("r", "refresh", _("Refresh"), id="renew.refresh",
                tooltip=_("Read the renewal's state again from the server")),
        Binding("s", "download", _("Save CSR"), id="renew.download",
                tooltip=_("Save the new key's CSR to send it to the CA")),
        Binding("i", "import_new", _("Import cert"), id="renew.import",
                tooltip=_("Import the certificate the CA issued for the new key")),
        Binding("escape", "back", _("Back"), id="renew.back"),
    ]

    DEFAULT_CSS = """
    RenewScreen #renew-body { height: 1fr; padding: 0 1; }
    RenewScreen #renew-old { height: auto; margin-bottom: 1; }
    RenewScreen #renew-steps { height: auto; }
    RenewScreen #renew-now { height: auto; margin-top: 1; border: round $accent; padding: 0 1; }
    """

    def __init__(self, cert_hash: str) -> None:
        super().__init__()
        self.cert_hash = cert_hash.upper()
        self.renewal: Renewal | None = None
        self.finished = False
        self.tokens: list[Token] = []
        self.permissions: frozenset[str] | None = None
        self.selection: Selection | None = None
        self.wanted: str | None = None
        self.busy = False
        self.loads = 0
        self.generation = 0  # actions finished
        self.loaded_generation = 0  # the generation shown

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(id="renew-body"):
            yield ErrorPanel(id="renew-error")
            yield Static(_("Loading…"), id="renew-old")
            yield Static("", id="renew-steps")
            yield Static("", id="renew-now")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#renew-body").focus()
        self.load()

    # -- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="renew-load", exit_on_error=False)
    async def load(self) -> None:
        server = self.app.server
        panel = self.query_one("#renew-error", ErrorPanel)
        generation = self.generation
        try:
            tokens = await server.tokens()
            identity = getattr(self.app, "identity", None)
            self.permissions = (frozenset(identity.user.permissions) if identity is not None
                                else frozenset((await server.user()).permissions))
        except Exception as error:  # shown with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message, hint=_("Press r to try again."))
            return
        panel.clear()
        self.tokens = tokens
        previous = self.renewal
        renewal = find_renewal(tokens, self.cert_hash)
        if renewal is not None:
            self.cert_hash = renewal.old.hash  # opened on the new certificate: follow the old
        self.renewal = renewal
        self.finished = renewal is None and previous is not None and previous.new_hash is not None
        self._show_renewal(previous)
        self.loads += 1
        self.loaded_generation = generation
        self.refresh_bindings()

    def _show_renewal(self, previous: Renewal | None) -> None:
        old_box = self.query_one("#renew-old", Static)
        steps_box = self.query_one("#renew-steps", Static)
        now_box = self.query_one("#renew-now", Static)
        renewal = self.renewal
        if renewal is None:
            steps_box.update("")
            if self.finished and previous is not None:
                old_box.update(Content.styled(_("The renewal is complete: the old certificate "
                                                "is deleted, and {hash} is in use.").format(
                    hash=previous.new_hash), "bold $text-success"))
            else:
                old_box.update(_("Certificate {hash} is not on any token (any more).").format(
                    hash=self.cert_hash))
            now_box.update(_("Press escape to go back."))
            return
        old = renewal.old
        details = old.cert.certificate_details
        member = f", {_('member')} {renewal.member_id}" if renewal.member_id else ""
        old_box.update(Content.assemble(
            (_("Renewing"), "bold"), " ",
            _("the {usage} certificate {subject}{member}: expires in {left} ({status}, "
              "{active}); key {key} on {token}.").format(
                usage=usage_word(renewal.usage), subject=details.subject_common_name,
                member=member, left=expiry_phrase(details.not_after), status=old.cert.status,
                active=_("active") if old.cert.active else _("disabled"), key=old.key.label,
                token=old.token.name)))
        lines = []
        for number, step in enumerate(renewal.steps, 1):
            lines.append(Content.assemble(
                (f"{MARKS[step.state]} {number}. {step.title}", STEP_STYLES[step.state]),
                (f"  ({_(STATE_WORDS[step.state])})", "$text-muted")))
            if step.state in (NEXT, WAITING):
                lines.append(Content("     " + step.detail))
        steps_box.update(Content("\n").join(lines))
        now_box.update(self._now_text())

    def _now_text(self) -> Content:
        assert self.renewal is not None
        step = self.renewal.current
        if step is None:
            return Content(_("Nothing left to do here."))
        if step.state == WAITING:
            head = Content.assemble((_("Waiting: "), "bold $text-warning"), step.detail)
            extra = ([_("i imports the certificate when it arrives.")] if step.action == "import"
                     else [])
            return Content("\n").join([head, *map(Content, extra), Content(_(
                "Come back any time: Kapka reads the progress from the server."))])
        why = self.reason(step.action or "")
        key = _("enter")
        if why:
            return Content.assemble((_("Next: "), "bold"), step.title, "\n",
                                    (_("{key} is disabled: {why}").format(key=key, why=why),
                                     "$text-muted"))
        return Content.assemble((_("Next: "), "bold"), step.title, "\n",
                                _("Press {key} to do it.").format(key=key))

    # -- rules ------------------------------------------------------------------------------------

    def _target(self, where: str) -> Selection | None:
        renewal = self.renewal
        if renewal is None:
            return None
        old = renewal.old
        new_token = renewal.new_token or old.token
        return {
            "old-token": Selection(old.token),
            "old-cert": Selection(old.token, old.key, cert=old.cert),
            "new-key": Selection(new_token, renewal.new_key) if renewal.new_key else None,
            "new-csr": (Selection(new_token, renewal.new_key, csr=renewal.new_csr)
                        if renewal.new_key and renewal.new_csr else None),
            "new-cert": (Selection(new_token, renewal.new_key, cert=renewal.new_cert)
                         if renewal.new_key and renewal.new_cert else None),
        }[where]

    def reason(self, action: str) -> str | None:
        if action not in RULES:
            return None
        if self.renewal is None:
            return _("nothing to renew")
        rule, where = RULES[action]
        target = self._target(where)
        if target is None:
            return _("not at this step yet")
        return action_reason(rule, target, permissions=self.permissions,
                             read_only=is_read_only(self))

    def _step_action(self) -> str | None:
        step = self.renewal.current if self.renewal else None
        return step.action if step is not None and step.state == NEXT else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_step":
            step_action = self._step_action()
            return None if step_action is None or self.reason(step_action) else True
        if action == "download":
            return None if self.reason("download") else True
        if action == "import_new":
            return None if self.reason("import") or (
                self.renewal is not None and self.renewal.new_cert is not None) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action == "next_step":
            step_action = self._step_action()
            if step_action is None:
                return _("nothing to do now: see the steps") if self.renewal else _(
                    "nothing to renew")
            return self.reason(step_action)
        if action == "download":
            return self.reason("download")
        if action == "import_new":
            if self.renewal is not None and self.renewal.new_cert is not None:
                return _("the new certificate is imported")
            return self.reason("import")
        return super().disabled_reason(action)

    # -- actions ----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_next_step(self) -> None:
        action = self._step_action()
        if action is None:
            step = self.renewal.current if self.renewal else None
            self.notify(step.detail if step else _("Nothing to do here."), markup=False)
            return
        if not self.refuse(action):
            self.perform(lambda: self.do_step(action))

    def action_download(self) -> None:
        if not self.refuse("download"):
            self.perform(lambda: self.do_step("download"))

    def action_import_new(self) -> None:
        if not self.refuse("import"):
            self.perform(lambda: self.do_step("import"))

    async def do_step(self, action: str) -> str | None:
        renewal = self.renewal
        assert renewal is not None
        old = renewal.old
        server = self.server
        new_hash = renewal.new_hash or ""
        if action in ("generate", "new_csr"):
            return await self._generate(renewal, action == "new_csr")
        if action == "download":
            assert renewal.new_key is not None and renewal.new_csr is not None
            return await self.save_csr(renewal.new_key.id, renewal.new_csr.id,
                                       usage_word(renewal.usage))
        if action == "import":
            return await self.import_file(await self.app.push_screen_wait(ImportDialog(
                _("Choose the certificate {ca} issued for the new key.").format(
                    ca=old.cert.certificate_details.issuer_common_name))))
        if action == "register":
            return await self.register(new_hash, old.cert.certificate_details.subject_common_name)
        if action == "activate":
            await server.certificates.activate(new_hash)
            return _("The new certificate is active.")
        if action == "disable_old":
            await server.certificates.disable(old.hash)
            return _("The old certificate is disabled.")
        if action == "unregister_old":
            return await self.unregister(old.hash)
        if action == "delete_old":
            return await self.delete(Selection(old.token, old.key, cert=old.cert), note=_(
                "The last step of the renewal: the new certificate is in use."))
        return None

    async def _generate(self, renewal: Renewal, for_existing_key: bool) -> str | None:
        old = renewal.old
        details = old.cert.certificate_details
        ca_name = await self._issuer_ca(renewal)
        preset = CsrPreset(usage=renewal.usage, ca_name=ca_name, member_id=renewal.member_id,
                           values=subject_values(details.subject_distinguished_name),
                           label=f"{usage_word(renewal.usage)} {date.today().isoformat()}")
        key = renewal.new_key if for_existing_key else None
        token = renewal.new_token if for_existing_key and renewal.new_token else old.token
        request = await self.app.push_screen_wait(GenerateDialog(
            self.server, usages=[renewal.usage], token_name=token.name,
            owner_member=renewal.member_id, key_id=key.id if key else None,
            key_name=key.name if key else None, preset=preset))
        return await self.send_generate(token, request)

    async def _issuer_ca(self, renewal: Renewal) -> str | None:
        """The approved CA that issued the old certificate (the new CSR goes to it)."""
        details = renewal.old.cert.certificate_details
        try:
            authorities = await self.server.keys.certificate_authorities(renewal.usage)
        except KapkaError:
            return None
        for ca in authorities:
            if ca.subject_distinguished_name == details.issuer_distinguished_name or \
                    ca.name == details.issuer_common_name:
                return ca.name
        return None
