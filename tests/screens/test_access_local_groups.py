"""Local groups against the sandbox: add, describe, members, and delete after showing where the
group is used (Cancel focused, the code typed); refusals said with their titles."""

from __future__ import annotations

from access_support import CLIENT, PAYMENTS, TRACKING, press_button, registry_client, server_rights
from keys_support import confirm, dialog, record_notifications, start
from screen_support import Initialised, wait_for
from textual.widgets import Button, Input

from screens.access import LocalGroupsScreen
from screens.access.group_dialogs import GroupDialog
from screens.access.picker import CandidatePicker
from screens.widgets.confirm import ConfirmDialog

SIZE = (120, 36)


async def open_groups(pilot, client: str = CLIENT) -> LocalGroupsScreen:
    await wait_for(pilot, lambda: pilot.app.server is not None, what="connected")
    screen = LocalGroupsScreen(client)
    pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: screen.loads >= 1 and screen.group is not None,
                   what="groups loaded")
    await pilot.pause()
    return screen


async def after_action(pilot, screen: LocalGroupsScreen, before: int) -> None:
    await wait_for(pilot, lambda: screen.generation > before and not screen.busy
                   and screen.loaded_generation >= screen.generation
                   and pilot.app.screen is screen, what="reload")
    await pilot.pause()


async def type_into(pilot, field: Input, text: str) -> None:
    field.focus()
    for char in text:
        await pilot.press("space" if char == " " else char)


def group_codes(state, client: str = CLIENT) -> list[str]:
    rows = state.db.execute("SELECT code FROM local_groups WHERE client_id = ? ORDER BY code",
                            (client,))
    return [row[0] for row in rows]


def members(state, code: str) -> list[str]:
    rows = state.db.execute(
        "SELECT m.member_id FROM local_group_members m JOIN local_groups g ON g.id = m.group_id "
        "WHERE g.code = ? ORDER BY m.member_id", (code,))
    return [row[0] for row in rows]


async def test_add_a_group_describe_it_and_add_members(initialised: Initialised, config,
                                                       secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        assert screen.group.code == "clerks" and [m.id for m in screen.group.members] == [TRACKING]
        before = screen.generation
        await pilot.press("n")
        question = await dialog(pilot, GroupDialog)
        await type_into(pilot, question.query_one("#group-code", Input), "a:b")
        await type_into(pilot, question.query_one("#group-description", Input), "Auditors")
        await press_button(pilot, question, "#group-ok")
        assert "may not contain" in str(question.query_one("#group-problem").render())
        question.query_one("#group-code", Input).value = "auditors"
        await press_button(pilot, question, "#group-ok")
        await after_action(pilot, screen, before)
        assert group_codes(state) == ["auditors", "clerks"]
        assert screen.group.code == "auditors"  # the new group is highlighted

        before = screen.generation
        await pilot.press("e")
        question = await dialog(pilot, GroupDialog)
        question.query_one("#group-description", Input).value = "Auditors of the ministry"
        await press_button(pilot, question, "#group-ok")
        await after_action(pilot, screen, before)
        assert screen.group.description == "Auditors of the ministry"

        before = screen.generation
        await pilot.press("m")
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="members")
        assert PAYMENTS in picker.found and CLIENT in picker.found
        picker.choose(PAYMENTS, TRACKING)
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await after_action(pilot, screen, before)
        assert members(state, "auditors") == [TRACKING, PAYMENTS]

        before = screen.generation
        screen.members.focus()
        await pilot.press("x")
        await confirm(pilot)
        await after_action(pilot, screen, before)
        assert members(state, "auditors") == [PAYMENTS]


async def test_a_duplicate_code_is_refused_with_the_servers_title(initialised: Initialised,
                                                                  config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        before = screen.generation
        await pilot.press("n")
        question = await dialog(pilot, GroupDialog)
        question.query_one("#group-code", Input).value = "clerks"
        question.query_one("#group-description", Input).value = "Again"
        await press_button(pilot, question, "#group-ok")
        await after_action(pilot, screen, before)
        title, message = told[-1]
        assert title == "Not possible now"  # the server's 409, with its title and code
        assert "local_group_code_already_exists" in message and "clerks" in message
        assert group_codes(state) == ["clerks"]


async def test_delete_shows_where_the_group_is_used_and_needs_its_code(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        before = screen.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        assert app.focused is question.query_one("#cancel", Button)
        text = question.effect.plain
        assert "revokes its right to 1 service" in text and "getFamily" in text
        assert question.acknowledgement == "clerks"
        await pilot.press("enter")  # Cancel
        await after_action(pilot, screen, before)
        assert group_codes(state) == ["clerks"]

        before = screen.generation
        await pilot.press("delete")
        await confirm(pilot, acknowledgement="clerks")
        await after_action(pilot, screen, before)
        assert isinstance(app.screen, LocalGroupsScreen)  # no second, generic confirmation
        assert group_codes(state) == [] and screen.group is None
    assert ("getFamily", registry.clerks) not in server_rights(state, CLIENT)
    deletes = [event for event in journal.tail(20) if event["method"] == "DELETE"]
    assert [event["outcome"] for event in deletes] == ["ok"]


async def test_read_only_mode_shows_groups_and_says_why_changes_are_off(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets, read_only=True)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        for action in ("new_group", "edit", "add_members", "remove_member", "delete"):
            assert screen.check_action(action, ()) is None
            assert "read-only" in screen.disabled_reason(action)
        await pilot.press("d")
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert [title for title, _m in told] == ["Delete group", "New group"]
        assert all("read-only" in message for _t, message in told)
    assert group_codes(state) == ["clerks"]
