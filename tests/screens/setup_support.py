"""Helpers for the setup wizard's screen tests: the app on a sandbox, waiting for steps, files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from screen_support import api_key, asgi, client_for, make_app, make_connector, wait_for
from textual.pilot import Pilot

from backend.sandbox.state import SandboxState
from screens.setup.wizard import SetupWizardScreen


def wizard_app(state: SandboxState, config: Any, secrets: Any, *, read_only: bool = False,
               journal: Any = None) -> Any:
    """The console on ``state`` as after connecting: the wizard opens while not initialised."""
    client = client_for(asgi(state), api_key(state))
    client.transport.read_only = read_only
    return make_app(make_connector(config, secrets, journal, read_only=read_only), config,
                    client=client, profile_label="sandbox", read_only=read_only,
                    setup_wizard=True)


async def at_step(pilot: Pilot[Any], number: int, timeout: float = 10.0) -> Any:
    """Wait until the wizard shows step ``number`` (12: done) and return its panel."""
    app = pilot.app

    def shown() -> bool:
        screen = app.screen
        return (isinstance(screen, SetupWizardScreen) and screen.shown == number
                and screen.panel is not None and number == screen.panel.STEP
                and screen.panel.is_mounted and screen.panel.is_attached)

    try:
        await wait_for(pilot, shown, timeout, f"step {number}")
    except AssertionError as error:  # say what the screen shows instead
        raise AssertionError(f"{error}; the screen shows:\n{screen_text(app)}") from None
    await pilot.pause()
    return app.screen.panel


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# -- the sandbox's side -------------------------------------------------------------------------

PIN = "Tunduk-PIN-2024"
OWNER_ID = "SANDBOX-KG:GOV:70000001"


async def type_path(pilot: Pilot[Any], path: Path) -> None:
    """Type a path into the step's file picker and press enter."""
    field = pilot.app.screen.panel.query_one("#picker-path")
    field.value = str(path)
    field.focus()
    await pilot.press("enter")


def sign_csr_file(state: SandboxState, csr: Path, out: Path, *extra: str) -> Path:
    """``kapka sandbox ca sign CSR -o OUT`` in-process, as the CA would answer the operator."""
    from console.cli import main

    assert main(["sandbox", "ca", "sign", str(csr), "-o", str(out), "--data",
                 str(state.data_dir), *extra]) == 0
    return out


async def until(pilot: Pilot[Any], condition: Any, what: str, timeout: float = 10.0) -> None:
    """``wait_for``, saying what the screen shows when it times out."""
    try:
        await wait_for(pilot, condition, timeout, what)
    except AssertionError as error:
        panel = getattr(pilot.app.screen, "panel", None)
        problem = getattr(panel, "problem_text", "")
        raise AssertionError(f"{error}; problem: {problem!r}; the screen shows:\n"
                             f"{screen_text(pilot.app)}") from None


def to_step(state: SandboxState, step: int, *, approve: bool = True) -> dict[str, str]:
    """Do on the sandbox itself what the wizard's steps before ``step`` do; the ids made."""
    from backend.sandbox import centralserver
    from backend.sandbox.ca import SandboxCA

    ids: dict[str, str] = {}
    if step > 1:
        state.import_own_anchor()
    if step > 3:
        state.initialize("GOV", "70000001", "SS1", PIN)  # logs the token in
    if step > 4:
        state.add_timestamping_service("Kapka Sandbox TSA")
    if step > 6:
        ids["auth_key"] = state.generate_key("auth")
        ids["auth_csr"] = state.create_csr(ids["auth_key"], "AUTHENTICATION")
        ids["sign_key"] = state.generate_key("sign")
        ids["sign_csr"] = state.create_csr(ids["sign_key"], "SIGNING", OWNER_ID)
    if step > 8:
        authority = SandboxCA.open(state.data_dir)
        try:
            for usage in ("auth", "sign"):
                csr, _name = state.csr_file(ids[f"{usage}_key"], ids[f"{usage}_csr"], "DER")
                cert = authority.sign(csr)
                ids[f"{usage}_hash"] = state.import_certificate(cert.public_bytes(
                    serialization.Encoding.PEM))
        finally:
            authority.close()
    if step > 9:
        state.activate_certificate(ids["auth_hash"])
        centralserver.set_request_delay(state, 0 if approve else None)
        state.register_certificate(ids["auth_hash"], "ss1.example.kg")
    return ids


def csr_pem(state: SandboxState, key_id: str, csr_id: str) -> bytes:
    return state.csr_file(key_id, csr_id, "PEM")[0]


async def open_at(pilot: Pilot[Any], step: int) -> Any:
    """The wizard at ``step``: it opens by itself on a server that is not initialised; on an
    initialised one the operator presses s on the dashboard."""
    from screen_support import dashboard_loaded

    if step > 3:
        await dashboard_loaded(pilot)
        await pilot.press("s")
    if step == 8:  # the server cannot see that the CSRs went out: step 7 comes first
        panel = await at_step(pilot, 7)
        if not panel.state.auth.certificate and not panel.state.sign.certificate:
            panel.query_one("#export-next").press()
    return await at_step(pilot, step)


def text_of(widget: Any) -> str:
    """A widget's text as shown, also when it is scrolled out of view."""
    rendered = widget.render()
    return getattr(rendered, "plain", None) or str(rendered)


async def fill(pilot: Pilot[Any], selector: str, value: str, *, enter: bool = False) -> None:
    """Put ``value`` into a field of the current step (faster than typing it key by key)."""
    from textual.widgets import Input

    field = pilot.app.screen.panel.query_one(selector, Input)
    field.focus()
    field.value = value
    await pilot.pause()
    if enter:
        await pilot.press("enter")


async def owner_and_pin(pilot: Pilot[Any], code: str = "70000001", server: str = "SS1",
                        pin: str | None = PIN) -> Any:
    """Step 2 with GOV, then step 3 with the PIN entered twice (not sent); the PIN step."""
    panel = await at_step(pilot, 2)
    await until(pilot, lambda: panel.member_classes, "member classes")
    await pilot.press("down", "enter")
    await fill(pilot, "#owner-code", code)
    await fill(pilot, "#server-code", server, enter=True)
    panel = await at_step(pilot, 3)
    if pin is not None:
        await fill(pilot, "#pin-first", pin)
        await fill(pilot, "#pin-again", pin)
    return panel
