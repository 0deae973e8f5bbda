"""Rights as code in the screen (export, plan a file, copy a subject's rights) and read-only
mode; a file naming a subject the server does not know applies nothing."""

from __future__ import annotations

from pathlib import Path

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
from keys_support import dialog, record_notifications, start
from screen_support import Initialised, wait_for
from textual.widgets import Input, Select

from screens.access.by_service import ByServiceView
from screens.access.changes import ApplyDialog, PlanPreview
from screens.access.rights_dialogs import CopyDialog, ExportDialog, RightsFileDialog

SIZE = (120, 36)


async def pick_path(pilot, kind: type, path: Path):
    """In a file or directory dialog: type ``path`` and press enter."""
    question = await dialog(pilot, kind)
    question.query_one("#picker-path", Input).value = str(path)
    question.query_one("#picker-path", Input).focus()
    await pilot.press("enter")
    return question


async def test_export_then_plan_the_edited_file_and_apply_it(
        initialised: Initialised, config, secrets, tmp_path: Path) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT)
        await pilot.press("e")
        await pick_path(pilot, ExportDialog, tmp_path)
        exported = tmp_path / "rights-SANDBOX-KG_GOV_70000001_registry.toml"
        await wait_for(pilot, exported.exists, what="the export")
        await wait_for(pilot, lambda: not screen.busy, what="done")
        assert told[-1][0] == "Exported"
        text = exported.read_text(encoding="utf-8")
        assert f'"{PERMITS}"' in text and '"clerks"' in text and "getFamily.v2" in text

        edited = text.replace(f'"{PERMITS}",', f'"{TRACKING}",').replace(
            f'"{PERMITS}"', f'"{TRACKING}"')  # permits' rights move to tracking
        wanted = tmp_path / "wanted.toml"
        wanted.write_text(edited, encoding="utf-8")
        await pilot.press("o")
        await pick_path(pilot, RightsFileDialog, wanted)
        preview = await dialog(pilot, PlanPreview)
        plan = preview.plan
        assert sorted((c.action, c.rights_code, c.subject) for c in plan.changes) == [
            ("grant", "getAddress", TRACKING), ("grant", "getPerson", TRACKING),
            ("revoke", "getAddress", PERMITS), ("revoke", "getPerson", PERMITS)]
        await press_button(pilot, preview, "#plan-apply")
        from keys_support import confirm

        await confirm(pilot)  # revocations: asked first
        apply = await dialog(pilot, ApplyDialog)
        await wait_for(pilot, lambda: apply.result is not None, what="applied")
        assert apply.result.ok
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
    assert server_rights(state, CLIENT) == {
        ("getAddress", TRACKING), ("getPerson", TRACKING), ("getFamily", registry.clerks)}


async def test_a_file_with_an_unknown_subject_applies_nothing(
        initialised: Initialised, config, secrets, tmp_path: Path) -> None:
    state = initialised.state
    await registry_client(state)
    before = server_rights(state, CLIENT)
    wanted = tmp_path / "wanted.toml"
    wanted.write_text(f'''version = 1

[[clients]]
id = "{CLIENT}"

[clients.services."getPerson.v1"]
subjects = ["{TRACKING}"]

[clients.services."getAddress.v1"]
subjects = ["SANDBOX-KG:GOV:79999999:nobody"]
''', encoding="utf-8")
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT)
        await pilot.press("o")
        await pick_path(pilot, RightsFileDialog, wanted)
        await wait_for(pilot, lambda: screen.error_panel.visible and not screen.busy,
                       what="the plan's problem")
        assert app.screen is screen
        panel = screen.error_panel
        assert panel.error_title == "The plan does not fit the server; nothing was changed"
        assert f"{wanted}:10:" in panel.error_message  # file, line and column
        assert "SANDBOX-KG:GOV:79999999:nobody is not known to the global configuration" in \
            panel.error_message
    assert server_rights(state, CLIENT) == before


async def test_copy_the_rights_of_one_subject_to_another(initialised: Initialised, config,
                                                         secrets) -> None:
    state = initialised.state
    registry = await registry_client(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT)
        await pilot.press("c")
        question = await dialog(pilot, CopyDialog)
        question.query_one("#copy-from", Select).value = PERMITS
        question.query_one("#copy-to", Select).value = registry.clerks
        await press_button(pilot, question, "#dialog-ok")
        preview = await dialog(pilot, PlanPreview)
        assert sorted((c.rights_code, c.subject) for c in preview.plan.changes) == [
            ("getAddress", "clerks"), ("getPerson", "clerks")]
        await press_button(pilot, preview, "#plan-apply")
        apply = await dialog(pilot, ApplyDialog)
        await wait_for(pilot, lambda: apply.result is not None, what="applied")
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
    assert {("getAddress", registry.clerks), ("getPerson", registry.clerks),
            ("getPerson", PERMITS)} <= server_rights(state, CLIENT)


async def test_read_only_mode_shows_rights_plans_files_and_never_offers_a_write(
        initialised: Initialised, config, secrets, tmp_path: Path) -> None:
    state = initialised.state
    await registry_client(state)
    before = server_rights(state, CLIENT)
    wanted = tmp_path / "wanted.toml"
    wanted.write_text(f'version = 1\n\n[[clients]]\nid = "{CLIENT}"\n\n'
                      f'[clients.services."listChanges"]\nsubjects = ["{PERMITS}"]\n',
                      encoding="utf-8")
    app = start(initialised, config, secrets, read_only=True)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        assert screen.model.rights  # shown
        await pilot.press("space", "g", "r", "plus")
        await pilot.pause()
        assert not screen.model.pending and app.screen is screen
        assert [title for title, _m in told] == ["Toggle", "Grant", "Revoke", "Add subject"]
        assert all("read-only" in message for _t, message in told)

        await pilot.press("1")
        view = screen.query_one(ByServiceView)
        assert view.check_action("add", ()) is None and "read-only" in view.disabled_reason("add")

        await pilot.press("o")  # a plan reads only: possible, but not its apply
        await pick_path(pilot, RightsFileDialog, wanted)
        preview = await dialog(pilot, PlanPreview)
        assert len(preview.plan.grants) == 1
        assert preview.query_one("#plan-apply").disabled
        assert "read-only" in str(preview.query(".plan-warning").last().render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and not screen.busy, what="closed")
    assert server_rights(state, CLIENT) == before


async def test_an_observer_sees_the_rights_and_is_told_it_may_not_change_them(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await registry_client(state)
    app = start(initialised, config, secrets, roles=["XROAD_SECURITYSERVER_OBSERVER"])
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.identity is not None, what="identity")
        screen = await open_access(pilot, CLIENT, view="matrix")
        assert screen.model.rights
        await pilot.press("g")
        await pilot.pause()
        assert not screen.model.pending
        assert told[-1] == ("Grant", "this API key lacks the service administrator role")
