"""Removing a client in one guided flow: unregister, delete (typed code), then the orphan keys."""

from __future__ import annotations

from clients_screen_support import OWNER, REGISTRY, effect_text, finished, open_clients, register_server
from keys_support import confirm, dialog, start
from screen_support import Initialised
from textual.widgets import Button

from backend.sandbox import centralserver
from screens.widgets.confirm import ConfirmDialog

TRACKING_MEMBER = "SANDBOX-KG:COM:50010001"


def registered_registry(initialised: Initialised, description_server) -> None:
    state = register_server(initialised)
    centralserver.set_request_delay(state, 0)
    state.add_client("GOV", "70000001", "registry")
    state.add_service_description(REGISTRY, "WSDL", description_server.url("wsdl/valid.wsdl"))
    state.register_client(REGISTRY)
    centralserver.approve_pending(state)


async def test_a_registered_subsystem_is_unregistered_and_deleted_with_what_goes_said(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    registered_registry(initialised, description_server)
    state = initialised.state
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        clients = await open_clients(pilot)
        clients.select(REGISTRY)
        assert clients.current_client().status == "REGISTERED"

        before = clients.generation
        await pilot.press("d")
        first = await dialog(pilot, ConfirmDialog)
        text = effect_text(first)
        assert "Step 1 of 2" in text and REGISTRY in text
        assert "1 service description with 3 services goes with it" in text
        assert app.focused is first.query_one("#cancel", Button)
        await pilot.press("enter")  # Cancel: nothing is sent
        await finished(pilot, clients, before)
        assert state.client_row(REGISTRY)["status"] == "REGISTERED"

        before = clients.generation
        await pilot.press("d")
        await confirm(pilot)  # step 1: the deletion request
        second = await dialog(pilot, ConfirmDialog)
        assert second is not first and "Step 2 of 2" in effect_text(second)
        assert second.acknowledgement == "registry"
        await confirm(pilot, acknowledgement="registry")
        await finished(pilot, clients, before)
        assert state.client_row(REGISTRY) is None
        assert REGISTRY not in {client.id for client in clients.clients}
        assert not isinstance(app.screen, ConfirmDialog)  # the owner's keys stay: no 3rd step
    writes = [(e["method"], e["path"], e["outcome"]) for e in journal.tail(20)]
    assert writes == [("PUT", f"/clients/{REGISTRY}/unregister", "ok"),
                      ("DELETE", f"/clients/{REGISTRY}", "ok")]


async def test_the_last_client_of_a_member_offers_its_keys_and_certificates_too(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    state.add_client("COM", "50010001", None, ignore_warnings=True)
    key = state.generate_key("tracking sign")
    cert = state.issue_certificate(key, "SIGNING", TRACKING_MEMBER, days=100)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        clients = await open_clients(pilot)
        clients.select(TRACKING_MEMBER)
        before = clients.generation
        await pilot.press("d")
        delete = await dialog(pilot, ConfirmDialog)  # saved: nothing to unregister
        assert "Delete SANDBOX-KG:COM:50010001 (saved, not registered)" in effect_text(delete)
        await confirm(pilot, acknowledgement="50010001")
        orphans = await dialog(pilot, ConfirmDialog)
        text = effect_text(orphans)
        assert orphans is not delete and "Key tracking sign on softToken-0" in text
        assert f"certificate {cert[:16]}" in text
        assert orphans.acknowledgement == "50010001"
        await confirm(pilot, acknowledgement="50010001")
        await finished(pilot, clients, before)
        assert all(row["id"] != key for row in state.keys("0"))
        assert state.client_row(TRACKING_MEMBER) is None
    assert [e["path"] for e in journal.tail(20)] == [
        f"/clients/{TRACKING_MEMBER}", f"/clients/{TRACKING_MEMBER}/orphans"]


async def test_declining_the_orphans_keeps_the_keys(initialised: Initialised, config,
                                                    secrets) -> None:
    state = initialised.state
    state.add_client("COM", "50010001", None, ignore_warnings=True)
    key = state.generate_key("tracking sign")
    state.issue_certificate(key, "SIGNING", TRACKING_MEMBER, days=100)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        clients = await open_clients(pilot)
        clients.select(TRACKING_MEMBER)
        before = clients.generation
        await pilot.press("d")
        await confirm(pilot, acknowledgement="50010001")
        await dialog(pilot, ConfirmDialog)
        await pilot.press("escape")
        await finished(pilot, clients, before)
        assert any(row["id"] == key for row in state.keys("0"))
        assert state.client_row(TRACKING_MEMBER) is None
        assert clients.select(OWNER)
