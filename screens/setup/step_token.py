"""Steps 4 and 5: the timestamping service, then the login to the software token."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Input, Label, RadioSet, Static

from backend.api.errors import ApiError
from backend.i18n import N_, _
from backend.secret import Secret
from screens.setup.step_base import StepPanel
from screens.widgets.choices import Choice

COST = {"FREE": N_("free"), "PAID": N_("paid"), "UNDEFINED": N_("cost not stated")}


class TimestampingStep(StepPanel):
    """An explicit choice among the timestamping services the global configuration approves."""

    STEP = 4

    DEFAULT_CSS = """
    TimestampingStep RadioSet { height: auto; }
    TimestampingStep #tsa-urls { height: auto; color: $text-muted; }
    """

    def __init__(self, state: Any, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.services: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static(_("Signed messages need a timestamp from a timestamping service approved "
                       "in the global configuration. Choose the one your X-Road operator tells "
                       "you to use (nothing is chosen for you):"), classes="intro")
        yield RadioSet(id="tsa-choice")
        yield Static("", id="tsa-urls", markup=False)
        with Horizontal(classes="actions"):
            yield self.action_button(_("Use this service"), "tsa-add")
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def on_mount(self) -> None:
        self.query_one("#tsa-add", Button).disabled = True
        self.load()

    @work(exclusive=True, group="setup-tsa", exit_on_error=False)
    async def load(self) -> None:
        try:
            services = await self.client.setup.approved_timestamping_services()
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        self.services = list(services)
        await self.fill_radio("tsa-choice", [
            Choice(self._label(service), name=str(index))
            for index, service in enumerate(services)], focus=bool(services))
        self.query_one("#tsa-urls", Static).update("\n".join(
            f"{service.name}: {service.url}" for service in services))
        if not services:
            self.show_problem(_("No approved timestamping service"), _(
                "The global configuration approves no timestamping service yet. Ask your X-Road "
                "operator, then press ctrl+r."))

    @staticmethod
    def _label(service: Any) -> str:
        cost = COST.get(service.cost_type or "")
        return f"{service.name} ({_(cost)})" if cost else service.name

    @property
    def chosen(self) -> Any:
        pressed = self.query_one("#tsa-choice", RadioSet).pressed_button
        if pressed is None or pressed.name is None:
            return None
        return self.services[int(pressed.name)]

    @on(RadioSet.Changed, "#tsa-choice")
    def _chosen(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.query_one("#tsa-add", Button).disabled = self.read_only or self.chosen is None

    @on(Button.Pressed, "#tsa-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.chosen is not None:
            self.add(self.chosen)

    @work(exclusive=True, group="setup-tsa", exit_on_error=False)
    async def add(self, service: Any) -> None:
        self.clear_problem()
        self.busy(True, "tsa-add")
        try:
            await self.client.setup.add_timestamping_service(service)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            self.busy(False, "tsa-add")
            return
        self.note(_("{name} is configured.").format(name=service.name))
        self.post_message(self.Completed())


PIN_STATES = {
    "USER_PIN_INCORRECT": N_("The last PIN typed was wrong."),
    "USER_PIN_COUNT_LOW": N_("Few tries are left: a few more wrong PINs lock the token."),
    "USER_PIN_FINAL_TRY": N_("One try is left: the next wrong PIN locks the token."),
    "USER_PIN_LOCKED": N_("The token is locked after too many wrong PINs; it accepts no PIN. "
                          "Kapka sends none. Unlocking it needs the token's administration "
                          "on the server (see X-Road's documentation for your token)."),
    "USER_PIN_EXPIRED": N_("The token's PIN has expired; change it on the token."),
    "NOT_INITIALIZED": N_("The token is not initialised."),
}


def tries_left(token: Any) -> str | None:
    """What the token says about PIN tries left (a token-info entry), if anything."""
    for info in getattr(token, "token_infos", None) or ():
        key = info.key.lower()
        if any(word in key for word in ("retr", "tries", "attempt")):
            return f"{info.key}: {info.value}"
    return None


class LoginStep(StepPanel):
    """Log in to the software token; a wrong PIN says how many tries the token has left."""

    STEP = 5

    DEFAULT_CSS = """
    LoginStep Input { width: 40; }
    LoginStep #login-token { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(_("The software token holds the server's keys. It is logged out after "
                       "every restart of xroad-signer; keys and CSRs can only be made while it is "
                       "logged in."), classes="intro")
        yield Static(self._token_text(self.state.token), id="login-token")
        yield Label(_("Software token PIN"), classes="field-label")
        yield Input(password=True, id="login-pin", placeholder=_("not shown as you type"))
        with Horizontal(classes="actions"):
            yield self.action_button(_("Log in"), "login-send")
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def on_mount(self) -> None:
        self._apply_token(self.state.token)
        self.query_one("#login-pin", Input).focus()

    def _token_text(self, token: Any) -> Content:
        if token is None:
            return Content(_("The server reported no software token."))
        parts: list[str | tuple[str, str]] = [
            (_("Token") + "  ", "$text-muted"), (token.name, "bold"), "  ",
            (_("status") + " ", "$text-muted"), (token.status, "bold")]
        explanation = PIN_STATES.get(token.status)
        if explanation:
            parts += ["\n", (_(explanation), "bold $text-warning")]
        left = tries_left(token)
        if left:
            parts += ["\n", (left, "bold")]
        return Content.assemble(*parts)

    def _apply_token(self, token: Any) -> None:
        self.query_one("#login-token", Static).update(self._token_text(token))
        locked = token is not None and token.status == "USER_PIN_LOCKED"
        self.query_one("#login-send", Button).disabled = self.read_only or locked
        self.query_one("#login-pin", Input).disabled = locked

    @on(Input.Submitted, "#login-pin")
    @on(Button.Pressed, "#login-send")
    def _login_pressed(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self.read_only:
            self.show_problem(_("Read-only mode"), _("Nothing is sent in read-only mode."))
            return
        pin_input = self.query_one("#login-pin", Input)
        if not pin_input.value:
            self.show_problem(_("No PIN"), _("Type the software token's PIN."))
            return
        pin, pin_input.value = Secret(pin_input.value), ""
        self.login(pin)

    @work(exclusive=True, group="setup-login", exit_on_error=False)
    async def login(self, pin: Secret) -> None:
        self.clear_problem()
        self.busy(True, "login-send")
        try:
            await self.client.keys.login(pin)
        except Exception as error:  # said in words, with what the token says now
            self.show_error(error)
            self.busy(False, "login-send")
            if isinstance(error, ApiError):
                with contextlib.suppress(Exception):  # the PIN error above says enough
                    self._apply_token(await self.client.keys.token())
            return
        self.note(_("Logged in."))
        self.post_message(self.Completed())
