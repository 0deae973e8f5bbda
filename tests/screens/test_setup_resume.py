"""Where the wizard opens, and where it resumes: always where the server is, never from a file."""

from __future__ import annotations

from pathlib import Path

from screen_support import SIZE, dashboard_loaded, until_screen
from setup_support import (
    PIN,
    at_step,
    fill,
    open_at,
    owner_and_pin,
    screen_text,
    text_of,
    to_step,
    type_path,
    until,
    wizard_app,
    write,
)
from textual.widgets import Button

from backend.sandbox.state import SandboxState
from console.commands import kapka_commands
from screens.dashboard import DashboardScreen
from screens.help import HelpScreen
from screens.setup.step_base import read_only_reason
from screens.setup.wizard import SetupWizardScreen


async def quit_app(pilot) -> None:
    await pilot.press("ctrl+q")


async def test_the_wizard_opens_by_itself_only_on_a_server_not_initialised(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        await at_step(pilot, 1)
        assert "setup: open wizard" in [command.name for command in kapka_commands(app)]
        await pilot.press("escape")  # out to the dashboard; the server keeps what is done
        await dashboard_loaded(pilot)
        assert "s Setup" in screen_text(app)
        await pilot.press("s")
        await at_step(pilot, 1)
        await pilot.press("f1")  # ? would go into the path being typed
        help_screen = await until_screen(pilot, HelpScreen)
        ids = {row.binding_id for row in help_screen.rows}
        assert {"setup.back", "setup.reread"} <= ids
    to_step(state, 4)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await pilot.pause(0.3)
        assert isinstance(app.screen, DashboardScreen)  # initialised: the dashboard first
        await pilot.press("s")
        await at_step(pilot, 4)


async def test_quitting_after_each_step_resumes_at_the_next(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    anchor = write(tmp_path / "home" / "anchor.xml", state.central.anchor)

    app = wizard_app(state, config, secrets)  # 1 → quit
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 1)
        await type_path(pilot, anchor)
        await until(pilot, lambda: panel.has_class("-previewed"), "preview")
        await pilot.press("space", "tab", "enter")
        await at_step(pilot, 2)
        await quit_app(pilot)

    app = wizard_app(state, config, secrets)  # 2 and 3 (one request) → quit
    async with app.run_test(size=SIZE) as pilot:
        await owner_and_pin(pilot)
        await pilot.press("enter")
        await at_step(pilot, 4)
        await quit_app(pilot)

    app = wizard_app(state, config, secrets)  # 4 → quit
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 4)
        await until(pilot, lambda: panel.services, "services")
        names = [service.name for service in panel.services]
        await pilot.press(*["down"] * names.index("Kapka Sandbox TSA"), "enter", "tab", "enter")
        await at_step(pilot, 6)  # the token is still logged in
        await quit_app(pilot)

    restarted = SandboxState.open(state.data_dir)  # a restarted signer: the token logged out
    try:
        app = wizard_app(restarted, config, secrets)  # 5 → quit
        async with app.run_test(size=SIZE) as pilot:
            panel = await open_at(pilot, 5)
            await fill(pilot, "#login-pin", PIN, enter=True)
            await at_step(pilot, 6)
            await quit_app(pilot)
        restarted.generate_key("auth")  # a key without a CSR is not progress
        app = wizard_app(restarted, config, secrets)
        async with app.run_test(size=SIZE) as pilot:
            panel = await open_at(pilot, 6)
            assert panel.usage == "AUTHENTICATION"
    finally:
        restarted.close()


async def test_resuming_in_the_middle_of_the_keys_and_certificates(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 6)
    key = state.generate_key("auth")
    state.create_csr(key, "AUTHENTICATION")  # the authentication CSR was made, then quit
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 6)
        assert panel.usage == "SIGNING"  # resumes with the signing key
        assert "Step 6 of 11" in app.screen.progress_text


async def test_read_only_mode_shows_the_state_and_says_why_nothing_can_change(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    anchor = write(tmp_path / "home" / "anchor.xml", state.central.anchor)
    app = wizard_app(state, config, secrets, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 1)
        assert "Read-only mode" in text_of(app.screen.query_one("#setup-progress"))
        await type_path(pilot, anchor)
        await until(pilot, lambda: panel.has_class("-previewed"), "preview (reads only)")
        await pilot.press("space")
        upload = panel.query_one("#anchor-upload", Button)
        assert upload.disabled
        assert read_only_reason() in screen_text(app).replace("\n", " ") or read_only_reason() in \
            text_of(panel.query_one(".disabled-reason"))
    assert not state.server_conf()["anchor_imported"]
    to_step(state, 4)
    app = wizard_app(state, config, secrets, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 4)
        await until(pilot, lambda: panel.services, "services")
        await pilot.press("enter")
        assert panel.chosen is not None
        assert panel.query_one("#tsa-add", Button).disabled
        assert "read-only" in text_of(panel.query_one(".disabled-reason"))
        assert isinstance(app.screen, SetupWizardScreen)
    assert state.timestamping_services() == []
