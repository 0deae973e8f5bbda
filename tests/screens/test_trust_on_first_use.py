"""Trust on first use over real TLS on loopback: probe, compare, pin; a changed certificate."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from screen_support import (
    ADMIN_PASSWORD,
    SIZE,
    make_app,
    make_connector,
    self_signed,
    set_input,
    until_screen,
    wait_for,
)
from textual.widgets import Button, Checkbox

from backend.api.credentials import Secret
from backend.api.models import ROLES
from backend.api.trust import ServerCertificate
from backend.sandbox.server import SandboxInfo, SandboxServer
from backend.sandbox.state import SandboxState
from console import paths
from console.config import Config, Profile
from screens.connect import ConnectScreen
from screens.dashboard import DashboardScreen
from screens.widgets.fingerprint import fingerprint_lines

pytestmark = pytest.mark.tls


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxInfo, str]]:
    data_dir = tmp_path_factory.mktemp("tls-sandbox")
    state = SandboxState.open(data_dir, admin_password=ADMIN_PASSWORD)
    _key_id, key = state.create_api_key(list(ROLES))
    state.close()
    server = SandboxServer(data_dir, admin_password=ADMIN_PASSWORD)
    try:
        yield server.start(), key
    finally:
        server.stop()


def der_of(path: Path) -> bytes:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(Encoding.DER)


def served_fingerprint(info: SandboxInfo) -> str:
    return ServerCertificate.from_der(der_of(info.certificate_path)).fingerprint


async def test_the_fingerprint_is_shown_confirmed_and_pinned(tls_sandbox, config, secrets,
                                                             journal) -> None:
    info, key = tls_sandbox
    app = make_app(make_connector(config, secrets, journal), config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        assert screen.trust_mode == "pinned"
        set_input(screen, "#url", info.base_url)
        screen.query_one("#probe", Button).focus()
        await pilot.press("enter")
        confirmed = screen.query_one("#fingerprint-confirmed", Checkbox)
        await wait_for(pilot, lambda: app.focused is confirmed, what="probe")
        fingerprint = served_fingerprint(info)
        shown = str(screen.query_one("#fingerprint").render())
        assert shown.splitlines() == fingerprint_lines(fingerprint)
        assert "openssl x509 -noout -fingerprint -sha256 -in /etc/xroad/ssl/proxy-ui-api.crt" in \
            str(screen.query_one("#compare-command").render())
        assert "Subject" in str(screen.query_one("#certificate-details").render())

        set_input(screen, "#api-key", key)
        screen.query_one("#connect", Button).focus()
        await pilot.press("enter")  # not confirmed yet: refused
        problem = screen.query_one("#probe-problem")
        await wait_for(pilot, lambda: problem.has_class("-shown"), what="problem")
        assert "tick the box" in str(problem.render())

        confirmed.focus()
        await pilot.press("space")
        assert confirmed.value
        screen.query_one("#connect", Button).focus()
        await pilot.press("enter")
        dashboard = await until_screen(pilot, DashboardScreen)
        await wait_for(pilot, lambda: dashboard.loads >= 1)
        assert dashboard.section("tokens").rows

    profile = Config.load(config.path).profile("default")
    assert profile is not None and profile.trust == "pinned"
    assert profile.fingerprint == fingerprint
    pinned = Path(profile.certificate)
    assert pinned == paths.trust_file("default")
    assert stat.S_IMODE(pinned.stat().st_mode) == 0o600
    assert [p.name for p in paths.trust_dir().iterdir()] == ["default.pem"]  # no pending file
    assert any(r.get("action") == "certificate.pinned" for r in journal.tail(10))


async def test_a_changed_certificate_is_refused_with_a_clear_message(
        tls_sandbox, config, secrets, tmp_path: Path) -> None:
    info, key = tls_sandbox
    # the profile pinned another certificate than the one this URL presents now
    other, _other_key = self_signed("127.0.0.1", tmp_path, "old-server")
    old = ServerCertificate.from_der(der_of(other))
    connector = make_connector(config, secrets)
    path, fingerprint = connector.pin("prod", old)
    connector.save_profile(Profile(name="prod", url=info.base_url, trust="pinned",
                                   certificate=path, fingerprint=fingerprint), Secret(key))
    app = make_app(connector, config, profile_name="prod")
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_screen(pilot, ConnectScreen)
        panel = screen.query_one("#connect-error")
        await wait_for(pilot, lambda: panel.visible)
        assert panel.error_title == "Server certificate changed"
        assert old.fingerprint in panel.error_message
        assert served_fingerprint(info) in panel.error_message
        assert "refuses to send the API key" in panel.error_message
        assert app.server is None

        # reading the certificate again says plainly that it is not the pinned one
        screen.query_one("#probe", Button).focus()
        await pilot.press("enter")
        warning = screen.query_one("#fingerprint-warning")
        await wait_for(pilot, lambda: warning.has_class("-shown"), what="warning")
        assert "NOT the certificate this profile pinned" in str(warning.render())
    assert Config.load(config.path).profile("prod").fingerprint == old.fingerprint

