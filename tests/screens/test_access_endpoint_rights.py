"""Rights on single endpoints of an OpenAPI service against the sandbox: read with one request per
endpoint, shown as ◐ in the matrix with the endpoints named under it, listed in both views; a
service-level grant or revocation on such a cell leaves the endpoint rights on the server."""

from __future__ import annotations

from typing import Any

from access_support import (
    CADASTRE,
    CLIENT,
    PERMITS,
    matrix_text,
    open_access,
    press_button,
    registry_client,
    reloaded,
    server_rights,
)
from keys_support import confirm, dialog, record_notifications, start
from rich.cells import cell_len
from screen_support import Initialised, api_key, asgi, client_for, wait_for
from textual.widgets import DataTable, Static

from backend.sandbox.servicedesc.fetch import Fetched
from screens.access.by_service import ByServiceView
from screens.access.by_subject import BySubjectView
from screens.access.changes import ApplyDialog, PlanPreview
from screens.access.data import load_access
from screens.access.endpoint_rights import endpoint_only_message
from screens.help import HelpScreen
from tests.acl.acl_support import server_client

SIZE = (120, 36)
PETSTORE_URL = "http://127.0.0.1:9/petstore.yaml"
PETSTORE = b"""openapi: 3.0.2
info: {title: Pet store, version: "1.0"}
servers: [{url: "https://pets.registry.sandbox.test/api"}]
paths:
  /pets:
    get: {summary: list, responses: {"200": {description: OK}}}
    post: {summary: add, responses: {"201": {description: Created}}}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: string}}]
    get: {summary: one, responses: {"200": {description: OK}}}
"""


async def with_petstore(state: Any) -> tuple[Any, dict[str, str]]:
    """The registry client with an OpenAPI service ``pets`` (GET /pets, POST /pets,
    GET /pets/{petId}); permits may call GET /pets, cadastre POST /pets: endpoint rights only,
    given through the API. The registry and the endpoint ids by "METHOD path"."""
    registry = await registry_client(state)
    state.add_service_description(CLIENT, "OPENAPI3", PETSTORE_URL, rest_service_code="pets",
                                  fetched=Fetched(PETSTORE_URL, content=PETSTORE))
    api = client_for(asgi(state), api_key(state))
    try:
        descriptions = await api.services.descriptions(CLIENT)
        endpoints = {f"{e.method} {e.path}": str(e.id) for d in descriptions for s in d.services
                     for e in s.endpoints if s.service_code == "pets"}
        await api.access.grant_endpoint(endpoints["GET /pets"], [PERMITS])
        await api.access.grant_endpoint(endpoints["POST /pets"], [CADASTRE])
    finally:
        await api.aclose()
    return registry, endpoints


async def endpoint_holders(state: Any, endpoint_id: str) -> set[str]:
    """Who may call the endpoint, as the server's API says."""
    api = client_for(asgi(state), api_key(state))
    try:
        return {holder.id for holder in await api.access.endpoint_clients(endpoint_id)}
    finally:
        await api.aclose()


def detail(screen: Any) -> list[str]:
    return str(screen.query_one("#matrix-cell", Static).render()).split("\n")


async def test_loading_reads_endpoint_rights_once_per_endpoint(populated_state) -> None:
    state = populated_state
    await with_petstore(state)
    client, app, _journal = server_client(state)
    try:
        data = await load_access(client, CLIENT)
    finally:
        await client.aclose()
    gets = [seen.path for seen in app.seen if seen.method == "GET"]
    endpoint_reads = sorted(path for path in gets if "/endpoints/" in path)
    assert len(endpoint_reads) == 3 and len(set(endpoint_reads)) == 3  # each REST endpoint once
    assert len(gets) <= 3 + 3 + 5  # frame, endpoints, service-level rights (the cheaper way)
    assert data.endpoint_rights == {("pets", PERMITS): ("GET /pets",),
                                    ("pets", CADASTRE): ("POST /pets",)}
    assert CADASTRE in {col.id for col in data.subjects}  # known from the endpoint listing only
    pets = next(row for row in data.services if row.code == "pets")
    assert pets.endpoint_count == 3


async def test_the_matrix_marks_endpoint_rights_and_a_grant_keeps_them(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    _registry, endpoints = await with_petstore(state)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        model = screen.model
        title = str(screen.query_one("#access-title", Static).render())
        assert title.endswith("3 rights and 2 on single endpoints")
        legend = str(screen.query_one("#matrix-legend", Static).render())
        assert "◐ some endpoints only" in legend
        await pilot.press("question_mark")  # the keys of the matrix, and what its marks mean
        help_screen = await dialog(pilot, HelpScreen)
        note = str(help_screen.query_one("#help-note", Static).render())
        assert "◐ rights on some REST endpoints of the service only" in note
        assert "space on a ◐ cell stages a grant of the whole service" in note
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="help closed")
        await pilot.press("slash", "p", "e", "t", "s", "enter")
        assert [model.service_at(row).code for row in range(model.row_count)] == ["pets"]
        await pilot.press("ctrl+left")
        while model.current[1].id != PERMITS:
            await pilot.press("right")
        await pilot.pause()
        assert model.state("pets", PERMITS) == "partial"
        assert "[◐]" in matrix_text(screen.matrix, 3)[2]
        lines = detail(screen)
        assert lines[0].startswith("◐ rights on some endpoints only: pets × subsystem: ")
        assert lines[1] == "rights on 1 of 3 endpoints: GET /pets"
        assert all(cell_len(line) <= 118 for line in lines)

        await pilot.press("space")  # a grant of the whole service
        assert model.changes()[0].kind == "grant"
        await pilot.pause()
        assert detail(screen) == [
            lines[0].replace("◐ rights on some endpoints only", "+ service-level grant pending"),
            "rights on 1 of 3 endpoints stay as they are: GET /pets"]
        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        summary = str(preview.query_one(".plan-summary", Static).render())
        assert "Rights on single REST endpoints are kept apart" in summary
        assert f"{PERMITS}, pets: a grant of the whole service; its rights on GET /pets stay" in \
            summary
        assert len(preview.plan.calls) == 1 and preview.plan.calls[0].changes[0].endpoint_id is None
        await press_button(pilot, preview, "#plan-apply")
        apply = await dialog(pilot, ApplyDialog)
        await wait_for(pilot, lambda: apply.result is not None, what="applied")
        assert apply.result.ok
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
        assert screen.model.state("pets", PERMITS) == "granted"
        assert screen.model.endpoints("pets", PERMITS) == ("GET /pets",)
        assert detail(screen)[1] == "and rights of its own on 1 of 3 endpoints: GET /pets"
    assert ("pets", PERMITS) in server_rights(state, CLIENT)
    assert await endpoint_holders(state, endpoints["GET /pets"]) == {PERMITS}
    assert await endpoint_holders(state, endpoints["POST /pets"]) == {CADASTRE}


async def test_revoking_the_service_level_right_leaves_the_endpoint_right(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    _registry, endpoints = await with_petstore(state)
    api = client_for(asgi(state), api_key(state))
    await api.access.grant_subject(CLIENT, PERMITS, ["pets"])  # the whole service as well
    await api.aclose()
    app = start(initialised, config, secrets)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="matrix")
        model = screen.model
        await pilot.press("slash", "p", "e", "t", "s", "enter", "ctrl+left")
        cadastre = next(col for col in range(model.col_count) if model.subject_at(col).id == CADASTRE)
        permits = next(col for col in range(model.col_count) if model.subject_at(col).id == PERMITS)
        model.move_to(0, cadastre)
        await pilot.press("r")  # ◐: nothing service-level to revoke, and it says so
        assert not model.pending
        assert [message for title, message in told if title == "Endpoint rights stay"] == [
            endpoint_only_message(1)]
        await pilot.press("space", "r")  # r drops the staged grant: that is no "nothing to revoke"
        assert not model.pending and len(told) == 1
        model.move_to(0, permits)
        await pilot.press("r")
        assert model.state("pets", PERMITS) == "pending-revoke"
        await pilot.pause()
        assert detail(screen)[1] == "rights on 1 of 3 endpoints stay as they are: GET /pets"
        await pilot.press("p")
        preview = await dialog(pilot, PlanPreview)
        summary = str(preview.query_one(".plan-summary", Static).render())
        assert "the service-level right is revoked; its rights on GET /pets stay" in summary
        assert [call.by for call in preview.plan.calls] == ["service"]  # by subject would take both
        await press_button(pilot, preview, "#plan-apply")
        await confirm(pilot)
        apply = await dialog(pilot, ApplyDialog)
        await wait_for(pilot, lambda: apply.result is not None, what="applied")
        assert apply.result.ok
        await press_button(pilot, apply, "#apply-close")
        await reloaded(pilot, screen, 2)
        assert screen.model.state("pets", PERMITS) == "partial"
    assert ("pets", PERMITS) not in server_rights(state, CLIENT)
    assert await endpoint_holders(state, endpoints["GET /pets"]) == {PERMITS}


async def test_both_views_list_endpoint_rights(initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    await with_petstore(state)
    app = start(initialised, config, secrets)
    told = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_access(pilot, CLIENT, view="service")
        view = screen.query_one(ByServiceView)
        view.left.move_cursor(row=view.left.get_row_index("pets"), animate=False)
        await pilot.pause()
        assert [str(cell) for cell in view.left.get_row("pets")][:2] == ["pets", "0 + 2 ◐"]
        rows = {key: [str(cell) for cell in view.right.get_row(key)]
                for key in (PERMITS, CADASTRE)}
        assert rows[PERMITS][:3] == ["◐ endpoints", PERMITS, "GET /pets"]
        assert rows[CADASTRE][2] == "POST /pets"
        hint = str(view.query_one(".view-hint", Static).render())
        assert "◐: rights on some endpoints only" in hint
        view.right.move_cursor(row=view.right.get_row_index(PERMITS), animate=False)
        view.right.focus()
        await pilot.press("d")  # nothing service-level to revoke
        assert not screen.model.pending
        assert any(title == "Endpoint rights stay" for title, _message in told)

        await pilot.press("2")
        subjects = screen.query_one(BySubjectView)
        await wait_for(pilot, lambda: subjects.left.row_count > 0, what="subjects")
        assert [str(cell) for cell in subjects.left.get_row(CADASTRE)][1] == "0 + 1 ◐"
        subjects.left.move_cursor(row=subjects.left.get_row_index(PERMITS), animate=False)
        await pilot.pause()
        table: DataTable = subjects.right
        services = {str(row.key.value): [str(cell) for cell in table.get_row(row.key)]
                    for row in table.ordered_rows}
        assert services["pets"][:3] == ["◐ endpoints", "pets", "GET /pets"]
        assert services["getPerson.v1"][:3] == ["✓ right", "getPerson.v1", ""]
        hint = str(subjects.query_one(".view-hint", Static).render())
        assert hint.startswith(f"subsystem: {PERMITS}") and "◐: rights on some endpoints" in hint
