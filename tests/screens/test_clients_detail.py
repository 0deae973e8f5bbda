"""A client's detail view: connection type, IS TLS certificates, disable/enable, rename, and the
way to its services, access rights and local groups."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from clients_screen_support import REGISTRY, finished, open_clients, register_server, text_of
from keys_support import confirm, dialog, record_notifications, start
from screen_support import Initialised, wait_for
from textual.widgets import Button, DataTable, Input, RadioSet, TextArea

from backend.sandbox import centralserver
from screens.client_detail import ClientDetailScreen
from screens.clients_dialogs import ConnectionTypeDialog, RenameDialog
from screens.clients_tls import AddTlsDialog, TlsCertificatesScreen
from screens.services import ServicesScreen
from screens.widgets.confirm import ConfirmDialog

CERTS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "fixtures" / "certs"


async def open_detail(pilot, client_id: str) -> ClientDetailScreen:
    clients = await open_clients(pilot)
    clients.select(client_id)
    await pilot.press("enter")
    detail = await dialog(pilot, ClientDetailScreen)
    await wait_for(pilot, lambda: detail.loads >= 1, what="detail")
    return detail


async def test_the_connection_type_is_changed_from_the_detail_view(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        detail = await open_detail(pilot, REGISTRY)
        assert "HTTPS: TLS, and the information system shows" in text_of(
            detail.query_one("#client-facts"))
        before = detail.generation
        await pilot.press("c")
        question = await dialog(pilot, ConnectionTypeDialog)
        radio = question.query_one(RadioSet)
        assert radio.pressed_button.name == "HTTPS"
        await pilot.press("up")  # the cursor starts on the current type
        await pilot.press("enter")
        assert radio.pressed_button.name == "HTTP"
        question.query_one("#dialog-ok", Button).press()
        await finished(pilot, detail, before)
        assert state.client_row(REGISTRY)["connection_type"] == "HTTP"
        assert "HTTP: no TLS" in text_of(detail.query_one("#client-facts"))


async def test_is_tls_certificates_are_added_from_a_file_and_pasted_and_deleted(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 34)) as pilot:
        await open_detail(pilot, REGISTRY)
        await pilot.press("t")
        tls = await dialog(pilot, TlsCertificatesScreen)
        await wait_for(pilot, lambda: tls.loads >= 1, what="tls")
        assert "cannot connect until theirs is added" in text_of(tls.query_one("#tls-note"))
        assert tls.reason("delete") == "there is no certificate to delete"

        await pilot.press("n")
        add = await dialog(pilot, AddTlsDialog)
        add.query_one("#picker-path", Input).value = str(CERTS / "google-cert.pem")
        add.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: tls.loads >= 2, what="added")
        table = tls.query_one(DataTable)
        assert table.row_count == 1
        assert "google.com" in str(table.get_row_at(0)[1]) and "(expired)" in table.get_row_at(0)[3]

        # pasted PEM: a chain file's leaf certificate
        await pilot.press("n")
        add = await dialog(pilot, AddTlsDialog)
        add.query_one("#tls-source", RadioSet).query("Choice").last().value = True
        await pilot.pause()
        area = add.query_one("#tls-pem", TextArea)
        area.text = "not a certificate"
        add.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, AddTlsDialog)  # refused before sending, said why
        assert text_of(add.query_one("#dialog-problem"))
        area.text = (CERTS / "validchain.crt").read_text()
        add.query_one("#dialog-ok", Button).press()
        await wait_for(pilot, lambda: tls.loads >= 3, what="pasted")
        assert table.row_count == 2
        assert len(state.tls_certificates(REGISTRY)) == 2

        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        assert app.focused is question.query_one("#cancel", Button)
        await confirm(pilot)
        await wait_for(pilot, lambda: tls.loads >= 4, what="deleted")
        assert table.row_count == 1 and len(state.tls_certificates(REGISTRY)) == 1
    writes = [(e["method"], e["outcome"]) for e in journal.tail(20)]
    assert writes == [("POST", "ok"), ("POST", "ok"), ("DELETE", "ok")]


async def test_a_registered_subsystem_is_disabled_enabled_and_renamed(
        initialised: Initialised, config, secrets) -> None:
    state = register_server(initialised)
    centralserver.set_request_delay(state, 0)
    state.add_client("GOV", "70000001", "registry")
    state.register_client(REGISTRY)
    centralserver.approve_pending(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        detail = await open_detail(pilot, REGISTRY)
        before = detail.generation
        await pilot.press("e")
        question = await dialog(pilot, ConfirmDialog)
        assert "calls to its services fail" in question.effect.plain
        await confirm(pilot)
        await finished(pilot, detail, before)
        assert state.client_row(REGISTRY)["status"] == "DISABLED"
        before = detail.generation
        await pilot.press("e")  # enabling asks nothing more
        await finished(pilot, detail, before)
        assert state.client_row(REGISTRY)["status"] == "REGISTERED"

        before = detail.generation
        await pilot.press("f2")
        rename = await dialog(pilot, RenameDialog)
        rename.query_one("#rename-name", Input).value = "Population register"
        rename.query_one("#dialog-ok", Button).press()
        await finished(pilot, detail, before)
        # approved at once (no delay): the global configuration has the new name
        assert detail.client.subsystem_name == "Population register"
        assert "Population register" in text_of(detail.query_one("#client-facts"))


async def test_the_detail_view_opens_services_access_rights_and_local_groups(
        initialised: Initialised, config, secrets) -> None:
    from screens.access import AccessRightsScreen, LocalGroupsScreen

    initialised.state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        detail = await open_detail(pilot, REGISTRY)
        assert "0 descriptions, 0 services" in text_of(detail.query_one("#client-facts"))
        for key, kind in (("s", ServicesScreen), ("a", AccessRightsScreen),
                          ("g", LocalGroupsScreen), ("t", TlsCertificatesScreen)):
            await pilot.press(key)
            opened = await dialog(pilot, kind)
            assert opened.client_id == REGISTRY
            await pilot.pause()
            app.pop_screen()
            await dialog(pilot, ClientDetailScreen)


async def test_rename_needs_x_road_7_7_and_says_so(initialised: Initialised, config,
                                                   secrets) -> None:
    initialised.state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(110, 34)) as pilot:
        await open_detail(pilot, REGISTRY)
        await wait_for(pilot, lambda: app.identity is not None, what="identity")
        older = type(app.identity.version)(info="Security Server version 7.6.2-1.ubuntu22.04")
        app.identity = dataclasses.replace(app.identity, version=older)
        told = record_notifications(app)
        await pilot.press("f2")
        await pilot.pause()
        assert any("runs X-Road 7.6.2; this needs 7.7 or later" in m for _t, m in told)
        assert not isinstance(app.screen, RenameDialog)
