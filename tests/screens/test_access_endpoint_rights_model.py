"""Rights on single REST endpoints in the access matrix's model and texts (no Textual, no server):
the ◐ state, staging next to them, the cell line, the preview's notes."""

from __future__ import annotations

from rich.cells import cell_len

from screens.access.endpoint_rights import (
    DETAIL_WIDTH,
    cell_detail,
    endpoint_list,
    endpoint_notes,
    endpoint_only_message,
)
from screens.access.matrix_model import GRANT, REVOKE, Change, MatrixModel, ServiceRow, SubjectColumn

PORTAL = SubjectColumn("KG:GOV:70000002:portal", "SUBSYSTEM", "State portal")
VETS = SubjectColumn("KG:COM:50010001:vets", "SUBSYSTEM", "")
CLERKS = SubjectColumn("7", "LOCALGROUP", "Clerks", code="clerks")
PETS = ServiceRow("pets", "Pet store", "KG:GOV:70000001:registry:pets", "pets", endpoint_count=3)
PERSON = ServiceRow("getPerson.v1", "Person by PIN", rights_code="getPerson")


def model() -> MatrixModel:
    """portal: the whole of pets and GET /pets of its own; vets: GET /pets and POST /pets only;
    clerks: getPerson."""
    return MatrixModel([PETS, PERSON], [PORTAL, VETS, CLERKS],
                       [("pets", PORTAL.id), ("getPerson", CLERKS.id)],
                       {("pets", PORTAL.id): ["GET /pets"],
                        ("pets", VETS.id): ["GET /pets", "POST /pets"],
                        ("pets", CLERKS.id): []})


def test_a_cell_with_endpoint_rights_only_is_partial_and_a_service_right_covers_it() -> None:
    m = model()
    assert m.state("pets", VETS.id) == "partial"
    assert m.state("pets", PORTAL.id) == "granted"  # endpoint rights of its own as well
    assert m.state("pets", CLERKS.id) == "none"  # an empty list is no right
    assert m.endpoints("pets", VETS.id) == ("GET /pets", "POST /pets")
    assert m.endpoints("getPerson", VETS.id) == ()
    assert m.endpoint_only([("pets", VETS.id), ("pets", PORTAL.id), ("getPerson", VETS.id)]) == [
        ("pets", VETS.id)]


def test_staging_on_a_partial_cell_is_service_level() -> None:
    m = model()
    m.toggle(("pets", VETS.id))  # space: a grant of the whole service
    assert m.state("pets", VETS.id) == "pending-grant"
    assert m.changes() == [Change("pets", VETS.id, GRANT)]
    m.toggle(("pets", VETS.id))
    assert m.state("pets", VETS.id) == "partial" and not m.pending
    assert m.stage(REVOKE, [("pets", VETS.id)]) == 0  # no service-level right to take away
    assert not m.pending and m.state("pets", VETS.id) == "partial"
    assert m.stage(REVOKE, [("pets", PORTAL.id)]) == 1
    assert m.state("pets", PORTAL.id) == "pending-revoke"
    assert m.endpoints("pets", PORTAL.id) == ("GET /pets",)  # kept beside the change


def test_the_views_list_subjects_and_services_with_endpoint_rights() -> None:
    m = model()
    assert [(col.id, state) for col, state in m.subjects_of("pets")] == [
        (VETS.id, "partial"), (PORTAL.id, "granted")]
    assert [(row.code, state) for row, state in m.services_of(VETS.id)] == [("pets", "partial")]
    assert m.services_of(CLERKS.id) == [(PERSON, "granted")]


def test_an_endpoint_list_fits_its_width_and_says_how_many_are_left_out() -> None:
    endpoints = ["GET /pets", "POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"]
    assert endpoint_list(endpoints, 80) == ", ".join(endpoints)
    assert endpoint_list([], 80) == ""
    cut = endpoint_list(endpoints, 32)
    assert cut == "GET /pets, POST /pets, … +2 more" and cell_len(cut) <= 32
    assert endpoint_list(endpoints, 20) == "GET /pets, … +3 more"
    for width in range(4, 70):  # never wider than asked, never a half endpoint with others
        text = endpoint_list(endpoints, width)
        assert cell_len(text) <= width, (width, text)
    long = ["GET /" + "very-long-segment/" * 8 + "{id}"]
    assert endpoint_list(long, 40) == long[0][:39] + "…"
    assert endpoint_list([*long, "GET /pets"], 40).endswith("…, … +1 more")
    assert cell_len(endpoint_list([*long, "GET /pets"], 40)) == 40


def test_the_cell_line_names_the_endpoints_within_80_columns() -> None:
    m = model()
    lines = cell_detail(m, PETS, VETS, 120).split("\n")
    assert lines == [f"◐ rights on some endpoints only: pets (Pet store) × subsystem: {VETS.id}",
                     "rights on 2 of 3 endpoints: GET /pets, POST /pets"]
    many = [f"GET /pets/{n}/photos/{{photoId}}" for n in range(30)]
    m.endpoint_rights[("pets", VETS.id)] = tuple(many)
    wide = cell_detail(m, PETS, VETS, 200).split("\n")
    assert len(wide) == 2 and cell_len(wide[1]) <= DETAIL_WIDTH
    assert wide[1].startswith("rights on 30 endpoints: GET /pets/0/photos/{photoId}, ")
    assert wide[1].endswith(" more")
    narrow = cell_detail(m, PETS, VETS, 50).split("\n")  # the terminal is narrower than 80
    assert all(cell_len(line) <= 50 for line in narrow) and narrow[0].endswith("…")


def test_the_cell_line_says_what_a_staged_change_leaves() -> None:
    m = model()
    m.toggle(("pets", VETS.id))
    assert cell_detail(m, PETS, VETS, 120).split("\n") == [
        f"+ service-level grant pending: pets (Pet store) × subsystem: {VETS.id}",
        "rights on 2 of 3 endpoints stay as they are: GET /pets, POST /pets"]
    m.toggle(("pets", PORTAL.id))
    assert cell_detail(m, PETS, PORTAL, 120).split("\n") == [
        f"✗ service-level revocation pending: pets (Pet store) × subsystem: {PORTAL.id} "
        "(State portal)",
        "rights on 1 of 3 endpoints stay as they are: GET /pets"]
    m.clear_pending()
    assert cell_detail(m, PETS, PORTAL).split("\n")[1] == (
        "and rights of its own on 1 of 3 endpoints: GET /pets")
    # no endpoint rights: one text, as before
    assert cell_detail(m, PERSON, CLERKS) == (
        "✓ has the right: getPerson.v1 (Person by PIN) × local group: clerks (Clerks)")


def test_the_preview_notes_the_endpoint_rights_that_stay() -> None:
    m = model()
    m.toggle(("pets", VETS.id))
    m.toggle(("pets", PORTAL.id))
    m.toggle(("getPerson", PORTAL.id))  # no endpoint rights: no note
    notes = endpoint_notes(m, m.changes())
    assert notes[0].startswith("Rights on single REST endpoints are kept apart")
    assert notes[1:] == [
        f"  • {VETS.id}, pets: a grant of the whole service; its rights on GET /pets, POST /pets "
        "stay",
        f"  • {PORTAL.id}, pets: the service-level right is revoked; its rights on GET /pets stay"]
    assert endpoint_notes(m, [Change("getPerson", PORTAL.id, GRANT)]) == []
    subjects = [SubjectColumn(f"KG:COM:5{n:07d}:sub", "SUBSYSTEM") for n in range(8)]
    crowd = MatrixModel([PETS], subjects, [], {("pets", col.id): ["GET /pets"] for col in subjects})
    crowd.stage(GRANT, [("pets", col.id) for col in subjects])
    notes = endpoint_notes(crowd, crowd.changes())
    assert len(notes) == 1 + 5 + 1 and notes[-1] == "  … and 3 more cells like these"


def test_a_revocation_with_nothing_to_revoke_says_why() -> None:
    assert endpoint_only_message(1).startswith("Nothing to revoke on 1 cell: it has rights on "
                                               "single endpoints only")
    assert "e exports the rights, o plans the file" in endpoint_only_message(3)
