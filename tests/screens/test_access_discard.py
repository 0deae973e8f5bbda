"""Staged access-right changes are not lost without asking: reloading, leaving the screen (escape
or an app key) and switching to another client ask first, with Cancel focused; with nothing
staged (or after an apply) nothing is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from access_support import CLIENT, PERMITS, open_access, press_button, registry_client, reloaded
from keys_support import dialog, record_notifications, start
from screen_support import Initialised, until_screen, wait_for
from textual.widgets import Button, OptionList

from screens.access import AccessRightsScreen, LocalGroupsScreen
from screens.access.changes import ApplyDialog, PlanPreview
from screens.access.chooser import ClientChooser
from screens.keys import KeysScreen
from screens.widgets.confirm import ConfirmDialog

SIZE = (120, 36)
OWNER = "SANDBOX-KG:GOV:70000001"


def effect_of(confirm: ConfirmDialog) -> str:
    effect = confirm.effect
    return effect if isinstance(effect, str) else effect.plain


async def asked(pilot, count: int, doing: str) -> ConfirmDialog:
    """The discard question on top: Cancel focused, how many changes and what drops them."""
    confirm = await dialog(pilot, ConfirmDialog)
    assert pilot.app.focused is confirm.query_one("#cancel", Button)
    text = effect_of(confirm)
    assert f"{count} staged change" in text and f"{doing} drops" in text, text
    assert str(confirm.query_one("#confirm", Button).label).startswith(f"Discard {count} change")
    return confirm


@asynccontextmanager
async def registry_matrix(initialised: Initialised, config, secrets) -> AsyncIterator[tuple]:
    """A running console on the registry client's access-rights matrix: (app, pilot, screen,
    what ``registry_client`` set up)."""
    registry = await registry_client(initialised.state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        yield app, pilot, await open_access(pilot, CLIENT, view="matrix"), registry


async def stage_two(pilot, screen: AccessRightsScreen) -> None:
    """In the matrix: a revocation (permits × getAddress) and a grant (clerks × getAddress)."""
    await pilot.press("space", "ctrl+right", "space")
    await pilot.pause()
    assert screen.model.counts() == (1, 1)


async def test_reload_with_staged_changes_asks_cancel_keeps_them_discard_drops_them(
        initialised: Initialised, config, secrets) -> None:
    async with registry_matrix(initialised, config, secrets) as (app, pilot, screen, registry):
        await stage_two(pilot, screen)
        staged = dict(screen.model.pending)
        assert staged == {("getAddress", PERMITS): "revoke", ("getAddress", registry.clerks): "grant"}

        await pilot.press("ctrl+r")
        confirm = await asked(pilot, 2, "Reloading")
        assert "1 grant and 1 revocation" in effect_of(confirm)
        await pilot.press("enter")  # Cancel has the focus: keep editing
        await wait_for(pilot, lambda: app.screen is screen, what="back on the matrix")
        await pilot.pause(0.2)
        assert screen.loads == 1 and screen.model.pending == staged
        assert app.focused is screen.matrix

        screen.error_panel.show_error(title="Failed", message="Something failed.")
        screen.error_panel.post_message(screen.error_panel.Retry())  # Retry asks the same way
        await asked(pilot, 2, "Reloading")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the matrix")
        assert screen.model.pending == staged

        told = record_notifications(app)
        await pilot.press("ctrl+r")
        await press_button(pilot, await asked(pilot, 2, "Reloading"), "#confirm")
        await reloaded(pilot, screen, 2)
        assert not screen.model.pending
        assert "no changes pending" in str(screen.query_one("#access-pending").render())
        assert any("Dropped 2 staged changes; nothing was sent." in message for _t, message in told)


async def test_no_question_when_nothing_is_staged_or_after_an_apply(
        initialised: Initialised, config, secrets) -> None:
    async with registry_matrix(initialised, config, secrets) as (app, pilot, screen, _registry):
        pushed: list[object] = []
        original = app.push_screen

        def push(target, *args, **kwargs):
            pushed.append(target)
            return original(target, *args, **kwargs)

        app.push_screen = push
        await pilot.press("ctrl+r")
        await reloaded(pilot, screen, 2)
        assert not any(isinstance(target, ConfirmDialog) for target in pushed)

        await pilot.press("space")  # a toggle and its undo: nothing staged again
        await pilot.press("space")
        assert not screen.model.pending
        await pilot.press("ctrl+r")
        await reloaded(pilot, screen, 3)

        await pilot.press("ctrl+right", "space")  # a grant, applied
        assert len(screen.model.pending) == 1
        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        await press_button(pilot, preview, "#plan-apply")
        apply = await dialog(pilot, ApplyDialog)
        await wait_for(pilot, lambda: apply.result is not None, what="applied")
        assert apply.result.ok
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 4)
        assert not screen.model.pending
        await pilot.press("escape")  # leaves at once
        await wait_for(pilot, lambda: not isinstance(app.screen, AccessRightsScreen), what="left")
        assert not any(isinstance(target, ConfirmDialog) for target in pushed)


async def test_leaving_with_escape_or_an_app_key_asks_first(
        initialised: Initialised, config, secrets) -> None:
    async with registry_matrix(initialised, config, secrets) as (app, pilot, screen, _registry):
        await stage_two(pilot, screen)

        await pilot.press("v", "escape")  # the matrix's escape drops its selection first
        await pilot.pause()
        assert app.screen is screen and screen.model.anchor is None
        await pilot.press("escape")
        await asked(pilot, 2, "Leaving the access rights")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="still here")
        await pilot.press("1")  # the by-service view shares the change set
        await pilot.press("escape")
        await asked(pilot, 2, "Leaving the access rights")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="still here")
        assert len(screen.model.pending) == 2

        await pilot.press("k")  # the app's keys screen would close this one
        await asked(pilot, 2, "Leaving the access rights")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="still here")
        await pilot.pause(0.2)
        assert app.screen is screen and len(screen.model.pending) == 2

        await pilot.press("k")
        await press_button(pilot, await asked(pilot, 2, "Leaving the access rights"), "#confirm")
        await until_screen(pilot, KeysScreen)
        assert screen not in app.screen_stack


async def test_switching_to_another_client_asks_and_replaces_the_screen(
        initialised: Initialised, config, secrets) -> None:
    async with registry_matrix(initialised, config, secrets) as (app, pilot, screen, _registry):
        depth = len(app.screen_stack)
        await stage_two(pilot, screen)

        async def choose(client: str) -> None:
            await pilot.press("a")
            chooser = await until_screen(pilot, ClientChooser)
            ids = [client.id for client in chooser.clients]
            chooser.query_one(OptionList).highlighted = ids.index(client)
            await pilot.press("enter")

        await choose(OWNER)
        await asked(pilot, 2, f"Switching to {OWNER}")
        await pilot.press("enter")  # Cancel
        await wait_for(pilot, lambda: app.screen is screen, what="still here")
        assert len(screen.model.pending) == 2

        await choose(CLIENT)  # the same client: nothing to ask, nothing lost
        await wait_for(pilot, lambda: app.screen is screen, what="still here")
        await pilot.pause(0.2)
        assert app.screen is screen and app.focused is screen.matrix
        assert len(screen.model.pending) == 2

        await choose(OWNER)
        await press_button(pilot, await asked(pilot, 2, f"Switching to {OWNER}"), "#confirm")
        other = await until_screen(pilot, AccessRightsScreen)
        await wait_for(pilot, lambda: other is not screen, what="the other client")
        assert other.client_id == OWNER and len(app.screen_stack) == depth
        assert screen not in app.screen_stack


async def test_back_from_local_groups_keeps_what_is_staged(
        initialised: Initialised, config, secrets) -> None:
    async with registry_matrix(initialised, config, secrets) as (_app, pilot, screen, _registry):
        await stage_two(pilot, screen)
        staged = dict(screen.model.pending)
        await pilot.press("l")
        groups = await until_screen(pilot, LocalGroupsScreen)
        await wait_for(pilot, lambda: groups.loads >= 1, what="groups")
        await pilot.press("escape")
        await reloaded(pilot, screen, 2)  # read again: a group may have changed
        assert screen.model.pending == staged


async def test_leaving_from_the_command_palette_asks_first(
        initialised: Initialised, config, secrets) -> None:
    """The palette's commands call the app's screen methods directly, past the screen's keys."""
    async with registry_matrix(initialised, config, secrets) as (app, pilot, screen, _registry):
        await stage_two(pilot, screen)
        for leave in (app.show_dashboard, app.show_keys, app.show_clients, app.show_archives,
                      app.action_connect_screen):
            leave()
            await asked(pilot, 2, "Leaving the access rights")
            await pilot.press("enter")  # Cancel
            await wait_for(pilot, lambda: app.screen is screen, what="still here")
            assert len(screen.model.pending) == 2

        app.show_keys()
        await press_button(pilot, await asked(pilot, 2, "Leaving the access rights"), "#confirm")
        await until_screen(pilot, KeysScreen)
        assert screen not in app.screen_stack
