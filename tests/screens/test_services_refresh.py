"""Refreshing a description: the diff and the access rights that would be lost are shown first;
Cancel leaves everything as it was, confirming applies it."""

from __future__ import annotations

from access_support import PERMITS, TRACKING, wsdl
from clients_screen_support import REGISTRY, effect_text, finished, open_services
from keys_support import confirm, dialog, start
from screen_support import Initialised, api_key, asgi, client_for
from textual.widgets import Button

from screens.widgets.confirm import ConfirmDialog

BEFORE = [("getPerson", "v1", "Person"), ("getAddress", "v1", "Address"),
          ("getFamily", "v2", "Family")]
AFTER = [("getPerson", "v1", "Person"), ("getFamily", "v2", "Family"),
         ("getTaxes", "v1", "Taxes")]
OPENAPI_AFTER = """openapi: 3.0.2
info: {title: test, version: "1"}
servers: [{url: "http://is.example.test/api"}]
paths:
  /test:
    get: {responses: {"200": {description: ok}}}
  /other:
    get: {responses: {"200": {description: ok}}}
"""


async def grant(state, service_id: str, subjects: list[str]) -> None:
    api = client_for(asgi(state), api_key(state))
    try:
        await api.access.grant_service(service_id, subjects)
    finally:
        await api.aclose()


def service_codes(state) -> set[str]:
    return {row[0] for row in state.db.execute(
        "SELECT service_code || COALESCE('.' || service_version, '') FROM services")}


async def test_a_wsdl_refresh_shows_the_diff_and_the_rights_lost_and_cancel_changes_nothing(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    url = description_server.add("registry.wsdl", wsdl(BEFORE))
    state.add_service_description(REGISTRY, "WSDL", url)
    await grant(state, f"{REGISTRY}:getAddress.v1", [PERMITS, TRACKING])
    description_server.add("registry.wsdl", wsdl(AFTER))  # the WSDL changes on the server
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        before = services.generation
        await pilot.press("R")
        question = await dialog(pilot, ConfirmDialog)
        text = effect_text(question)
        assert "Services added (1)\n  getTaxes.v1" in text
        assert "Services removed (1)\n  getAddress.v1" in text
        assert "Access rights that would be lost (2):" in text
        lost = next(line for line in text.splitlines() if "service getAddress.v1:" in line)
        assert PERMITS in lost and TRACKING in lost
        assert app.focused is question.query_one("#cancel", Button)
        await pilot.press("enter")  # Cancel
        await finished(pilot, services, before)
        assert service_codes(state) == {"getPerson.v1", "getAddress.v1", "getFamily.v2"}
        assert len(state.db.execute("SELECT * FROM access_rights").fetchall()) == 2

        before = services.generation
        await pilot.press("R")
        await confirm(pilot)
        await finished(pilot, services, before)
        assert service_codes(state) == {"getPerson.v1", "getFamily.v2", "getTaxes.v1"}
        assert state.db.execute("SELECT * FROM access_rights").fetchall() == []
        codes = [service.code for service in services.descriptions[0].services]
        assert sorted(codes) == ["getFamily.v2", "getPerson.v1", "getTaxes.v1"]
    refreshes = [(e["outcome"], e["ignored_warnings"]) for e in journal.tail(20)
                 if e["path"].endswith("/refresh")]
    assert refreshes == [("warnings", False), ("warnings", False), ("ok", True)]


async def test_an_openapi_refresh_shows_endpoints_added_and_removed_with_their_rights(
        initialised: Initialised, config, secrets, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    url = description_server.copy("openapi/valid.yaml", "petstore.yaml")
    state.add_service_description(REGISTRY, "OPENAPI3", url, rest_service_code="petstore")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        post = next(endpoint for endpoint in services.descriptions[0].services[0].endpoints
                    if endpoint.method == "POST")
        api = client_for(asgi(state), api_key(state))
        await api.access.grant_endpoint(post.id, [PERMITS])
        await api.aclose()
        description_server.add("petstore.yaml", OPENAPI_AFTER)
        before = services.generation
        await pilot.press("R")
        question = await dialog(pilot, ConfirmDialog)
        text = effect_text(question)
        assert "Endpoints added (1)\n  GET /other" in text
        assert "Endpoints removed (1)\n  POST /test" in text
        assert f"endpoint POST /test: {PERMITS}" in text
        await confirm(pilot)
        await finished(pilot, services, before)
        endpoints = {(e.method, e.path) for e in services.descriptions[0].services[0].endpoints}
        assert endpoints == {("*", "**"), ("GET", "/test"), ("GET", "/other")}


async def test_a_refresh_without_changes_asks_nothing(
        initialised: Initialised, config, secrets, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    state.add_service_description(REGISTRY, "WSDL", description_server.url("wsdl/valid.wsdl"))
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        before = services.generation
        await pilot.press("R")
        await finished(pilot, services, before)
        assert not isinstance(app.screen, ConfirmDialog)
        assert services.last_diff is None
        assert services.descriptions[0].refreshed_at is not None
