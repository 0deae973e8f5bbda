"""The clients screen: the list, adding a member or subsystem (with X-Road's warning), roles and
read-only mode."""

from __future__ import annotations

from clients_screen_support import (
    OBSERVER,
    OWNER,
    REGISTRY,
    effect_text,
    finished,
    labels,
    open_clients,
    problem_text,
    register_server,
    text_of,
)
from keys_support import dialog, record_notifications, start
from screen_support import Initialised, wait_for
from textual.widgets import Button, Input, OptionList, Select

from screens.clients_dialogs import AddClientDialog
from screens.clients_preflight import PreflightDialog
from screens.widgets.confirm import ConfirmDialog


async def test_members_are_listed_with_their_subsystems_under_them_and_the_owner_marked(
        initialised: Initialised, config, secrets) -> None:
    state = register_server(initialised)
    state.add_client("GOV", "70000001", "registry")
    state.add_client("COM", "50010001", "tracking")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        lines = labels(clients.tree)
        assert lines[0].startswith("GOV:70000001  Ala-Too State Registry Service  ★ owner")
        assert "registered" in lines[0]
        assert lines[1].startswith("  registry") and "saved, not registered" in lines[1]
        assert lines[2].startswith("COM:50010001") and "not a client itself" in lines[2]
        assert lines[3].startswith("  tracking")
        clients.select(REGISTRY)
        await pilot.pause()
        facts = text_of(clients.query_one("#clients-facts"))
        assert REGISTRY in facts and "R Register" in facts
        # the owner cannot be removed, and says why when its key is pressed
        clients.select(OWNER)
        told = record_notifications(app)
        await pilot.press("d")
        await pilot.pause()
        assert any("owner of the server cannot be removed" in message for _t, message in told)


async def test_a_subsystem_of_the_owner_is_added_and_its_registration_offered(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        before = clients.generation
        await pilot.press("n")
        add = await dialog(pilot, AddClientDialog)
        await wait_for(pilot, lambda: add.loaded, what="global configuration")
        # search the global configuration, pick the owner member, type a new subsystem code
        add.query_one("#add-search", Input).value = "Ala-Too"
        await pilot.pause()
        options = add.query_one("#add-candidates", OptionList)
        assert options.option_count >= 1
        assert "on this server" in str(options.get_option_at_index(0).prompt)
        options.highlighted = 0
        options.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert add.query_one("#add-class", Select).value == "GOV"
        assert add.query_one("#add-code", Input).value == "70000001"
        assert app.focused is add.query_one("#add-subsystem", Input)
        await pilot.press(*"billing")
        await pilot.press("enter")

        # no warning: the member is known; the registration's preflight follows
        preflight = await dialog(pilot, PreflightDialog)
        await wait_for(pilot, lambda: preflight.loads >= 1, what="preflight")
        assert preflight.query_one("#preflight-register", Button).disabled  # not registered yet
        await pilot.press("escape")
        await finished(pilot, clients, before)
        assert f"{OWNER}:billing" in {row["id"] for row in state.local_clients()}
        assert clients.current_client().id == f"{OWNER}:billing"
    posts = [event for event in journal.tail(20) if event["method"] == "POST"]
    assert [(event["path"], event["outcome"]) for event in posts] == [("/clients", "ok")]


async def test_an_unregistered_member_is_added_only_after_xroads_warning_is_confirmed(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    app = start(initialised, config, secrets)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        before = clients.generation
        await pilot.press("n")
        add = await dialog(pilot, AddClientDialog)
        await wait_for(pilot, lambda: add.loaded, what="global configuration")
        add.query_one("#add-class", Select).value = "GOV"
        add.query_one("#add-code", Input).value = "79999999"
        add.query_one("#add-subsystem", Input).value = "newcomer"
        for answer in ("cancel", "confirm"):
            add.query_one("#dialog-ok", Button).press()
            warning = await dialog(pilot, ConfirmDialog)
            text = effect_text(warning)
            assert "unregistered_member: SANDBOX-KG/GOV/79999999" in text  # verbatim
            assert app.focused is warning.query_one("#cancel", Button)
            if answer == "cancel":
                await pilot.press("enter")
                await dialog(pilot, AddClientDialog)  # still open, saying nothing was added
                await wait_for(pilot, lambda: add.attempts == 1, what="declined")
                assert "nothing was changed" in problem_text(add)
                assert len(state.local_clients()) == 1
            else:
                warning.query_one("#confirm", Button).press()
        await dialog(pilot, PreflightDialog)
        await pilot.press("escape")
        await finished(pilot, clients, before)
        assert "SANDBOX-KG:GOV:79999999:newcomer" in {row["id"] for row in state.local_clients()}


async def test_a_refusal_of_the_server_is_said_in_the_dialog(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    state.add_client("COM", "50010001", None, ignore_warnings=True)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_clients(pilot)
        await pilot.press("n")
        add = await dialog(pilot, AddClientDialog)
        add.query_one("#add-class", Select).value = "GOV"
        add.query_one("#add-code", Input).value = "70000003"  # a third member
        add.query_one("#dialog-ok", Button).press()
        await wait_for(pilot, lambda: add.attempts == 1, what="refused")
        problem = problem_text(add)
        assert "at most one other member" in problem
        assert "additional_member_already_exists" in problem
        assert isinstance(app.screen, AddClientDialog)
        assert len(state.local_clients()) == 2


async def test_the_add_dialog_refuses_bad_identifiers_before_anything_is_sent(
        initialised: Initialised, config, secrets, journal) -> None:
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_clients(pilot)
        await pilot.press("n")
        add = await dialog(pilot, AddClientDialog)
        add.query_one("#add-class", Select).value = "GOV"
        add.query_one("#add-code", Input).value = "70000001"
        add.query_one("#add-subsystem", Input).value = "bad:code"
        add.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert "may not contain ':'" in problem_text(add)
        add.query_one("#add-subsystem", Input).value = ""
        add.query_one("#dialog-ok", Button).press()
        await pilot.pause()
        assert "already a client of this server" in problem_text(add)
        assert isinstance(app.screen, AddClientDialog)
    assert journal.tail(20) == []


async def test_an_observer_sees_the_clients_but_every_change_says_why_it_is_disabled(
        initialised: Initialised, config, secrets) -> None:
    initialised.state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets, roles=OBSERVER)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        clients.select(REGISTRY)
        await pilot.pause()
        assert "registration officer role (ADD_CLIENT)" in clients.reason("add_client")
        assert "SEND_CLIENT_REG_REQ" in clients.reason("register")
        assert clients.check_action("register", ()) is None  # dimmed, not hidden
        told = record_notifications(app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, AddClientDialog)
        assert any("ADD_CLIENT" in message for _t, message in told)


async def test_read_only_mode_offers_no_change(initialised: Initialised, config, secrets,
                                               journal) -> None:
    initialised.state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets, read_only=True, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        clients.select(REGISTRY)
        await pilot.pause()
        for action in ("add_client", "register", "remove", "connection_type", "rename"):
            assert clients.reason(action) == "read-only mode"
            assert clients.check_action(action, ()) is None
        for key in ("n", "R", "d", "c", "f2"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is clients
        assert clients.reason("tls") is None  # looking is fine
    assert journal.tail(20) == []
