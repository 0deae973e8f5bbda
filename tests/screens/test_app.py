"""The app shell: start-up paths, keys, help, palette, themes, read-only, NO_COLOR, errors."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from screen_support import (
    FAST_KDF,
    PASSPHRASE,
    SIZE,
    api_key,
    asgi,
    client_for,
    dashboard_loaded,
    make_app,
    make_connector,
    self_signed,
    set_input,
    until_screen,
    wait_for,
)
from textual.widgets import Button, Input

from backend.api.credentials import Secret
from backend.api.writes import WriteRequest
from console.app import DARK_THEME, LIGHT_THEME, KapkaApp, load_themes, themes_dir
from console.commands import kapka_commands
from console.config import Config, Profile
from console.secrets import SecretStore
from screens.connect import ConnectScreen
from screens.dashboard import DashboardScreen
from screens.help import HelpScreen
from screens.passphrase import PassphraseScreen
from screens.widgets.confirm import ConfirmDialog


def saved_profile(config: Config, secrets: SecretStore, key: str, tmp_path,
                  name: str = "prod") -> Profile:
    """A profile trusting a certificate file (the in-process transport does no TLS)."""
    cert, _ = self_signed("127.0.0.1", tmp_path, f"{name}-server")
    profile = Profile(name=name, url="https://127.0.0.1:4000/api/v1", trust="file",
                      certificate=str(cert))
    make_connector(config, secrets).save_profile(profile, Secret(key))
    return config.profile(name)


# -- start-up -----------------------------------------------------------------------------------

async def test_q_quits_with_0(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await pilot.press("q")
    assert app.return_code == 0 and app.return_value == 0


async def test_ctrl_q_quits_with_0_even_while_typing(config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        assert isinstance(app.focused, Input)
        await pilot.press("q")  # typed into the URL field, not a quit
        assert app.is_running and screen.query_one("#url", Input).value.endswith("q")
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_a_saved_profile_connects_at_start(initialised, config, secrets, tmp_path) -> None:
    key = api_key(initialised.state)
    saved_profile(config, secrets, key, tmp_path)
    connector = make_connector(config, secrets, transport=lambda: asgi(initialised.state))
    app = make_app(connector, config)
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert dashboard.section("tokens").rows
        assert app.header_info.profile == "prod" and app.header_info.state == "connected"
        assert app.header_info.version and app.header_info.version.startswith("7.")


async def test_a_locked_secrets_file_asks_for_the_passphrase(initialised, config, secrets,
                                                             tmp_path) -> None:
    key = api_key(initialised.state)
    saved_profile(config, secrets, key, tmp_path)
    locked = SecretStore(file_path=secrets.file_path, prefer="file", kdf=FAST_KDF)
    assert locked.needs_unlock
    connector = make_connector(config, locked, transport=lambda: asgi(initialised.state))
    app = make_app(connector, config)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await until_screen(pilot, PassphraseScreen)
        passphrase = prompt.query_one("#passphrase", Input)
        assert passphrase.password  # never echoed
        await pilot.press(*"wrong", "enter")  # typed, as over SSH
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen)
                       and app.screen is not prompt, what="second prompt")
        assert "passphrase" in str(app.screen.query_one("#passphrase-error").render()).lower()
        assert locked.needs_unlock
        set_input(app.screen, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await dashboard_loaded(pilot)
    assert not locked.needs_unlock


async def test_a_wrong_key_at_start_shows_the_connect_screen_and_retry_works(
        initialised, config, secrets, tmp_path) -> None:
    saved_profile(config, secrets, "revoked-key", tmp_path)
    connector = make_connector(config, secrets, transport=lambda: asgi(initialised.state))
    app = make_app(connector, config, profile_name="prod")
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible)
        assert panel.error_title == "Not authenticated"
        assert "API key" in panel.error_message
        assert screen.query_one("#profile-name", Input).value == "prod"
        assert app.header_info.state == "failed"
        assert app.focused is screen.query_one("#error-retry", Button)

        secrets.set_api_key("profile/prod", api_key(initialised.state))
        await pilot.press("enter")  # Retry
        await dashboard_loaded(pilot)


async def test_a_profile_without_a_stored_key_is_explained(config, tmp_path) -> None:
    cert, _ = self_signed("127.0.0.1", tmp_path, "server")
    config.upsert_profile(Profile(name="prod", url="https://127.0.0.1:4000/api/v1", trust="file",
                                  certificate=str(cert), api_key_ref="profile/prod"))
    store = SecretStore(file_path=tmp_path / "none.kapka", prefer="file", kdf=FAST_KDF)
    app = make_app(make_connector(config, store), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)  # no passphrase prompt for no file
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible)
        assert panel.error_title == "API key missing"
        assert "paste or create one" in panel.error_message


async def test_an_unknown_profile_is_explained(config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config, profile_name="nope")
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        panel = screen.query_one("#connect-error")
        assert panel.visible and panel.error_title == "Unknown profile"
        assert "nope" in panel.error_message


async def test_switching_profile_opens_the_connect_screen_and_escape_goes_back(
        sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        await pilot.press("c")
        connect = await until_screen(pilot, ConnectScreen)
        assert connect.query_one("#back", Button)
        await pilot.press("escape")
        await until_screen(pilot, DashboardScreen)
        assert app.screen is dashboard


async def test_a_new_profile_from_the_dashboard_replaces_the_connection(
        initialised, config, secrets, tmp_path) -> None:
    sandbox_client = client_for(asgi(initialised.state), api_key(initialised.state))
    connector = make_connector(config, secrets, transport=lambda: asgi(initialised.state))
    app = make_app(connector, config, client=sandbox_client, profile_label="sandbox")
    cert, _ = self_signed("127.0.0.1", tmp_path, "server")
    async with app.run_test(size=SIZE) as pilot:
        first = await dashboard_loaded(pilot)
        await pilot.press("c")
        connect = await until_screen(pilot, ConnectScreen)
        connect.query_one("#trust-file").value = True
        set_input(connect, "#certificate-path", str(cert))
        set_input(connect, "#url", "https://127.0.0.1:4000/api/v1")
        set_input(connect, "#profile-name", "ss1")
        set_input(connect, "#api-key", api_key(initialised.state))
        connect.query_one("#connect", Button).press()
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen)
                       and app.screen is not first, what="the new dashboard")
        assert len(app.screen_stack) == 2  # the connect screen is gone, not stacked
        assert app.server is not sandbox_client and app.header_info.profile == "ss1"
        await dashboard_loaded(pilot)
    assert Config.load(config.path).default_profile == "ss1"


# -- keys, help, palette ------------------------------------------------------------------------

async def test_help_lists_every_binding_of_the_screen_and_the_app(sandbox, config,
                                                                  secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await pilot.press("question_mark")
        help_screen = await until_screen(pilot, HelpScreen)
        ids = {row.binding_id: row for row in help_screen.rows}
        for binding_id in ("dashboard.refresh", "app.quit", "app.quit_now", "app.help",
                           "app.connect", "app.theme", "app.command_palette"):
            assert binding_id in ids, binding_id
        assert ids["dashboard.refresh"].key == "r" and ids["dashboard.refresh"].scope == \
            "Dashboard"
        assert ids["app.help"].key == "?, f1"
        table = help_screen.query_one("#help-table")
        assert table.row_count == len(help_screen.rows) + 2  # plus a heading per scope
        await pilot.press("escape")
        await until_screen(pilot, DashboardScreen)


async def test_the_keymap_from_the_configuration_rebinds_keys(sandbox, config, secrets) -> None:
    config.keymap = {"dashboard.refresh": "f5"}
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        await pilot.press("r")
        await pilot.pause(0.2)
        assert dashboard.loads == 1
        await pilot.press("f5")
        await dashboard_loaded(pilot, loads=2)
        await pilot.press("f1")
        help_screen = await until_screen(pilot, HelpScreen)
        row = next(r for r in help_screen.rows if r.binding_id == "dashboard.refresh")
        assert row.key == "f5"


async def test_the_command_palette_runs_kapka_commands(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        names = [command.name for command in kapka_commands(app)]
        assert "dashboard: refresh" in names and "app: help" in names
        assert all(": " in name for name in names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"refresh")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await dashboard_loaded(pilot, loads=2)
        assert app.screen is dashboard


async def test_read_only_lists_nothing_dangerous(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets, read_only=True), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox",
                   read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        assert app.read_only
        commands = kapka_commands(app)
        assert not [c for c in commands if c.dangerous]
        assert "connection: create an API key with a password" not in [c.name for c in commands]
        assert "read-only" in app.screen.query_one("ServerHeader").plain_text()
    writable = make_app(make_connector(config, secrets), config,
                        client=client_for(asgi(sandbox), api_key(sandbox)))
    async with writable.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        assert [c.name for c in kapka_commands(writable) if c.dangerous] == [
            "connection: create an API key with a password"]


# -- themes ---------------------------------------------------------------------------------------

def test_the_themes_are_defined_in_the_themes_folder() -> None:
    assert (themes_dir() / "kapka.tcss").is_file()
    themes = {theme.name: theme for theme in load_themes()}
    assert set(themes) == {DARK_THEME, LIGHT_THEME}
    assert themes[DARK_THEME].dark and not themes[LIGHT_THEME].dark
    css = (themes_dir() / "kapka.tcss").read_text()
    assert not re.search(r"#[0-9A-Fa-f]{3,8}\b", css)  # colours only through $variables
    assert "$error" in css


async def test_the_theme_switch_applies_and_is_saved(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        assert app.theme == DARK_THEME
        await pilot.press("ctrl+t")
        assert app.theme == LIGHT_THEME and app.current_theme.dark is False
        assert Config.load(config.path).theme == LIGHT_THEME
        next(c for c in kapka_commands(app) if c.name == "theme: dark").callback()
        assert app.theme == DARK_THEME


async def test_an_unknown_theme_in_the_configuration_falls_back(sandbox, config,
                                                                secrets) -> None:
    config.theme = "no-such-theme"
    app = make_app(make_connector(config, secrets), config)
    async with app.run_test(size=SIZE) as pilot:
        await until_screen(pilot, ConnectScreen)
        assert app.theme == DARK_THEME


async def test_no_color_at_80x24_renders(initialised, config, secrets,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(initialised.state), api_key(initialised.state)),
                   profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert app.no_color
        assert dashboard.section("certificates").rows[0][0] == "10 days !!"
        svg = app.export_screenshot()
        assert "Dashboard" in svg and "Initialisation" in svg
        await pilot.press("ctrl+t")
        await pilot.press("question_mark")
        await until_screen(pilot, HelpScreen)


# -- errors and confirmations -------------------------------------------------------------------

async def test_an_unexpected_worker_error_is_a_toast_with_a_title(
        config, secrets, monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the transport broke")

    app = make_app(make_connector(config, secrets), config,
                   client=client_for(httpx.MockTransport(handler), "k"), profile_label="x")
    toasts: list[dict[str, Any]] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: toasts.append({"message": message,
                                                                            **kw}))
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await wait_for(pilot, lambda: toasts, what="toast")
        assert app.is_running
    assert toasts[0]["title"] == "Unexpected error" and toasts[0]["severity"] == "error"
    assert "RuntimeError: the transport broke" in toasts[0]["message"]


async def test_dangerous_writes_ask_first_with_cancel_focused(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), api_key(sandbox)), profile_label="sandbox")
    answers: list[bool] = []
    request = WriteRequest(method="DELETE", path="/tokens/0/keys/abc",
                           summary="Delete key abc and its certificates", dangerous=True)

    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)

        async def ask() -> None:
            answers.append(await app.confirm_write(request))

        app.run_worker(ask(), exit_on_error=False)
        dialog = await until_screen(pilot, ConfirmDialog)
        assert app.focused is dialog.query_one("#cancel", Button)
        assert "Delete key abc and its certificates" in str(
            dialog.query_one("#confirm-effect").render())
        assert dialog.query_one("#confirm", Button).disabled  # irreversible: type to confirm
        await pilot.press("enter")
        await wait_for(pilot, lambda: answers, what="answer")
        assert answers == [False]

        app.run_worker(ask(), exit_on_error=False)
        dialog = await until_screen(pilot, ConfirmDialog)
        set_input(dialog, "#confirm-ack", "delete")
        await pilot.pause()
        assert not dialog.query_one("#confirm", Button).disabled
        dialog.query_one("#confirm", Button).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(answers) == 2, what="answer")
        assert answers == [False, True]


def test_the_app_takes_the_leads_arguments(config, secrets) -> None:
    app = KapkaApp(connector=make_connector(config, secrets), config=config, profile_name=None,
                   client=None, profile_label=None, read_only=False)
    assert app.server is None and not app.read_only
