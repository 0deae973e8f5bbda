"""Steps 2 and 3: the owner and the server code, then the software token PIN and the
initialisation request (``POST /initialization`` with only the fields the server still lacks)."""

from __future__ import annotations

import re

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Input, Label, RadioSet, Static

from backend.i18n import _
from screens.setup.flow import SetupState
from screens.setup.step_base import StepPanel
from screens.widgets.choices import Choice, bracketed
from screens.widgets.pin_input import PinInput

#: X-Road's strict identifier rule (``strict-identifier-checks``, the default since 7.3)
IDENTIFIER = re.compile(r"^[A-Za-z0-9'()+,\-.=?]+$")
FORBIDDEN = frozenset(":;/\\%")
LOOKUP_DELAY = 0.4  # seconds of no typing before the member's name is looked up


def identifier_problem(value: str, what: str) -> str:
    """Why ``value`` is not an X-Road identifier ("" when it is one)."""
    if not value:
        return _("Type the {what}.").format(what=what)
    if len(value) > 255:
        return _("The {what} has at most 255 characters.").format(what=what)
    bad = sorted({ch for ch in value if ch in FORBIDDEN or not ch.isprintable() or ch.isspace()})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        return _("The {what} may not contain {chars} (X-Road refuses : ; / \\ % spaces and "
                 "control characters).").format(what=what, chars=shown)
    if not IDENTIFIER.match(value):
        return _("The {what} may contain Latin letters, digits and ' ( ) + , - . = ? only, as "
                 "X-Road's strict identifier check requires (and Tunduk's CA refuses Cyrillic "
                 "codes).").format(what=what)
    return ""


class OwnerStep(StepPanel):
    """Collects the owner's member class and code and the server code; nothing is sent yet."""

    STEP = 2

    DEFAULT_CSS = """
    OwnerStep RadioSet { height: auto; }
    OwnerStep Input { width: 40; }
    OwnerStep #owner-name, OwnerStep #code-problem { height: auto; }
    OwnerStep #code-problem { color: $text-error; }
    OwnerStep #owner-id { margin-top: 1; height: auto; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.member_classes: list[str] = []
        self.member_name: str | None = None
        self.name_known = False  # the lookup for the current class and code has answered
        self._lookup_timer: Timer | None = None

    @property
    def needs_owner(self) -> bool:
        return not self.state.status.is_server_owner_initialized

    @property
    def needs_code(self) -> bool:
        return not self.state.status.is_server_code_initialized

    def compose(self) -> ComposeResult:
        draft = self.wizard.owner_draft
        yield Static(_("The server's owner (a member of the X-Road instance) and the server's "
                       "own code. They are sent with the PIN in step 3."), classes="intro")
        if self.needs_owner:
            yield Label(_("Member class of the owner"), classes="field-label")
            yield RadioSet(id="owner-class")
            yield Label(_("Member code of the owner"), classes="field-label")
            yield Input((draft.member_code or "") if draft else "", id="owner-code",
                        placeholder=_("e.g. 70000001"))
            yield Static("", id="owner-name")
        else:
            yield Static(_("The owner is already set on the server."), classes="hint")
        if self.needs_code:
            yield Label(_("Security server code"), classes="field-label")
            yield Input((draft.server_code or "") if draft else "", id="server-code",
                        placeholder=_("e.g. SS1 (Latin letters and digits)"))
        yield Static("", id="code-problem", markup=False)
        yield Static("", id="owner-id")
        with Horizontal(classes="actions"):
            yield Button(bracketed(_("Next: software token PIN")), id="owner-next",
                         variant="primary", compact=True)
        yield self.problem_box()

    def on_mount(self) -> None:
        if self.needs_owner:
            self.load_classes()  # focuses the member classes once they are there
            return
        self._validate()
        for field in self.query("#server-code"):
            field.focus()

    # -- member classes and the member's name ----------------------------------------------

    @work(exclusive=True, group="setup-classes", exit_on_error=False)
    async def load_classes(self) -> None:
        try:
            classes = await self.client.setup.member_classes()
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        draft = self.wizard.owner_draft
        wanted = draft.member_class if draft else (classes[0] if len(classes) == 1 else None)
        focused = self.app.focused
        typing = isinstance(focused, Input) and bool(focused.value)  # then the focus stays
        radio = await self.fill_radio("owner-class", [
            Choice(name, value=name == wanted, name=name) for name in classes], focus=not typing)
        radio.set_class(len(classes) <= 6, "-inline")
        self.member_classes = list(classes)
        if not classes:
            self.show_problem(_("No member classes"), _(
                "The global configuration lists no member classes yet. Wait for the server to "
                "download it (the dashboard's global configuration card), then press ctrl+r."))
        self._validate()
        self._schedule_lookup()

    @property
    def member_class(self) -> str | None:
        radio = self.query("#owner-class")
        if not radio:
            return None
        pressed = radio.first(RadioSet).pressed_button
        return pressed.name if pressed is not None else None

    def _value(self, selector: str) -> str:
        found = self.query(selector)
        return found.first(Input).value.strip() if found else ""

    @on(RadioSet.Changed, "#owner-class")
    def _class_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._schedule_lookup()
        self._validate()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "owner-code":
            self._schedule_lookup()
        self._validate()

    def _schedule_lookup(self) -> None:
        if self._lookup_timer is not None:
            self._lookup_timer.stop()
        self.name_known = False
        self.member_name = None
        code, member_class = self._value("#owner-code"), self.member_class
        name = self.query("#owner-name")
        if not name:
            return
        if not member_class or identifier_problem(code, ""):
            name.first(Static).update("")
            return
        name.first(Static).update(Content.styled(_("looking up the member's name…"),
                                                 "italic $text-muted"))
        self._lookup_timer = self.set_timer(LOOKUP_DELAY, lambda: self.lookup(member_class, code))

    @work(exclusive=True, group="setup-member-name", exit_on_error=False)
    async def lookup(self, member_class: str, code: str) -> None:
        try:
            name = await self.client.setup.member_name(member_class, code)
        except Exception as error:  # the name is a help, not a requirement
            self.query_one("#owner-name", Static).update(Content.styled(
                _("The name could not be looked up: {error}").format(error=error), "$text-warning"))
            return
        if (member_class, code) != (self.member_class, self._value("#owner-code")):
            return  # typed on meanwhile: a newer lookup follows
        self.member_name, self.name_known = name, True
        label = self.query_one("#owner-name", Static)
        if name:
            label.update(Content.assemble(("✓ ", "bold $text-success"), (name, "bold")))
        else:
            label.update(Content.assemble(
                ("! ", "bold $text-warning"),
                _("not in the global configuration — registration will warn (a typo, or the "
                  "member is not registered with the central server yet)")))

    # -- checking and going on -------------------------------------------------------------

    def problems(self) -> list[str]:
        found = []
        if self.needs_owner:
            if not self.member_class:
                found.append(_("Choose the member class."))
            problem = identifier_problem(self._value("#owner-code"), _("member code"))
            if problem:
                found.append(problem)
        if self.needs_code:
            problem = identifier_problem(self._value("#server-code"), _("server code"))
            if problem:
                found.append(problem)
        return found

    def _validate(self) -> None:
        problems = self.problems()
        typed = [p for p in problems if not p.startswith((_("Type the"), _("Choose the")))]
        self.query_one("#code-problem", Static).update("\n".join(typed))
        self.query_one("#owner-next", Button).disabled = bool(problems)
        instance = self.state.instance or "…"
        member_class = self.member_class or "…"
        code = self._value("#owner-code") or "…"
        server = self._value("#server-code") or "…"
        if not self.needs_owner and self.state.owner_id:
            _instance, member_class, code = self.state.owner_id.split(":", 2)
        self.query_one("#owner-id", Static).update(Content.assemble(
            (_("Security server id") + "  ", "$text-muted"),
            (f"{instance}:{member_class}:{code}:{server}", "bold")))

    @on(Input.Submitted)
    @on(Button.Pressed, "#owner-next")
    def _next(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        problems = self.problems()
        if problems:
            self.query_one("#code-problem", Static).update("\n".join(problems))
            return
        from screens.setup.wizard import OwnerDraft

        self.wizard.owner_draft = OwnerDraft(
            member_class=self.member_class if self.needs_owner else None,
            member_code=self._value("#owner-code") if self.needs_owner else None,
            server_code=self._value("#server-code") if self.needs_code else None,
            member_name=self.member_name)
        self.post_message(self.GoTo(3))


class PinStep(StepPanel):
    """The software token's PIN, then one ``POST /initialization`` with what is missing."""

    STEP = 3

    def compose(self) -> ComposeResult:
        draft = self.wizard.owner_draft
        status = self.state.status
        yield Static(self._summary(), id="init-summary", classes="intro")
        if not status.is_anchor_imported:
            return
        if not self.state.token_initialised:
            yield PinInput(enforced=status.enforce_token_pin_policy, id="pin")
            yield Static(_("A lost PIN cannot be recovered: without it the keys on the software "
                           "token cannot be used, and the server has to be set up again with new "
                           "keys and certificates. Put it in your organisation's password safe "
                           "now."), classes="warning")
        else:
            yield Static(_("The software token is already initialised; its PIN stays as it "
                           "is."), classes="hint")
        missing_owner = (not self.state.owner_done) and draft is None
        with Horizontal(classes="actions"):
            yield self.action_button(_("Initialise the server"), "init-send")
            yield Button(bracketed(_("Back to the owner")), id="init-back", compact=True,
                         disabled=self.state.owner_done)
        if missing_owner:
            yield Static(_("Go back to step 2 and fill in the owner first."),
                         classes="disabled-reason")
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def _summary(self) -> Content:
        draft = self.wizard.owner_draft
        parts: list[str | tuple[str, str]] = [
            _("Kapka sends one request (POST /initialization) with what the server still "
              "lacks:"), "\n"]
        if draft is not None and draft.member_class:
            name = f" ({draft.member_name})" if draft.member_name else ""
            parts += ["  ", (_("owner") + " ", "$text-muted"),
                      (f"{draft.member_class}:{draft.member_code}{name}", "bold"), "\n"]
        if draft is not None and draft.server_code:
            parts += ["  ", (_("server code") + " ", "$text-muted"), (draft.server_code, "bold"),
                      "\n"]
        if not self.state.token_initialised:
            parts += ["  ", (_("the software token's PIN"), "bold"), "\n"]
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        self._update_button()
        fields = self.query("#pin-first")
        if fields:
            fields.first().focus()

    def _ready(self) -> bool:
        if not self.state.owner_done and self.wizard.owner_draft is None:
            return False
        pins = self.query(PinInput)
        return not pins or pins.first().pin is not None

    def _update_button(self) -> None:
        for button in self.query("#init-send"):
            button.disabled = self.read_only or not self._ready()

    @on(PinInput.Changed)
    def _pin_changed(self, event: PinInput.Changed) -> None:
        event.stop()
        self._update_button()
        self.note(Content.styled(event.assessment.problem, "$text-muted"))

    @on(Button.Pressed, "#init-back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.GoTo(2))

    @on(Input.Submitted, "#pin-again")
    @on(Button.Pressed, "#init-send")
    def _send_pressed(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self.read_only:
            self.show_problem(_("Read-only mode"), _("Nothing is sent in read-only mode."))
            return
        if self._ready():
            self.send()

    @work(exclusive=True, group="setup-init", exit_on_error=False)
    async def send(self) -> None:
        draft = self.wizard.owner_draft
        pins = self.query(PinInput)
        pin = pins.first().pin if pins else None
        request = self.client.setup.initialize_request(
            owner_member_class=draft.member_class if draft else None,
            owner_member_code=draft.member_code if draft else None,
            security_server_code=draft.server_code if draft else None,
            software_token_pin=pin)
        self.clear_problem()
        self.busy(True, "init-send", "init-back")
        self.note(_("Initialising the server (it also makes its backup encryption key; this "
                    "can take a while)…"))
        try:
            sent = await self.app.send_confirming_warnings(request)  # type: ignore[attr-defined]
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(error)
            self.busy(False, "init-back")
            self._update_button()
            return
        if not sent:
            self.note(_("You did not confirm the server's warnings: nothing was changed."))
            self.busy(False, "init-back")
            self._update_button()
            return
        for pin_input in pins:
            pin_input.clear()
        self.note(_("The server is initialised."))
        self.post_message(self.Completed())
