"""The connect screen: paste a key or create one, file trust, refusals; nothing half-saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from screen_support import (
    ADMIN_PASSWORD,
    SIZE,
    api_key,
    asgi,
    make_app,
    make_connector,
    self_signed,
    set_input,
    until_screen,
    wait_for,
)
from textual.widgets import Button, RadioButton

from console import paths
from console.config import Config
from screens.connect import ConnectScreen
from screens.dashboard import DashboardScreen
from screens.help import HelpScreen

URL = "https://127.0.0.1:4000/api/v1"


@pytest.fixture
def certificate_file(tmp_path: Path) -> Path:
    """The server's certificate file, for "file" trust (the in-process transport does no TLS)."""
    cert, _key = self_signed("127.0.0.1", tmp_path, "server")
    return cert


async def fill_file_trust(pilot, screen: ConnectScreen, certificate: Path) -> None:
    """Choose "certificate file" with the keyboard, as an operator without a mouse would."""
    screen.query_one("#trust-mode").focus()
    await pilot.press("up", "enter")  # from the chosen option up to the first: certificate file
    await pilot.pause()
    assert screen.trust_mode == "file"
    set_input(screen, "#certificate-path", str(certificate))


async def press_connect(pilot, screen: ConnectScreen) -> None:
    screen.query_one("#connect", Button).focus()
    await pilot.press("enter")


def nothing_saved(config: Config, secrets) -> bool:
    """No configuration file, no key in the store, no pinned (or pending) certificate."""
    trust = paths.trust_dir()
    pinned = list(trust.iterdir()) if trust.exists() else []
    return (not config.path.exists() and secrets.get_api_key("profile/default") is None
            and not pinned)


async def test_first_start_shows_the_connect_screen_and_a_pasted_key_connects(
        initialised, config, secrets, journal, certificate_file) -> None:
    key = api_key(initialised.state)
    connector = make_connector(config, secrets, journal, transport=lambda: asgi(initialised.state))
    app = make_app(connector, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        assert "Kapka encrypted file" in str(screen.query_one("#secret-backend").render())
        await fill_file_trust(pilot, screen, certificate_file)
        set_input(screen, "#url", URL)
        set_input(screen, "#api-key", key)
        await press_connect(pilot, screen)
        dashboard = await until_screen(pilot, DashboardScreen)
        await wait_for(pilot, lambda: dashboard.loads >= 1)
        assert dashboard.section("tokens").rows[0][0] == "softToken-0"
        assert app.profile is not None and app.profile.name == "default"
        assert app.header_info.profile == "default"

    saved = Config.load(config.path)
    profile = saved.profile()
    assert profile is not None and profile.name == "default" and profile.trust == "file"
    assert profile.certificate == str(certificate_file)
    assert profile.api_key_ref == "profile/default"
    assert key not in config.path.read_text()
    assert secrets.get_api_key("profile/default").reveal() == key
    assert any(record.get("action") == "profile.saved" for record in journal.tail(10))


async def test_plain_http_is_refused_with_a_clear_message(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets, transport=lambda: asgi(sandbox)), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        set_input(screen, "#url", "http://localhost:4000/api/v1")
        set_input(screen, "#api-key", "anything")
        await press_connect(pilot, screen)
        problem = screen.query_one("#url-problem")
        await wait_for(pilot, lambda: problem.has_class("-shown"), what="url problem")
        assert "plain HTTP" in str(problem.render())
        assert app.focused is screen.query_one("#url")
        assert isinstance(app.screen, ConnectScreen)
    assert nothing_saved(config, secrets)


async def test_a_wrong_pasted_key_is_refused_and_nothing_is_saved(
        sandbox, config, secrets, journal, certificate_file) -> None:
    connector = make_connector(config, secrets, journal, transport=lambda: asgi(sandbox))
    app = make_app(connector, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        await fill_file_trust(pilot, screen, certificate_file)
        set_input(screen, "#url", URL)
        set_input(screen, "#api-key", "0000-not-a-key")
        await press_connect(pilot, screen)
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible, what="error panel")
        assert panel.error_title == "Not authenticated"
        assert "API key" in panel.error_message
        assert isinstance(app.screen, ConnectScreen)
    assert nothing_saved(config, secrets)
    assert not journal.tail(5)


async def test_a_key_created_with_the_linux_password_connects(
        sandbox, config, secrets, journal, certificate_file) -> None:
    connector = make_connector(config, secrets, journal, transport=lambda: asgi(sandbox))
    app = make_app(connector, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        await fill_file_trust(pilot, screen, certificate_file)
        set_input(screen, "#url", URL)
        await pilot.press("ctrl+k")  # create a key
        assert screen.key_mode == "create"
        assert screen.query_one("#roles").selected == [
            "XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER",
            "XROAD_SERVICE_ADMINISTRATOR", "XROAD_SYSTEM_ADMINISTRATOR",
            "XROAD_SECURITYSERVER_OBSERVER"]
        set_input(screen, "#username", "admin")
        set_input(screen, "#password", ADMIN_PASSWORD)
        await press_connect(pilot, screen)
        await until_screen(pilot, DashboardScreen)

    stored = secrets.get_api_key("profile/default")
    assert stored is not None
    record = sandbox.api_key_for(stored.reveal())
    assert record is not None and len(record.roles) == 5
    assert len(sandbox.api_keys()) == 1
    assert Config.load(config.path).profile("default").username == "admin"
    writes = [r for r in journal.tail(10) if r["kind"] == "write"]
    assert writes and writes[0]["path"] == "/api-keys" and writes[0]["outcome"] == "ok"
    assert ADMIN_PASSWORD not in journal.path.read_text()


async def test_a_wrong_password_is_a_clear_message(sandbox, config, secrets,
                                                   certificate_file) -> None:
    app = make_app(make_connector(config, secrets, transport=lambda: asgi(sandbox)), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        await fill_file_trust(pilot, screen, certificate_file)
        set_input(screen, "#url", URL)
        await pilot.press("ctrl+k")
        set_input(screen, "#username", "admin")
        set_input(screen, "#password", "wrong")
        await press_connect(pilot, screen)
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible, what="error panel")
        assert "did not accept user admin" in panel.error_message
        assert screen.query_one("#password").value == ""  # used once, then forgotten
    assert nothing_saved(config, secrets)
    assert sandbox.api_keys() == []


async def test_creating_a_key_is_only_for_localhost(sandbox, config, secrets,
                                                    certificate_file) -> None:
    app = make_app(make_connector(config, secrets, transport=lambda: asgi(sandbox)), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        await fill_file_trust(pilot, screen, certificate_file)
        set_input(screen, "#url", "https://ss1.example.kg:4000/api/v1")
        await pilot.press("ctrl+k")
        set_input(screen, "#username", "admin")
        set_input(screen, "#password", ADMIN_PASSWORD)
        await press_connect(pilot, screen)
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible, what="error panel")
        assert panel.error_title == "Only on localhost"
    assert sandbox.api_keys() == []


async def test_missing_fields_are_explained_next_to_the_field(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets, transport=lambda: asgi(sandbox)), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        assert screen.trust_mode == "pinned"  # no certificate file on this host
        await press_connect(pilot, screen)
        problem = screen.query_one("#probe-problem")
        await wait_for(pilot, lambda: problem.has_class("-shown"))
        assert "Read the server's certificate first" in str(problem.render())

        screen.query_one("#trust-file", RadioButton).value = True
        await pilot.pause()
        set_input(screen, "#certificate-path", "/nonexistent/proxy-ui-api.crt")
        await press_connect(pilot, screen)
        problem = screen.query_one("#certificate-path-problem")
        await wait_for(pilot, lambda: problem.has_class("-shown"))
        assert "There is no file /nonexistent/proxy-ui-api.crt" in str(problem.render())
    assert nothing_saved(config, secrets)


async def test_read_only_mode_offers_no_key_creation(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets, transport=lambda: asgi(sandbox),
                                  read_only=True), config, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        assert screen.query_one("#key-create", RadioButton).disabled
        assert screen.check_action("create_key", ()) is None  # shown dimmed, does nothing
        await pilot.press("ctrl+k")
        assert screen.key_mode == "paste"
        assert "read-only" in app.screen.query_one("ServerHeader").plain_text()
        await pilot.press("f1")  # ? would be typed into the focused input
        help_screen = await until_screen(pilot, HelpScreen)
        row = next(r for r in help_screen.rows if r.binding_id == "connect.create_key")
        assert row.state == "disabled: read-only"
