"""The service-based and subject-based views against the sandbox, and opening the screen with
the app's key a (which client, subsystems first)."""

from __future__ import annotations

from access_support import (
    CADASTRE,
    CLIENT,
    PERMITS,
    REGISTRIES,
    TRACKING,
    open_access,
    press_button,
    registry_client,
    reloaded,
    server_rights,
)
from keys_support import dialog, start
from screen_support import Initialised, dashboard_loaded, until_screen, wait_for
from textual.widgets import DataTable, Input, OptionList

from screens.access import AccessRightsScreen
from screens.access.by_service import ByServiceView
from screens.access.by_subject import BySubjectView
from screens.access.changes import ApplyDialog, PlanPreview
from screens.access.chooser import ClientChooser
from screens.access.picker import CandidatePicker

SIZE = (120, 36)


def highlight(table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key), animate=False)


def keys_of(table: DataTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


async def apply_all(pilot, screen: AccessRightsScreen, loads: int) -> PlanPreview:
    """p, Apply, wait, Close; the preview that was shown."""
    await pilot.press("p")
    preview = await dialog(pilot, PlanPreview)
    await press_button(pilot, preview, "#plan-apply")
    apply = await dialog(pilot, ApplyDialog)
    await wait_for(pilot, lambda: apply.result is not None, what="applied")
    assert apply.result.ok, apply.result
    await press_button(pilot, apply, "#apply-close")
    await reloaded(pilot, screen, loads)
    return preview


async def test_key_a_asks_which_client_and_opens_its_rights_by_service(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        await pilot.press("a")
        chooser = await until_screen(pilot, ClientChooser)
        options = chooser.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == [CLIENT, initialised.member_id]  # subsystems first
        await pilot.press("enter")
        screen = await until_screen(pilot, AccessRightsScreen)
        await wait_for(pilot, lambda: screen.loads >= 1, what="loaded")
        assert screen.client_id == CLIENT
        view = screen.query_one(ByServiceView)
        await pilot.pause()
        assert app.focused is view.left
        assert keys_of(view.left) == ["getAddress.v1", "getFamily.v2", "getPerson.v1",
                                      "listChanges"]
        for key, focused in (("3", screen.matrix), ("2", screen.query_one(BySubjectView).left),
                             ("3", screen.matrix), ("1", view.left)):
            await pilot.press(key)
            await pilot.pause()
            assert app.focused is focused, key  # the view's main widget, its tab shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AccessRightsScreen),
                       what="back")


async def test_the_palette_opens_the_matrix_of_the_chosen_client(
        initialised: Initialised, config, secrets) -> None:
    from console.commands import kapka_commands

    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await dashboard_loaded(pilot)
        commands = {command.name: command for command in kapka_commands(app)}
        assert "access: open" in commands  # reading rights is no write: offered in read-only
        commands["access: matrix"].callback()
        chooser = await until_screen(pilot, ClientChooser)
        chooser.query_one(OptionList).highlighted = 0
        await pilot.press("enter")
        screen = await until_screen(pilot, AccessRightsScreen)
        await wait_for(pilot, lambda: screen.loads >= 1, what="loaded")
        await pilot.pause()
        assert screen.client_id == CLIENT and app.focused is screen.matrix


async def test_by_service_grants_to_chosen_subjects_and_revokes_one(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT)
        view = screen.query_one(ByServiceView)
        highlight(view.left, "getFamily.v2")
        await pilot.pause()
        assert keys_of(view.right) == [registry.clerks]
        await pilot.press("a")
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="candidates")
        assert registry.clerks not in picker.found  # holds the right already
        search = picker.query_one("#picker-search", Input)
        search.value = "no-such-subject"
        search.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: picker.searches >= 2, what="the search")
        status = picker.query_one("#picker-status")
        assert status.has_class("-problem") and not picker.found
        assert "Nothing matches 'no-such-subject'; the server knows no such subject" in \
            str(status.render())
        assert picker.query_one("#picker-ok").disabled  # an unknown subject cannot be chosen
        search.value = ""
        search.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: picker.searches >= 3, what="all candidates")
        picker.choose(CADASTRE, REGISTRIES)
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        assert screen.model.counts() == (2, 0)
        assert keys_of(view.right) == [CADASTRE, REGISTRIES, registry.clerks]
        view.right.focus()
        highlight(view.right, registry.clerks)
        await pilot.press("d")
        assert screen.model.state("getFamily", registry.clerks) == "pending-revoke"
        await pilot.press("u")  # changed my mind
        assert screen.model.counts() == (2, 0)
        preview = await apply_all(pilot, screen, 2)
        assert {(c.subject, c.action) for c in preview.plan.changes} == {
            (CADASTRE, "grant"), (REGISTRIES, "grant")}
        assert len(preview.plan.calls) == 1  # one service, two subjects: one call
    rights = server_rights(state, CLIENT)
    assert {("getFamily", CADASTRE), ("getFamily", REGISTRIES),
            ("getFamily", registry.clerks)} <= rights


async def test_by_subject_gives_services_and_finds_a_new_subject(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="subject")
        view = screen.query_one(BySubjectView)
        assert keys_of(view.left) == [PERMITS, registry.clerks]
        assert app.focused is view.left
        assert keys_of(view.right) == ["getAddress.v1", "getPerson.v1"]
        await pilot.press("a")
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="services")
        assert sorted(picker.found) == ["getFamily.v2", "listChanges"]
        picker.choose("listChanges")
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        assert screen.model.state("listChanges", PERMITS) == "pending-grant"

        await pilot.press("n")
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="candidates")
        picker.choose(TRACKING)
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        assert view.subject == TRACKING and keys_of(view.right) == []
        await pilot.press("a")
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="services")
        picker.choose("getPerson.v1")
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await wait_for(pilot, lambda: app.screen is screen, what="back")
        preview = await apply_all(pilot, screen, 2)
        assert len(preview.plan.changes) == 2
    assert {("listChanges", PERMITS), ("getPerson", TRACKING)} <= server_rights(state, CLIENT)
