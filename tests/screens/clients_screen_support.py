"""Helpers for the clients and services tests: a registered sandbox server, opening the screens,
waiting for their actions, reading the tree."""

from __future__ import annotations

from typing import Any

from backend.sandbox import centralserver

INSTANCE = "SANDBOX-KG"
OWNER = f"{INSTANCE}:GOV:70000001"
REGISTRY = f"{OWNER}:registry"
OBSERVER = ["XROAD_SECURITYSERVER_OBSERVER"]
REGISTRATION_OFFICER = ["XROAD_REGISTRATION_OFFICER"]
SERVICE_ADMINISTRATOR = ["XROAD_SERVICE_ADMINISTRATOR"]


def register_server(initialised: Any) -> Any:
    """The server's authentication certificate registered and approved (the owner REGISTERED)."""
    state = initialised.state
    state.register_certificate(initialised.auth_hash, "ss1.example.kg")
    centralserver.approve_pending(state)
    return state


async def open_clients(pilot: Any, *, loads: int = 1) -> Any:
    """Press ``l`` on the dashboard and wait until the clients screen has loaded."""
    from screen_support import wait_for

    from screens.clients import ClientsScreen
    from screens.dashboard import DashboardScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DashboardScreen), what="dashboard")
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ClientsScreen)
                   and pilot.app.screen.loads >= loads, what="clients screen")
    await pilot.pause()
    return pilot.app.screen


async def open_services(pilot: Any, client_id: str) -> Any:
    """The services screen of ``client_id``, pushed directly, once loaded."""
    from screen_support import wait_for

    from screens.dashboard import DashboardScreen
    from screens.services import ServicesScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DashboardScreen), what="dashboard")
    screen = ServicesScreen(client_id)
    pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: screen.loads >= 1, what="services screen")
    await pilot.pause()
    return screen


async def finished(pilot: Any, screen: Any, before: int) -> Any:
    """Wait until an action started at ``screen.generation == before`` is done and shown."""
    from screen_support import wait_for

    await wait_for(pilot, lambda: screen.generation > before and not screen.busy
                   and screen.loaded_generation >= screen.generation, what="action finished")
    await pilot.pause()
    return screen


def labels(tree: Any) -> list[str]:
    """Every visible line of a tree, as plain text with its depth as indentation."""
    found = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None:
            depth, parent = 0, node.parent
            while parent is not None and parent is not tree.root:
                depth, parent = depth + 1, parent.parent
            found.append("  " * depth + str(node.label.plain))
    return found


def effect_text(screen: Any) -> str:
    effect = screen.effect
    return effect if isinstance(effect, str) else effect.plain


def text_of(widget: Any) -> str:
    """The text a Static shows."""
    content = widget.content
    return str(getattr(content, "plain", content))


def problem_text(dialog: Any) -> str:
    return text_of(dialog.query_one("#dialog-problem"))
