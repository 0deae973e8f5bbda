"""Registering a client: the preflight checklist, "pending since", and REGISTERED after approval."""

from __future__ import annotations

import pytest
from clients_screen_support import OWNER, finished, open_clients, register_server, text_of
from keys_support import dialog, start
from screen_support import Initialised, wait_for
from textual.widgets import Button

import screens.client_detail
import screens.clients
from backend.sandbox import centralserver
from screens.client_detail import ClientDetailScreen
from screens.clients_preflight import PreflightDialog

NEW = f"{OWNER}:billing"


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens.clients, "POLL_SECONDS", 0.1)
    monkeypatch.setattr(screens.client_detail, "POLL_SECONDS", 0.1)


def check_labels(preflight: PreflightDialog) -> dict[str, bool | None]:
    return {check.label: check.ok for check in preflight.checks}


async def test_a_subsystem_is_registered_after_the_preflight_and_waits_until_approved(
        initialised: Initialised, config, secrets, journal) -> None:
    state = register_server(initialised)
    centralserver.set_request_delay(state, None)  # the central server waits until told
    state.add_client("GOV", "70000001", "billing")
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 30)) as pilot:
        clients = await open_clients(pilot)
        clients.select(NEW)
        before = clients.generation
        await pilot.press("R")
        preflight = await dialog(pilot, PreflightDialog)
        await wait_for(pilot, lambda: preflight.loads >= 1, what="preflight")
        checks = check_labels(preflight)
        assert checks == {
            f"A valid signing certificate of {OWNER} on this server": True,
            "Management services reachable (global configuration OK)": True,
            "This security server is registered (its authentication certificate)": True,
            "The token is logged in (the request is signed)": True}
        register = preflight.query_one("#preflight-register", Button)
        assert not register.disabled and app.focused is register
        await pilot.press("enter")
        await finished(pilot, clients, before)
        assert state.client_row(NEW)["status"] == "REGISTRATION_IN_PROGRESS"
        line = next(text for text in map(str, (n.label for n in clients.tree.root.children[0]
                                                .children)) if text.startswith("billing"))
        assert "registration in progress" in line and "pending since" in line

        # the detail view says since when, and what to do if nothing happens
        await pilot.press("enter")
        detail = await dialog(pilot, ClientDetailScreen)
        await wait_for(pilot, lambda: detail.loads >= 1, what="detail")
        assert "pending since" in text_of(detail.query_one("#client-facts"))
        assert "X-Road never reports a rejection" in text_of(detail.query_one("#client-recovery"))

        centralserver.approve_pending(state)  # the central server approves; the poll sees it
        await wait_for(pilot, lambda: "registered" in text_of(detail.query_one("#client-facts"))
                       and text_of(detail.query_one("#client-recovery")) == "", what="registered")
        assert detail.client.status == "REGISTERED"
        await pilot.press("escape")
        await wait_for(pilot, lambda: clients.client_by_id(NEW).status == "REGISTERED",
                       what="the list sees it")
    puts = [(e["path"], e["outcome"]) for e in journal.tail(20) if e["method"] == "PUT"]
    assert puts == [(f"/clients/{NEW}/register", "ok")]


async def test_a_failing_preflight_says_what_to_do_and_offers_no_register(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state  # the server's authentication certificate is not registered
    state.add_client("COM", "50010001", "tracking", ignore_warnings=True)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 30)) as pilot:
        clients = await open_clients(pilot)
        clients.select(f"{OWNER.rsplit(':', 2)[0]}:COM:50010001:tracking")
        await pilot.press("R")
        preflight = await dialog(pilot, PreflightDialog)
        await wait_for(pilot, lambda: preflight.loads >= 1, what="preflight")
        failing = {check.label: check.detail for check in preflight.checks if check.ok is False}
        sign = failing["A valid signing certificate of SANDBOX-KG:COM:50010001 on this server"]
        assert "generate a signing key and CSR for SANDBOX-KG:COM:50010001" in sign
        server = failing["This security server is registered (its authentication certificate)"]
        assert "register the authentication certificate first" in server
        assert preflight.query_one("#preflight-register", Button).disabled
        register_server(initialised)
        preflight.query_one("#preflight-recheck", Button).press()
        await wait_for(pilot, lambda: preflight.loads >= 2, what="checked again")
        assert "This security server is registered (its authentication certificate)" not in {
            check.label for check in preflight.checks if check.ok is False}
        assert preflight.query_one("#preflight-register", Button).disabled  # sign cert missing
        await pilot.press("escape")
    assert journal.tail(20) == []


async def test_a_check_the_key_may_not_read_is_said_and_does_not_block(
        initialised: Initialised, config, secrets) -> None:
    state = register_server(initialised)
    centralserver.set_request_delay(state, 0)
    state.add_client("GOV", "70000001", "billing")
    # a registration officer may not read diagnostics
    app = start(initialised, config, secrets, roles=["XROAD_REGISTRATION_OFFICER"])
    async with app.run_test(size=(110, 30)) as pilot:
        clients = await open_clients(pilot)
        clients.select(NEW)
        before = clients.generation
        await pilot.press("R")
        preflight = await dialog(pilot, PreflightDialog)
        await wait_for(pilot, lambda: preflight.loads >= 1, what="preflight")
        conf = next(c for c in preflight.checks if c.label.startswith("Management services"))
        assert conf.ok is None and "this API key may not read it" in conf.detail
        preflight.query_one("#preflight-register", Button).press()
        await finished(pilot, clients, before)
        await wait_for(pilot, lambda: clients.client_by_id(NEW).status == "REGISTERED",
                       what="registered (no delay)")
