"""The matrix against the sandbox: grant to several subjects, revoke after a confirmation that
starts on Cancel, filter, preview, apply with a result per right; a plan that no longer fits."""

from __future__ import annotations

from access_support import (
    CLIENT,
    PERMITS,
    TRACKING,
    open_access,
    press_button,
    registry_client,
    reloaded,
    server_rights,
)
from keys_support import confirm, dialog, record_notifications, start
from screen_support import Initialised, api_key, asgi, client_for, wait_for
from textual.widgets import Button, DataTable, Input

from screens.access.changes import ApplyDialog, PlanPreview
from screens.access.matrix_model import Change
from screens.access.picker import CandidatePicker
from screens.widgets.confirm import ConfirmDialog

SIZE = (120, 36)


async def applied(pilot, title_has: str = "") -> ApplyDialog:
    """Wait for the apply dialog to finish; its result."""
    apply = await dialog(pilot, ApplyDialog)
    await wait_for(pilot, lambda: apply.result is not None, what="apply finished")
    await pilot.pause()
    assert pilot.app.focused is apply.query_one("#apply-close", Button)
    return apply


def results(apply: ApplyDialog) -> list[str]:
    table = apply.query_one("#plan-table", DataTable)
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


async def test_grant_from_the_matrix_to_several_subjects(initialised: Initialised, config, secrets,
                                                         journal) -> None:
    state = initialised.state
    registry = await registry_client(state)
    before = server_rights(state, CLIENT)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        matrix = screen.matrix
        model = matrix.model
        assert [row.code for row in model.services] == [
            "getAddress.v1", "getFamily.v2", "getPerson.v1", "listChanges"]
        assert [col.id for col in model.subjects] == [PERMITS, registry.clerks]
        await pilot.press("slash")
        assert app.focused is screen.query_one("#matrix-filter", Input)
        await pilot.press("g", "e", "t", "enter")
        assert model.row_count == 3 and app.focused is matrix

        await pilot.press("plus")  # a subject column from the server's candidates
        picker = await dialog(pilot, CandidatePicker)
        await wait_for(pilot, lambda: picker.searches >= 1, what="candidates")
        assert PERMITS not in picker.found and TRACKING in picker.found
        picker.choose(TRACKING)
        await pilot.pause()
        await press_button(pilot, picker, "#picker-ok")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the matrix")
        assert [col.id for col in model.subjects] == [TRACKING, PERMITS, registry.clerks]
        assert model.current[1].id == TRACKING and model.filter_text == "get"

        await pilot.press("home", "ctrl+left", "shift+down", "shift+down", "shift+right", "g")
        assert model.counts() == (4, 0)  # permits may call getAddress and getPerson already
        status = screen.query_one("#access-pending").render()
        assert "4 grants pending" in str(status)

        await pilot.press("enter")
        preview = await dialog(pilot, PlanPreview)
        assert app.focused is preview.query_one("#plan-cancel", Button)
        assert len(preview.plan.grants) == 4 and not preview.plan.revocations
        assert len(preview.plan.calls) == 2  # tracking: 3 services; getFamily: permits
        await press_button(pilot, preview, "#plan-apply")
        apply = await applied(pilot)  # grants only: no confirmation
        assert apply.result.ok and results(apply) == ["✓ done"] * 4
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
        assert not screen.model.pending
        assert screen.model.state("getFamily", PERMITS) == "granted"
    assert server_rights(state, CLIENT) == before | {
        ("getAddress", TRACKING), ("getFamily", TRACKING), ("getPerson", TRACKING),
        ("getFamily", PERMITS)}
    writes = [event for event in journal.tail(20) if event["method"] == "POST"
              and "local-groups" not in event["path"]]
    assert [event["outcome"] for event in writes] == ["ok", "ok"]


async def test_revoking_asks_first_with_cancel_focused_and_sends_once(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets, journal=journal)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        model = screen.model
        await pilot.press("slash", "p", "e", "r", "s", "o", "n", "space", "at", "enter")
        assert model.row_count == 1 and model.col_count == 2  # "@" alone: every subject
        await pilot.press("v", "right", "r")  # permits and clerks on getPerson
        assert model.counts() == (0, 1)  # clerks hold no right to getPerson
        assert model.state("getPerson", PERMITS) == "pending-revoke"
        await pilot.press("left")
        detail = str(screen.query_one("#matrix-cell").render())
        assert detail == (f"✗ revocation pending: getPerson.v1 (Person by personal number) × "
                          f"subsystem: {PERMITS} (Issyk-Kul Regional Administration)")

        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        assert "1 right is revoked" in str(preview.query(".plan-warning").first().render())
        await press_button(pilot, preview, "#plan-apply")
        question = await dialog(pilot, ConfirmDialog)
        assert app.focused is question.query_one("#cancel", Button)
        assert PERMITS in question.effect.plain
        await pilot.press("enter")  # Cancel
        await wait_for(pilot, lambda: not screen.busy and app.screen is screen, what="cancelled")
        assert ("Cancelled", "Cancelled; nothing was sent.") in told
        assert ("getPerson", PERMITS) in server_rights(state, CLIENT)
        assert model.counts() == (0, 1)  # still staged

        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        await press_button(pilot, preview, "#plan-apply")
        await confirm(pilot)
        apply = await applied(pilot)  # no second, generic confirmation on the way
        assert results(apply) == ["✓ done"]
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
        assert screen.model.state("getPerson", PERMITS) == "none"
    assert ("getPerson", PERMITS) not in server_rights(state, CLIENT)
    assert ("getFamily", registry.clerks) in server_rights(state, CLIENT)
    revokes = [event for event in journal.tail(20) if event["path"].endswith("/delete")]
    assert [event["outcome"] for event in revokes] == ["ok"]


async def test_a_grant_made_meanwhile_is_a_duplicate_and_nothing_is_applied(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        model = screen.model
        model.stage("grant", [("getFamily", PERMITS), ("listChanges", PERMITS)])
        screen.matrix.data_changed()
        other = client_for(asgi(state), api_key(state))  # someone else, at the same time
        await other.access.grant_subject(CLIENT, PERMITS, ["getFamily"])
        await other.aclose()
        rights = server_rights(state, CLIENT)
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.error_panel.visible and not screen.busy,
                       what="the plan's problem")
        assert app.screen is screen  # no preview, nothing sent
        assert screen.error_panel.error_title == "The plan does not fit the server; nothing was changed"
        assert "permits may call getFamily" in screen.error_panel.error_message or \
            "duplicate access right" in screen.error_panel.error_message
        assert server_rights(state, CLIENT) == rights
        assert model.counts() == (2, 0)  # the change set stays for the operator to fix


async def test_a_call_that_fails_shows_its_error_per_right_and_the_rest_stay_applied(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        model = screen.model
        model.stage("grant", [("listChanges", PERMITS)])
        model.stage("revoke", [("getAddress", PERMITS), ("getPerson", PERMITS)])
        screen.matrix.data_changed()
        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        assert [call.action for call in preview.plan.calls] == ["grant", "revoke"]
        other = client_for(asgi(state), api_key(state))  # meanwhile, someone revokes one
        await other.access.revoke_subject(CLIENT, PERMITS, ["getAddress"])
        await other.aclose()
        await press_button(pilot, preview, "#plan-apply")
        await confirm(pilot)
        apply = await applied(pilot)
        assert not apply.result.ok
        done = dict(zip([change.rights_code + " " + change.action
                         for change in preview.plan.changes], results(apply), strict=True))
        assert done["listChanges grant"] == "✓ done"
        assert done["getAddress revoke"].startswith("✗ failed: Not possible now: ")  # its title
        assert "(accessright_not_found)" in done["getAddress revoke"]
        assert done["getPerson revoke"] == done["getAddress revoke"]  # one call, all or nothing
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
        assert screen.error_panel.visible and screen.error_panel.error_title
        assert screen.model.changes() == [  # what was not applied and still fits stays staged
            Change("getPerson", PERMITS, "revoke")]
    assert ("listChanges", PERMITS) in server_rights(state, CLIENT)
    assert ("getPerson", PERMITS) in server_rights(state, CLIENT)
