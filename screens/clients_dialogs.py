"""The questions of the clients screens: which client to add, a connection type, a new name.

Each dialog dismisses with the answer, or None when the operator cancels (escape or Cancel).
Only the add dialog reads from the server (the global configuration's members and subsystems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, OptionList, RadioSet, Select, Static
from textual.widgets.option_list import Option

from backend.api.service_models import CONNECTION_TYPES, Client
from backend.errors import KapkaError
from backend.i18n import _
from screens.clients_rules import CONNECTION_WORDS, explain
from screens.keys_dialogs import KeysDialog
from screens.services_dialogs import Sender, SendingDialog
from screens.setup.step_init import identifier_problem
from screens.widgets.choices import Choice, cursor_to_pressed


@dataclass(frozen=True)
class NewClient:
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    @property
    def label(self) -> str:
        return ":".join(part for part in (self.member_class, self.member_code,
                                          self.subsystem_code) if part)


def candidate_label(client: Client, local: bool = False) -> str:
    kind = _("subsystem") if client.is_subsystem else _("member")
    short = client.id.split(":", 1)[1] if client.id.count(":") >= 2 else client.id
    where = _(" · on this server") if local else ""
    name = client.subsystem_name or client.member_name or ""
    return f"{short}  {name} · {kind}{where}".replace("  ·", " ·")


class AddClientDialog(SendingDialog):
    """Pick a member or subsystem of the global configuration, or type one (a new subsystem of a
    member: pick the member and type the subsystem code). OK adds it (``sender``); a refusal is
    said here and the dialog stays open."""

    OK_LABEL = _("Add")

    DEFAULT_CSS = """
    AddClientDialog > VerticalScroll { width: 96; }
    AddClientDialog #add-candidates { height: 8; border: round $primary 40%; }
    AddClientDialog #add-candidates:focus { border: round $accent; }
    AddClientDialog .add-fields { height: auto; }
    AddClientDialog .add-fields > * { width: 1fr; margin-right: 1; }
    AddClientDialog #add-loading { color: $text-muted; height: auto; }
    """

    def __init__(self, server: Any, local: list[Client], sender: Sender) -> None:
        super().__init__(_("Type to search the global configuration; enter on a line fills the "
                           "fields. For a new subsystem of a member, pick the member and type the "
                           "subsystem code. Subsystems of a member sign with the member's "
                           "signing certificate; a new member needs its own."), sender)
        self.TITLE_TEXT = _("Add a member or subsystem")
        self.server = server
        self.local = [client for client in local if client.id]
        self.candidates: list[tuple[Client, bool]] = [(client, True) for client in self.local]
        self.member_classes: list[str] = sorted({client.member_class for client in self.local})
        self.loaded = False
        self.wanted: NewClient | None = None

    def compose_fields(self) -> ComposeResult:
        yield Input(id="add-search", placeholder=_("search: name, class, code or subsystem"))
        yield OptionList(id="add-candidates")
        yield Static(_("Loading the global configuration…"), id="add-loading", markup=False)
        with Horizontal(classes="add-fields"):
            yield Label(_("Member class"))
            yield Label(_("Member code"))
            yield Label(_("Subsystem code (empty: the member)"))
        with Horizontal(classes="add-fields"):
            yield Select([(code, code) for code in self.member_classes], id="add-class", compact=True,
                         prompt=_("class"))
            yield Input(id="add-code", placeholder=_("e.g. 70000001"))
            yield Input(id="add-subsystem", placeholder=_("e.g. registry"))

    def on_mount(self) -> None:
        self.query_one("#add-search", Input).focus()
        self._fill("")
        self.load()

    @work(exclusive=True, group="clients-add-load", exit_on_error=False)
    async def load(self) -> None:
        note = self.query_one("#add-loading", Static)
        try:
            found = await self.server.clients.global_candidates()
        except KapkaError as error:
            note.update(_("The global configuration could not be searched ({error}); type the "
                          "identifiers.").format(error=error.message))
            return
        try:
            classes = await self.server.setup.member_classes()
        except KapkaError:
            classes = []
        self.candidates = [(client, True) for client in self.local] + \
            [(client, False) for client in found if client.id]
        self.member_classes = sorted({*classes, *(client.member_class for client, _l in self.candidates)})
        select = self.query_one("#add-class", Select)
        current = select.value
        select.set_options([(code, code) for code in self.member_classes])
        if current in self.member_classes:
            select.value = current
        note.update(_("{n} members and subsystems are not clients of this server yet.").format(
            n=len(found)))
        self.loaded = True
        self._fill(self.query_one("#add-search", Input).value)

    def _fill(self, text: str) -> None:
        wanted = text.strip().lower()
        options = self.query_one("#add-candidates", OptionList)
        options.clear_options()
        options.add_options([
            Option(candidate_label(client, local), id=f"{index}")
            for index, (client, local) in enumerate(self.candidates)
            if not wanted or wanted in f"{client.id} {client.member_name or ''} "
                                       f"{client.subsystem_name or ''}".lower()])
        if options.option_count:  # enter in the search, then enter again, picks the first match
            options.highlighted = 0

    @on(Input.Changed, "#add-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def submitted(self, field: Input) -> None:
        if field.id == "add-search":
            self.query_one("#add-candidates", OptionList).focus()
        else:
            self.submit()

    @on(OptionList.OptionSelected, "#add-candidates")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        client, local = self.candidates[int(event.option.id or 0)]
        self.pick(client)
        if local or not client.is_subsystem:
            self.query_one("#add-subsystem", Input).focus()  # a new subsystem of this member

    def pick(self, client: Client) -> None:
        """Fill the fields from a candidate (tests call this too)."""
        select = self.query_one("#add-class", Select)
        if client.member_class not in self.member_classes:
            self.member_classes = sorted({*self.member_classes, client.member_class})
            select.set_options([(code, code) for code in self.member_classes])
        select.value = client.member_class
        self.query_one("#add-code", Input).value = client.member_code
        self.query_one("#add-subsystem", Input).value = client.subsystem_code or ""

    def explain_error(self, error: KapkaError) -> KapkaError:
        return explain(error, self.wanted.label if self.wanted else "")

    def checked(self) -> NewClient | None:
        value = self.query_one("#add-class", Select).value
        member_class = value if isinstance(value, str) else ""
        code = self.query_one("#add-code", Input).value.strip()
        subsystem = self.query_one("#add-subsystem", Input).value.strip()
        if not member_class:
            self.problem(_("Choose the member class."))
            return None
        problem = identifier_problem(code, _("member code"))
        if not problem and subsystem:
            problem = identifier_problem(subsystem, _("subsystem code"))
        if problem:
            self.problem(problem)
            return None
        wanted = NewClient(member_class, code, subsystem or None)
        if any(client.id.split(":", 1)[-1] == wanted.label for client in self.local):
            self.problem(_("{client} is already a client of this server.").format(
                client=wanted.label))
            return None
        self.wanted = wanted
        return wanted


class ConnectionTypeDialog(KeysDialog):
    """How the client's information systems connect to this server."""

    OK_LABEL = _("Set")

    def __init__(self, client: Client) -> None:
        super().__init__(_("How the information systems of {client} connect to this security "
                           "server. With HTTPS, add their TLS certificates (t).").format(
            client=client.id))
        self.TITLE_TEXT = _("Connection type")
        self.current = client.connection_type or "HTTPS"

    def compose_fields(self) -> ComposeResult:
        with RadioSet(id="connection-type", compact=True):
            for kind in CONNECTION_TYPES:
                yield Choice(_(CONNECTION_WORDS[kind]), kind == self.current, name=kind,
                             compact=True)

    def on_mount(self) -> None:
        radio = self.query_one("#connection-type", RadioSet)
        radio.focus()
        cursor_to_pressed(radio)

    def answer(self) -> str | None:
        pressed = self.query_one("#connection-type", RadioSet).pressed_button
        if pressed is None or not pressed.name:
            self.problem(_("Choose a connection type."))
            return None
        return pressed.name


class RenameDialog(KeysDialog):
    """A subsystem's new name (the central server approves it for a registered subsystem)."""

    OK_LABEL = _("Rename")

    def __init__(self, client: Client) -> None:
        registered = client.status == "REGISTERED"
        super().__init__(
            _("A registered subsystem's new name is sent to the central server; it applies once "
              "approved, and no other rename can be sent until then.") if registered else
            _("The name is kept with the subsystem and sent with its registration."))
        self.TITLE_TEXT = _("Rename {client}").format(client=client.id)
        self.current = client.subsystem_name or ""

    def compose_fields(self) -> ComposeResult:
        yield Input(self.current, id="rename-name", placeholder=_("the subsystem's name"))

    def on_mount(self) -> None:
        self.query_one("#rename-name", Input).focus()

    def answer(self) -> str | None:
        name = self.query_one("#rename-name", Input).value.strip()
        if not name:
            self.problem(_("Type the new name."))
            return None
        if len(name) > 255 or any(not ch.isprintable() for ch in name):
            self.problem(_("A name has at most 255 characters and no control characters."))
            return None
        if name == self.current:
            self.problem(_("That is the current name; type a new one."))
            return None
        return name
