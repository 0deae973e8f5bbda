"""The clients tree when it is read again: members the operator closed stay closed, and the cursor
stays on the same client even when rows above it came or went."""

from __future__ import annotations

from clients_screen_support import OWNER, REGISTRY, labels, open_clients, register_server
from keys_support import start
from screen_support import Initialised, wait_for

TRACKING = "SANDBOX-KG:COM:50010001:tracking"
BILLING = "SANDBOX-KG:COM:50010000:billing"


async def reload(pilot, clients) -> None:
    loads = clients.loads
    await pilot.press("r")
    await wait_for(pilot, lambda: clients.loads > loads, what="reloaded")
    await pilot.pause()


async def test_closed_members_and_the_cursor_survive_a_reload(
        initialised: Initialised, config, secrets) -> None:
    state = register_server(initialised)
    state.add_client("GOV", "70000001", "registry")
    state.add_client("COM", "50010001", "tracking")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(100, 30)) as pilot:
        clients = await open_clients(pilot)
        tree = clients.tree
        assert clients.select(OWNER)
        await pilot.press("space")  # the operator closes the owner's subsystems
        await pilot.pause()
        assert not any(line.startswith("  registry") for line in labels(tree))
        assert clients.select(TRACKING)
        line = tree.cursor_line

        # another member's subsystem comes in above the cursor (COM:50010000 sorts first)
        state.add_client("COM", "50010000", "billing", ignore_warnings=True)
        await reload(pilot, clients)
        shown = labels(tree)
        assert tree.cursor_node.data == TRACKING and tree.cursor_line == line + 2
        assert clients.selected == TRACKING and clients.current_client().id == TRACKING
        assert not any(line.startswith("  registry") for line in shown)  # still closed
        assert any(line.startswith("  billing") for line in shown)  # a new member opens

        # the client above goes away: still on the same one, the owner still closed
        state.delete_client(BILLING)
        await reload(pilot, clients)
        assert tree.cursor_node.data == TRACKING and tree.cursor_line == line
        assert not any("billing" in line or line.startswith("  registry") for line in labels(tree))

        # choosing a client under a closed member opens it
        assert clients.select(REGISTRY)
        assert tree.cursor_node.data == REGISTRY
        assert any(line.startswith("  registry") for line in labels(tree))
