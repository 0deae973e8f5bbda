"""The dashboard against the in-process sandbox, and against servers that fail."""

from __future__ import annotations

import httpx
import pytest
from screen_support import (
    SIZE,
    Initialised,
    api_key,
    asgi,
    client_for,
    dashboard_loaded,
    make_app,
    make_connector,
    wait_for,
)

from backend.api.models import ROLES
from screens.dashboard import DashboardScreen
from screens.widgets.server_header import ServerHeader
from screens.widgets.status_line import StatusLine


def header_text(app) -> str:
    return app.screen.query_one(ServerHeader).plain_text()


def status_text(app) -> str:
    return app.screen.query_one(StatusLine).plain_text()


async def test_a_fresh_server_is_explained_with_the_next_step(sandbox, config, secrets) -> None:
    client = client_for(asgi(sandbox), api_key(sandbox))
    app = make_app(make_connector(config, secrets), config, client=client,
                   profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert dashboard.title == "Dashboard"
        init = dashboard.section("init")
        assert "✗ not imported" in init.summary_text
        assert "Not initialised." in init.summary_text
        assert "import the configuration anchor" in init.summary_text
        assert not dashboard.error_panel.visible
        await wait_for(pilot, lambda: "not initialised" in header_text(app), what="header")
        header = header_text(app)
        assert "X-Road 7." in header and "profile sandbox" in header
        tokens = dashboard.section("tokens")
        assert [row[0] for row in tokens.rows] == ["softToken-0"]
        assert dashboard.section("certificates").summary_text == \
            "No certificates on the tokens yet."
        # without an anchor no global configuration has been downloaded yet
        assert "… WAITING" in dashboard.section("globalconf").summary_text


async def test_an_initialised_server_shows_tokens_certificates_and_services(
        initialised: Initialised, config, secrets) -> None:
    client = client_for(asgi(initialised.state), api_key(initialised.state))
    app = make_app(make_connector(config, secrets), config, client=client,
                   profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        init = dashboard.section("init")
        assert "✓ imported" in init.summary_text
        assert "INITIALIZED" in init.summary_text
        assert "Not initialised" not in init.summary_text
        assert dashboard.section("tokens").rows == [
            ("softToken-0", "SOFTWARE", "OK", "✓ yes", "2")]

        rows = dashboard.certificates
        assert [(row.usage, row.days_left) for row in rows] == [("sign", 10), ("auth", 365)]
        assert rows[0].level == "urgent" and rows[1].level == "ok"
        assert rows[0].hash == initialised.sign_hash
        cells = dashboard.section("certificates").rows
        assert cells[0][0] == "10 days !!" and cells[0][1] == "sign"
        assert cells[1][0] == "365 days" and cells[1][1] == "auth"
        assert "1 expires within 14 days" in dashboard.section("certificates").summary_text
        assert dashboard.section("certificates").table.row_count == 2

        tsa = dashboard.section("timestamping").rows
        assert len(tsa) == 1 and tsa[0][2].endswith("/sandbox/tsa")
        ocsp = dashboard.section("ocsp").rows
        assert ocsp and ocsp[0][2] == "Kapka Sandbox Test CA"
        assert "Status" in dashboard.section("globalconf").summary_text
        assert not any(dashboard.section(name).message_text for name in
                       ("init", "tokens", "certificates", "globalconf", "timestamping", "ocsp"))

        await wait_for(pilot, lambda: app.alerts_info is not None, what="alerts")
        await wait_for(pilot, lambda: app.header_info.initialised is True, what="header")
        header = header_text(app)
        assert "SANDBOX-KG:GOV:70000001:SS1" in header and "not initialised" not in header
        assert app.header_info.node_type in header


async def test_alerts_reach_the_status_line(initialised: Initialised, config, secrets) -> None:
    initialised.state.logout_token()
    client = client_for(asgi(initialised.state), api_key(initialised.state))
    app = make_app(make_connector(config, secrets), config, client=client,
                   profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await wait_for(pilot, lambda: app.alerts_info is not None, what="alerts")
        assert "PIN not entered" in status_text(app)
        assert app.screen.query_one(StatusLine).has_class("-alert")
        assert app.screen.section("tokens").rows[0][3] == "✗ no"


async def test_a_key_without_the_needed_roles_fails_only_those_sections(
        initialised: Initialised, config, secrets) -> None:
    key = api_key(initialised.state, ["XROAD_SERVICE_ADMINISTRATOR"])
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(initialised.state), key), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert not dashboard.section("init").message_text  # any role may read this
        tokens = dashboard.section("tokens")
        assert tokens.message_text.startswith("Permission denied")
        assert "role" in tokens.message_text
        assert not dashboard.error_panel.visible
        assert not dashboard.query_one("#dashboard-sections").has_class("-hidden")


class FlakyServer(httpx.AsyncBaseTransport):
    """Down (503, or refusing connections) until ``up`` is set; then the sandbox answers."""

    def __init__(self, backend: httpx.AsyncBaseTransport, failure: str) -> None:
        self.backend = backend
        self.failure = failure
        self.up = False
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.up:
            return await self.backend.handle_async_request(request)
        if self.failure == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(503, text="Service Unavailable", request=request)


@pytest.mark.parametrize(("failure", "title"), [("503", "Server unavailable"),
                                                ("refused", "Server unreachable")])
async def test_a_failing_server_is_a_clear_message_and_retry_works_once_it_is_back(
        initialised: Initialised, config, secrets, failure: str, title: str) -> None:
    flaky = FlakyServer(asgi(initialised.state), failure)
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(flaky, api_key(initialised.state)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        panel = dashboard.error_panel
        assert panel.visible and panel.error_title == title
        assert "r (or Retry)" in panel.error_message
        assert dashboard.query_one("#dashboard-sections").has_class("-hidden")
        assert app.focused is not None and app.focused.id == "error-retry"

        flaky.up = True
        await pilot.press("enter")  # the focused Retry button
        await dashboard_loaded(pilot, loads=2)
        assert not panel.visible
        assert dashboard.section("tokens").rows[0][0] == "softToken-0"
        await wait_for(pilot, lambda: "X-Road" in header_text(app), what="identity")


async def test_r_refreshes_the_dashboard(initialised: Initialised, config, secrets) -> None:
    flaky = FlakyServer(asgi(initialised.state), "503")
    flaky.up = True
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(flaky, api_key(initialised.state)), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        before = flaky.requests
        await pilot.press("r")
        await dashboard_loaded(pilot, loads=2)
        assert flaky.requests >= before + 5


async def test_a_wrong_api_key_is_a_clear_message(sandbox, config, secrets) -> None:
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(sandbox), "not-the-key"), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        panel = dashboard.error_panel
        assert panel.visible and panel.error_title == "Not authenticated"
        assert "API key is missing, wrong or revoked" in panel.error_message


async def test_malformed_json_is_a_clear_message(config, secrets) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"info": "7.8.0", oops',
                              headers={"Content-Type": "application/json"})

    app = make_app(make_connector(config, secrets), config,
                   client=client_for(httpx.MockTransport(handler), "k"), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        panel = dashboard.error_panel
        assert panel.visible and panel.error_title == "Unexpected answer"
        assert "malformed JSON" in panel.error_message


async def test_every_role_key_reads_everything(initialised: Initialised, config, secrets) -> None:
    """The default for a created key (all five roles) must not hit a 403 anywhere."""
    key = api_key(initialised.state, list(ROLES))
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(asgi(initialised.state), key), profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert not [s.id for s in dashboard.query("Section") if s.message_text]
        assert isinstance(app.screen, DashboardScreen)


class WithCurrentServer(httpx.AsyncBaseTransport):
    """The sandbox plus ``GET /security-servers?current_server=true`` as X-Road answers it."""

    def __init__(self, backend: httpx.AsyncBaseTransport) -> None:
        self.backend = backend

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/security-servers" and \
                request.url.params.get("current_server") == "true":
            return httpx.Response(200, json=[{
                "id": "SANDBOX-KG:GOV:70000001:SS1", "instance_id": "SANDBOX-KG",
                "member_class": "GOV", "member_code": "70000001", "server_code": "SS1",
                "server_address": "127.0.0.1"}], request=request)
        return await self.backend.handle_async_request(request)


async def test_the_header_names_the_server_by_its_id(initialised: Initialised, config,
                                                     secrets) -> None:
    transport = WithCurrentServer(asgi(initialised.state))
    app = make_app(make_connector(config, secrets), config,
                   client=client_for(transport, api_key(initialised.state)),
                   profile_label="sandbox")
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await dashboard_loaded(pilot)
        assert "SANDBOX-KG:GOV:70000001:SS1" in dashboard.section("init").summary_text
        await wait_for(pilot, lambda: "SANDBOX-KG:GOV:70000001:SS1" in header_text(app),
                       what="server id in the header")
