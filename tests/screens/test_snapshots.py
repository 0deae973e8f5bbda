"""Snapshots of deterministic screens at 80×24 (review the SVGs before accepting a change)."""

from __future__ import annotations

from screen_support import FAST_KDF, PASSPHRASE, make_app, make_connector
from textual.pilot import Pilot
from textual.widgets import Input

from console.config import Config
from console.secrets import SecretStore
from screens.connect import ConnectScreen
from screens.help import HelpScreen


def first_start_app(config: Config):
    # the default secrets file, so the screen names it the same way everywhere: ~/.local/share/…
    secrets = SecretStore(prefer="file", kdf=FAST_KDF)
    secrets.unlock(PASSPHRASE)
    return make_app(make_connector(config, secrets), config)


async def settle(pilot: Pilot, kind: type) -> None:
    while not isinstance(pilot.app.screen, kind):
        await pilot.pause(0.02)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_connect_screen_at_first_start(snap_compare, config) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, ConnectScreen)

    assert snap_compare(first_start_app(config), terminal_size=(80, 24), run_before=run_before)


def test_help_screen_over_the_connect_screen(snap_compare, config) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, ConnectScreen)
        await pilot.press("f1")
        await settle(pilot, HelpScreen)

    assert snap_compare(first_start_app(config), terminal_size=(80, 24), run_before=run_before)
