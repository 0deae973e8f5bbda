"""``StepPanel``: what every step of the setup wizard shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, RadioSet, Static

from backend.api.errors import WriteCancelled
from backend.i18n import _
from screens.base import describe_exception, is_read_only
from screens.setup.flow import SetupState
from screens.widgets.choices import Choice, bracketed, cursor_to_pressed

if TYPE_CHECKING:
    from screens.setup.wizard import SetupWizardScreen


def read_only_reason() -> str:
    return _("Disabled: Kapka runs in read-only mode and sends no changes. Start it without "
             "--read-only (and set read_only = false in the profile) to make this change.")


class StepPanel(Vertical):
    """One step: it shows the server's state and, unless read-only, changes it.

    A step that changed the server posts ``Completed``: the wizard then reads the state back from
    the server and shows whichever step comes next. Errors stay inside the step, in words.
    """

    STEP: ClassVar[int] = 0

    DEFAULT_CSS = """
    StepPanel { height: auto; }
    StepPanel RadioSet { width: auto; min-width: 30; }
    StepPanel RadioSet > RadioButton { width: auto; }
    StepPanel RadioSet.-inline { layout: horizontal; }
    StepPanel RadioSet.-inline > RadioButton { margin-right: 2; }
    StepPanel .intro { height: auto; margin-bottom: 1; }
    StepPanel .field-label { margin-top: 1; text-style: bold; }
    StepPanel .hint { color: $text-muted; height: auto; }
    StepPanel .warning { color: $text-warning; text-style: bold; height: auto; margin-top: 1; }
    StepPanel .actions { height: auto; margin-top: 1; }
    StepPanel .actions Button { margin-right: 2; }
    StepPanel .disabled-reason { color: $text-warning; height: auto; }
    StepPanel #step-problem {
        display: none; height: auto; border: heavy $error; padding: 0 1; margin-top: 1;
    }
    StepPanel #step-problem.-shown { display: block; }
    StepPanel #step-note { height: auto; margin-top: 1; }
    """

    class Completed(Message):
        """The step changed the server: read the state again and go on."""

    class GoTo(Message):
        """Show another step without a change on the server (a step that only collects input)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="step-panel")
        self.state = state
        self.problem_text = ""  # the problem shown, as plain text (for tests and screen readers)

    # -- what a step reaches ---------------------------------------------------------------

    @property
    def wizard(self) -> SetupWizardScreen:
        return self.screen  # type: ignore[return-value]

    @property
    def client(self) -> Any:
        return getattr(self.app, "server", None)

    @property
    def read_only(self) -> bool:
        return is_read_only(self)

    def back(self) -> bool:
        """Escape inside the step (e.g. back to the file picker); False: the wizard handles it."""
        return False

    # -- what a step shows -----------------------------------------------------------------

    def problem_box(self) -> Static:
        return Static("", id="step-problem", markup=False)

    def note_box(self) -> Static:
        return Static("", id="step-note", markup=False)

    def action_button(self, label: str, button_id: str) -> Button:
        """A button that changes the server: disabled, with the reason below, in read-only mode."""
        return Button(bracketed(label), id=button_id, variant="primary", compact=True,
                      disabled=self.read_only)

    def read_only_note(self) -> Static:
        return Static(read_only_reason() if self.read_only else "", classes="disabled-reason",
                      markup=False)

    async def fill_radio(self, radio_id: str, choices: list[Choice], *,
                         focus: bool = False) -> RadioSet:
        """Replace the (empty) RadioSet ``radio_id`` with one holding ``choices``.

        A RadioSet takes over the keyboard of the buttons it is made with; buttons mounted later
        would stay focusable one by one. The keyboard cursor starts on the chosen button, else
        on the first, so that it shows where enter lands.
        ``choices`` must be new buttons. With ``focus`` (or if the old one had it) the new one
        has the focus before it appears: keys pressed once the choices show go to it.
        """
        old = self.query_one(f"#{radio_id}", RadioSet)
        focus = focus or old.has_focus
        parent = old.parent
        assert parent is not None
        position = list(parent.children).index(old)
        radio = RadioSet(*choices, id=radio_id, classes=" ".join(old.classes))
        radio.display = False
        await old.remove()
        await parent.mount(radio, before=position if position < len(parent.children) else None)
        cursor_to_pressed(radio)  # a new RadioSet's cursor starts on the first button
        if focus:
            radio.focus()
        radio.display = True
        return radio

    def show_problem(self, title: str, message: str) -> None:
        self.problem_text = f"{title}\n{message}"
        box = self.query_one("#step-problem", Static)
        box.update(self.problem_text)
        box.border_title = _("Problem")
        box.add_class("-shown")

    def show_error(self, error: BaseException) -> None:
        if isinstance(error, WriteCancelled):
            self.note(_("Cancelled: nothing was sent to the server."))
            return
        title, message = describe_exception(error)
        self.log.error(f"setup step {self.STEP} failed: {error!r}")
        self.show_problem(title, message)

    def clear_problem(self) -> None:
        self.problem_text = ""
        for box in self.query("#step-problem"):
            box.remove_class("-shown")
            box.update("")

    def note(self, text: str | Content) -> None:
        for box in self.query("#step-note"):
            box.update(text)

    def busy(self, busy: bool, *buttons: str) -> None:
        """While a request runs: its buttons off (never on in read-only mode)."""
        for button_id in buttons:
            for button in self.query(f"#{button_id}"):
                button.disabled = busy or self.read_only
