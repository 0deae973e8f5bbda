"""The services screen: publishing WSDL and OpenAPI descriptions, and bad input refused with a
clear message and nothing applied."""

from __future__ import annotations

import pytest
from clients_screen_support import (
    OBSERVER,
    REGISTRY,
    finished,
    labels,
    open_services,
    problem_text,
)
from keys_support import dialog, record_notifications, start
from screen_support import Initialised, wait_for
from textual.widgets import Button, Input, RadioSet

from screens.services_dialogs import AddDescriptionDialog
from screens.widgets.confirm import ConfirmDialog


def with_registry(initialised: Initialised) -> None:
    initialised.state.add_client("GOV", "70000001", "registry")


async def add_description(pilot, screen, kind: str, url: str, code: str = "") -> AddDescriptionDialog:
    """Open the add dialog, fill it in and press Add (the dialog stays open on an error)."""
    await pilot.press("n")
    add = await dialog(pilot, AddDescriptionDialog)
    radio = add.query_one("#description-type", RadioSet)
    for choice in radio.query("Choice"):
        if choice.name == kind:
            choice.value = True
    await pilot.pause()
    add.query_one("#description-url", Input).value = url
    add.query_one("#description-code", Input).value = code
    attempts = add.attempts
    add.query_one("#dialog-ok", Button).press()
    await wait_for(pilot, lambda: add.attempts > attempts or not add.is_attached
                   or isinstance(pilot.app.screen, ConfirmDialog), what="sent")
    await pilot.pause()
    return add


async def test_a_wsdl_and_an_openapi_description_are_published(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    with_registry(initialised)
    state = initialised.state
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        assert "No service descriptions yet" in str(services.query_one("#services-facts").content)

        before = services.generation
        await add_description(pilot, services, "WSDL", description_server.url("wsdl/valid.wsdl"))
        await finished(pilot, services, before)
        before = services.generation
        await add_description(pilot, services, "OPENAPI3",
                              description_server.url("openapi/valid.yaml"), "petstore")
        await finished(pilot, services, before)

        lines = labels(services.tree)
        assert lines[0].startswith("OpenAPI 3 http://127.0.0.1") and "DISABLED" in lines[0]
        assert lines[1].startswith("  petstore")
        assert [line.strip() for line in lines[2:5]] == ["* ** · base", "GET /test · generated",
                                                         "POST /test · generated"]
        assert lines[5].startswith("WSDL ") and "3 services" in lines[5]
        assert [line.split()[0] for line in lines[6:9]] == [
            "xroadBigAttachment.v1", "xroadGetRandom.v1", "xroadSmallAttachment.v1"]
        assert len(state.db.execute("SELECT * FROM service_descriptions").fetchall()) == 2

        # a new description is disabled: enable it
        services.select(f"description:{services.descriptions[1].id}")
        before = services.generation
        await pilot.press("e")
        await finished(pilot, services, before)
        assert services.descriptions[1].disabled is False
    posts = [(e["method"], e["outcome"]) for e in journal.tail(20)]
    assert posts == [("POST", "ok"), ("POST", "ok"), ("PUT", "ok")]


@pytest.mark.parametrize(("kind", "fixture", "code", "expected"), [
    ("WSDL", None, "", "could not download the WSDL"),
    ("WSDL", "wsdl/invalid.wsdl", "", "is not a valid WSDL"),
    ("OPENAPI3", "openapi/invalid_version.yaml", "v311", "only OpenAPI 3.0.x and 3.1.0"),
])
async def test_bad_descriptions_are_refused_with_a_clear_message_and_nothing_added(
        initialised: Initialised, config, secrets, description_server, kind, fixture, code,
        expected) -> None:
    with_registry(initialised)
    state = initialised.state
    url = description_server.url(fixture) if fixture else \
        description_server.unreachable_url("registry.wsdl")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        add = await add_description(pilot, services, kind, url, code)
        assert isinstance(app.screen, AddDescriptionDialog)  # still open: fix and try again
        problem = problem_text(add)
        assert expected in problem and url in problem
        assert state.db.execute("SELECT COUNT(*) FROM service_descriptions").fetchone()[0] == 0


async def test_a_service_code_with_a_colon_is_refused_before_it_is_sent(
        initialised: Initialised, config, secrets, journal) -> None:
    with_registry(initialised)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        await pilot.press("n")
        add = await dialog(pilot, AddDescriptionDialog)
        for choice in add.query_one(RadioSet).query("Choice"):
            choice.value = choice.name == "REST"
        add.query_one("#description-url", Input).value = "http://127.0.0.1:9/rest"
        add.query_one("#description-code", Input).value = "people:v1"
        add.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert "may not contain ':'" in problem_text(add)
        assert add.attempts == 0 and isinstance(app.screen, AddDescriptionDialog)
        assert services.descriptions == []
    assert journal.tail(20) == []


async def test_the_server_refuses_a_service_code_with_a_colon_too(
        initialised: Initialised, config, secrets) -> None:
    """Should the dialog let it through, X-Road's refusal is said in words."""
    with_registry(initialised)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        await pilot.press("n")
        add = await dialog(pilot, AddDescriptionDialog)
        add.send(("REST", "http://127.0.0.1:9/rest", "people:v1"))  # as if the check were skipped
        await wait_for(pilot, lambda: add.attempts == 1, what="sent")
        problem = problem_text(add)
        assert "The service code may not contain : ; / \\ % or spaces" in problem
        assert "IdentifierChars" in problem  # X-Road's own words stay
        assert services.descriptions == []


async def test_an_observer_sees_services_and_each_change_says_why_not(
        initialised: Initialised, config, secrets, description_server) -> None:
    with_registry(initialised)
    initialised.state.add_service_description(REGISTRY, "WSDL",
                                              description_server.url("wsdl/valid.wsdl"))
    app = start(initialised, config, secrets, roles=OBSERVER)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        assert len(services.descriptions) == 1
        assert "service administrator role (ADD_WSDL / ADD_OPENAPI3)" in \
            services.reason("add_description")
        assert "REFRESH_WSDL" in services.reason("refresh")
        told = record_notifications(app)
        await pilot.press("R")
        await pilot.pause()
        assert any("REFRESH_WSDL" in message for _t, message in told)
        assert not isinstance(app.screen, ConfirmDialog)


async def test_read_only_mode_shows_services_and_sends_nothing(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    with_registry(initialised)
    initialised.state.add_service_description(REGISTRY, "OPENAPI3",
                                              description_server.url("openapi/valid.yaml"),
                                              rest_service_code="petstore")
    app = start(initialised, config, secrets, read_only=True, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        for ident in ("description", "service"):
            services.select(f"{ident}:" + (services.descriptions[0].id if ident == "description"
                                           else services.descriptions[0].services[0].id))
            for action in ("add_description", "refresh", "enable_disable", "edit_service",
                           "add_endpoint", "delete"):
                assert services.reason(action) == "read-only mode"
        for key in ("n", "R", "e", "p", "d", "plus"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is services
    assert journal.tail(20) == []


async def test_the_palette_opens_the_clients_and_asks_whose_services(
        initialised: Initialised, config, secrets) -> None:
    from console.commands import kapka_commands
    from screens.access.chooser import ClientChooser
    from screens.clients import ClientsScreen
    from screens.dashboard import DashboardScreen
    from screens.services import ServicesScreen

    with_registry(initialised)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        commands = {command.name: command for command in kapka_commands(app)}
        commands["clients: open"].callback()
        await dialog(pilot, ClientsScreen)
        app.pop_screen()
        commands["services: open"].callback()
        chooser = await dialog(pilot, ClientChooser)
        assert chooser.clients[0].id == REGISTRY  # subsystems first
        await pilot.press("enter")
        services = await dialog(pilot, ServicesScreen)
        assert services.client_id == REGISTRY


async def test_openapi_validator_warnings_are_shown_verbatim_and_confirmed(
        initialised: Initialised, config, secrets, description_server) -> None:
    with_registry(initialised)
    url = description_server.add("untitled.yaml", "openapi: 3.0.2\ninfo: {version: '1'}\n"
                                 "paths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        services = await open_services(pilot, REGISTRY)
        before = services.generation
        await add_description(pilot, services, "OPENAPI3", url, "untitled")
        warning = await dialog(pilot, ConfirmDialog)
        text = warning.effect.plain
        assert "openapi_validation_warnings: " in text and "title" in text
        warning.query_one("#confirm", Button).press()
        await finished(pilot, services, before)
        assert [d.url for d in services.descriptions] == [url]
