"""The services tree after an action (the screen loads again): nodes the operator closed stay
closed, the others open, and the cursor stays on the same description, service or endpoint even
when its row moved; a node that is gone takes the cursor to its parent."""

from __future__ import annotations

from clients_screen_support import REGISTRY, finished, labels, open_services
from keys_support import confirm, start
from screen_support import Initialised, wait_for

PETSTORE = f"{REGISTRY}:petstore"


def opened(tree) -> dict[str, bool]:
    """Every node that can open, by its identity: open or not."""
    from screens.widgets.tree_state import walk

    return {node.data: node.is_expanded for node in walk(tree.root) if node.allow_expand}


async def test_closed_nodes_and_the_cursor_survive_an_action_and_its_reload(
        initialised: Initialised, config, secrets, journal, description_server) -> None:
    state = initialised.state
    state.add_client("GOV", "70000001", "registry")
    openapi = state.add_service_description(REGISTRY, "OPENAPI3",
                                            description_server.url("openapi/valid.yaml"),
                                            rest_service_code="petstore")
    wsdl = state.add_service_description(REGISTRY, "WSDL", description_server.url("wsdl/valid.wsdl"))
    extra = state.add_endpoint(REGISTRY, "petstore", "GET", "/extra")
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(110, 40)) as pilot:
        services = await open_services(pilot, REGISTRY)
        tree = services.tree
        assert all(opened(tree).values())  # everything open the first time

        # the operator closes the WSDL description and stays on it
        assert services.select(f"description:{wsdl}")
        await pilot.press("space")
        await pilot.pause()
        line = tree.cursor_line
        assert not tree.cursor_node.is_expanded
        assert not any(label.startswith("  xroadGetRandom") for label in labels(tree))

        # meanwhile a REST description appears above it (REST sorts between OpenAPI and WSDL)
        rest = state.add_service_description(REGISTRY, "REST", "http://127.0.0.1:9/people",
                                             rest_service_code="people")
        before = services.generation
        await pilot.press("e")  # enable the WSDL description: the screen loads again after it
        await finished(pilot, services, before)
        assert services.descriptions[-1].disabled is False

        assert tree.cursor_node.data == f"description:{wsdl}"  # the same node, on another row
        assert tree.cursor_line > line
        assert services.selection is not None and services.selection.ident == f"description:{wsdl}"
        state_now = opened(tree)
        assert state_now[f"description:{wsdl}"] is False  # still closed
        assert state_now[f"description:{openapi}"] and state_now[f"service:{PETSTORE}"]
        assert state_now[f"description:{rest}"]  # a new node opens as usual
        assert not any(label.startswith("  xroadGetRandom") for label in labels(tree))

        # the operator closes the petstore service, opens the WSDL description again, and
        # deletes the endpoint they made: the cursor goes to its service, which stays open
        assert services.select(f"service:{PETSTORE}")
        await pilot.press("space")
        assert services.select(f"description:{wsdl}")
        await pilot.press("space")
        await pilot.pause()
        assert services.select(f"endpoint:{extra}")  # opens the petstore service to show it
        before = services.generation
        await pilot.press("d")
        await confirm(pilot)
        await finished(pilot, services, before)
        assert state.db.execute("SELECT COUNT(*) FROM endpoints WHERE id = ?",
                                (extra,)).fetchone()[0] == 0
        assert tree.cursor_node.data == f"service:{PETSTORE}"
        assert not any("/extra" in label for label in labels(tree))
        state_now = opened(tree)
        assert state_now[f"service:{PETSTORE}"] and state_now[f"description:{wsdl}"]
        assert any(label.startswith("  xroadGetRandom") for label in labels(tree))

        # a plain reload (r) keeps it all as well
        shown = labels(tree)
        loads = services.loads
        await pilot.press("r")
        await wait_for(pilot, lambda: services.loads > loads, what="reloaded")
        await pilot.pause()
        assert labels(tree) == shown and tree.cursor_node.data == f"service:{PETSTORE}"
