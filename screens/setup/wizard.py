"""``SetupWizardScreen``: from a fresh security server to an active authentication certificate.

The screen shows one step at a time. Which step is read from the server each time (``flow``):
after every change, and on ``ctrl+r``. Escape goes back inside a step, then out to the dashboard;
nothing the server already has is lost, and opening the wizard again resumes there.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from backend.i18n import _
from screens.base import KapkaScreen, describe_exception, is_read_only
from screens.setup.flow import DONE, LAST_STEP, SetupState, current_step, read_setup_state, step_line
from screens.setup.step_base import StepPanel
from screens.widgets.error_panel import ErrorPanel


@dataclass(frozen=True)
class OwnerDraft:
    """What step 2 collected; the server gets it with the PIN in step 3 (one request)."""

    member_class: str | None
    member_code: str | None
    server_code: str | None
    member_name: str | None = None


def panel_for(step: int, state: SetupState) -> StepPanel:
    from screens.setup.step_anchor import AnchorStep
    from screens.setup.step_certs import ExportStep, ImportStep
    from screens.setup.step_finish import ActivateStep, ApprovalStep, DonePanel
    from screens.setup.step_init import OwnerStep, PinStep
    from screens.setup.step_keys import KeysStep
    from screens.setup.step_register import RegisterStep
    from screens.setup.step_token import LoginStep, TimestampingStep

    kinds: dict[int, type[StepPanel]] = {
        1: AnchorStep, 2: OwnerStep, 3: PinStep, 4: TimestampingStep, 5: LoginStep,
        6: KeysStep, 7: ExportStep, 8: ImportStep, 9: RegisterStep, 10: ApprovalStep,
        11: ActivateStep,
    }
    return kinds.get(step, DonePanel)(state)


class SetupWizardScreen(KapkaScreen):
    """The guided first-time setup; every step's state is read back from the server."""

    SCREEN_TITLE = _("Setup")

    BINDINGS = [
        Binding("escape", "back", _("Back"), id="setup.back",
                tooltip=_("Back inside the step, else out to the dashboard (the server keeps "
                          "what is done)")),
        Binding("ctrl+r,f5", "reread", _("Re-read"), id="setup.reread",
                tooltip=_("Read the setup state from the server again")),
    ]

    DEFAULT_CSS = """
    SetupWizardScreen #setup-progress { height: auto; padding: 0 1; background: $boost; }
    SetupWizardScreen #setup-body { height: 1fr; padding: 0 1; }
    SetupWizardScreen #setup-step { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.state: SetupState | None = None
        self.current = 0  # the first step the server has not done
        self.shown = 0  # the step on screen (2 while the owner is typed, before step 3)
        self.owner_draft: OwnerDraft | None = None
        self.reads = 0  # finished reads of the server's state (for tests)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="setup-progress", markup=False)
        with VerticalScroll(id="setup-body"):
            yield ErrorPanel(id="setup-error")
            yield Vertical(id="setup-step")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.show_progress(_("Reading the server's setup state…"))
        self.reread()

    @property
    def panel(self) -> StepPanel | None:
        panels = self.query(StepPanel)
        return panels.first() if panels else None

    # -- reading the state -----------------------------------------------------------------

    @work(exclusive=True, group="setup-state", exit_on_error=False)
    async def reread(self, show: int | None = None) -> None:
        """Read the server's state and show the step it is at (or ``show``, if it may be)."""
        client = getattr(self.app, "server", None)
        error_panel = self.query_one("#setup-error", ErrorPanel)
        if client is None:
            error_panel.show_error(title=_("Not connected"), message=_(
                "Kapka is not connected to a security server. Press c to connect."))
            return
        body = self.query_one("#setup-body")
        body.loading = True
        try:
            state = await read_setup_state(client)
        except Exception as error:  # said in the panel, with Retry
            await self.query_one("#setup-step", Vertical).remove_children()
            title, message = describe_exception(error)
            error_panel.show_error(title=title, message=message, hint=_(
                "Press Retry (or ctrl+r) to read the state again."))
            self.show_progress(_("The setup state could not be read."))
            return
        finally:
            body.loading = False
            self.reads += 1
        error_panel.clear()
        note = getattr(self.app, "note_initialisation", None)
        if callable(note):  # the header follows what the wizard reads
            note(state.status.is_initialized, state.server_id)
        self.state = state
        self.current = current_step(state)
        if self.current > 3:
            self.owner_draft = None
        await self.show_step(show if show is not None and self.may_show(show) else self.current)

    def may_show(self, step: int) -> bool:
        """Steps done, the current one, and the one after a step that only collects input
        (the PIN after the owner; the import after the export, which the server cannot see)."""
        return 1 <= step <= self.current or (step, self.current) in ((3, 2), (8, 7))

    async def show_step(self, number: int) -> None:
        assert self.state is not None
        self.shown = number
        holder = self.query_one("#setup-step", Vertical)
        await holder.remove_children()
        panel = panel_for(number, self.state)
        panel.display = False  # it appears once its on_mount has put the focus where typing goes
        await holder.mount(panel)
        panel.display = True
        self.show_progress()
        self.query_one("#setup-body").scroll_home(animate=False)

    def show_progress(self, text: str | None = None) -> None:
        progress = self.query_one("#setup-progress", Static)
        if text is not None:
            progress.update(text)
            return
        parts: list[str | tuple[str, str]] = [(step_line(self.shown), "bold")]
        if self.shown < self.current <= LAST_STEP:
            parts += ["  ", (_("(shown again: the server is at step {n})").format(
                n=self.current), "$text-muted")]
        if is_read_only(self):
            parts += ["\n", (_("Read-only mode: the wizard shows the server's state; every "
                                "change is disabled."), "bold $text-warning")]
        progress.update(Content.assemble(*parts))

    @property
    def progress_text(self) -> str:
        return step_line(self.shown) if self.shown else ""

    # -- moving between steps --------------------------------------------------------------

    @on(StepPanel.Completed)
    def _step_completed(self, event: StepPanel.Completed) -> None:
        event.stop()
        self.reread()

    @on(StepPanel.GoTo)
    async def _go_to(self, event: StepPanel.GoTo) -> None:
        event.stop()
        if self.state is not None and self.may_show(event.step):
            await self.show_step(event.step)
        else:
            self.reread(event.step)

    @on(ErrorPanel.Retry)
    def _retry(self, event: ErrorPanel.Retry) -> None:
        event.stop()
        self.reread()

    def action_reread(self) -> None:
        self.reread(self.shown if self.shown in (3, 8) else None)

    async def action_back(self) -> None:
        panel = self.panel
        if panel is not None and panel.back():
            return
        if self.shown == 3 and self.state is not None and not self.state.owner_done:
            await self.show_step(2)  # nothing was sent yet: the owner can still be changed
            return
        if self.shown == 8 and self.current == 7:
            await self.show_step(7)
            return
        self.action_dashboard()

    def action_dashboard(self) -> None:
        if self.current != DONE and self.state is not None:
            self.app.notify(_("The server keeps what is done. Press s on the dashboard (or "
                              "ctrl+p, \"setup: open wizard\") to go on at step {n}.").format(
                n=self.current), title=_("Setup paused"), timeout=6)
        self.app.show_dashboard()
