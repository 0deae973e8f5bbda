"""Service parameters with "apply to all", REST endpoints, disabling with a notice, deleting a
description with its services and rights."""

from __future__ import annotations

from access_support import PERMITS
from clients_screen_support import REGISTRY, effect_text, finished, open_services, problem_text
from keys_support import confirm, dialog, record_notifications, start
from screen_support import Initialised, api_key, asgi, client_for, wait_for
from textual.widgets import Button, Input, Select

from screens.services_dialogs import (
    DisableDialog,
    EndpointDialog,
    ServiceParamsDialog,
)
from screens.widgets.choices import Tick
from screens.widgets.confirm import ConfirmDialog


def services_table(state) -> dict[str, tuple[str, int]]:
    return {row[0]: (row[1], row[2]) for row in state.db.execute(
        "SELECT service_code, url, timeout FROM services")}


async def test_service_parameters_apply_to_one_service_or_to_all(
        initialised: Initialised, config, secrets, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    state.add_service_description(REGISTRY, "WSDL", description_server.url("wsdl/valid.wsdl"))
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        target = f"{REGISTRY}:xroadGetRandom.v1"
        services.select(f"service:{target}")
        before = services.generation
        await pilot.press("p")
        params = await dialog(pilot, ServiceParamsDialog)
        assert "every service of its description (3)" in params.text
        params.query_one("#param-url", Input).value = "http://is.registry.test/soap"
        params.query_one("#param-timeout", Input).value = "120"
        params.query_one("#param-timeout-all", Tick).value = True
        params.query_one("#param-ssl", Tick).value = True  # needs https: refused here
        params.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert "needs an https:// URL" in problem_text(params) and params.attempts == 0
        params.query_one("#param-ssl", Tick).value = False
        params.query_one("#param-timeout", Input).value = "1001"
        params.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert "from 0 to 1000" in problem_text(params)
        params.query_one("#param-timeout", Input).value = "120"
        params.query_one("#dialog-ok", Button).press()
        await finished(pilot, services, before)
        table = services_table(state)
        assert table["xroadGetRandom"] == ("http://is.registry.test/soap", 120)
        assert {timeout for _url, timeout in table.values()} == {120}  # timeout for all
        assert table["xroadBigAttachment"][0] != "http://is.registry.test/soap"  # URL for one
        assert services.selection.ident == f"service:{target}"


async def test_rest_endpoints_are_added_edited_and_deleted_and_generated_ones_say_why_not(
        initialised: Initialised, config, secrets, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    state.add_service_description(REGISTRY, "REST", "http://is.registry.test/api",
                                  rest_service_code="people")
    state.add_service_description(REGISTRY, "OPENAPI3", description_server.url("openapi/valid.yaml"),
                                  rest_service_code="petstore")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        generated = next(e for d in services.descriptions for s in d.services for e in s.endpoints
                         if e.generated and not e.is_base)
        services.select(f"endpoint:{generated.id}")
        assert "generated from the OpenAPI description" in services.reason("edit_endpoint")
        assert "generated from the OpenAPI description" in services.reason("delete")
        base = next(e for d in services.descriptions for s in d.services for e in s.endpoints
                    if e.is_base)
        services.select(f"endpoint:{base.id}")
        assert "base endpoint" in services.reason("delete")

        services.select(f"service:{REGISTRY}:people")
        before = services.generation
        await pilot.press("plus")
        add = await dialog(pilot, EndpointDialog)
        add.query_one("#endpoint-path", Input).value = "/people/*"
        add.query_one("#dialog-ok", Button).press()
        await finished(pilot, services, before)
        added = next(e for s in services.descriptions[1].services for e in s.endpoints
                     if e.path == "/people/*")
        assert services.selection.ident == f"endpoint:{added.id}"

        before = services.generation
        await pilot.press("E")
        edit = await dialog(pilot, EndpointDialog)
        edit.query_one("#endpoint-method", Select).value = "POST"
        edit.query_one("#dialog-ok", Button).press()
        await finished(pilot, services, before)
        assert state.db.execute("SELECT method FROM endpoints WHERE id = ?",
                                (int(added.id),)).fetchone()[0] == "POST"

        api = client_for(asgi(state), api_key(state))
        await api.access.grant_endpoint(added.id, [PERMITS])
        await api.aclose()
        before = services.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        assert PERMITS in effect_text(question)
        await confirm(pilot)
        await finished(pilot, services, before)
        assert state.db.execute("SELECT COUNT(*) FROM endpoints WHERE id = ?",
                                (int(added.id),)).fetchone()[0] == 0


async def test_a_description_is_disabled_with_a_notice_and_deleted_with_its_rights(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    state.add_service_description(REGISTRY, "WSDL", description_server.url("wsdl/valid.wsdl"))
    state.enable_service_description(1)
    api = client_for(asgi(state), api_key(state))
    await api.access.grant_service(f"{REGISTRY}:xroadGetRandom.v1", [PERMITS])
    await api.aclose()
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        before = services.generation
        await pilot.press("e")
        disable = await dialog(pilot, DisableDialog)
        disable.query_one("#disable-notice", Input).value = "Maintenance until 18:00"
        disable.query_one("#dialog-ok", Button).press()
        await finished(pilot, services, before)
        assert services.descriptions[0].disabled
        assert services.descriptions[0].disabled_notice == "Maintenance until 18:00"
        assert "Maintenance until 18:00" in str(services.tree.get_node_at_line(0).label)

        told = record_notifications(app)
        before = services.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        text = effect_text(question)
        assert "Its 3 services go with it" in text
        assert f"xroadGetRandom.v1: {PERMITS}" in text and "1 access right is lost." in text
        assert question.acknowledgement == "delete"
        await confirm(pilot, acknowledgement="delete")
        await finished(pilot, services, before)
        assert services.descriptions == []
        assert state.db.execute("SELECT COUNT(*) FROM access_rights").fetchone()[0] == 0
        await wait_for(pilot, lambda: any("is deleted" in m for _t, m in told), what="told")
    methods = [(e["method"], e["outcome"]) for e in journal.tail(20)]
    assert methods == [("PUT", "ok"), ("DELETE", "ok")]
