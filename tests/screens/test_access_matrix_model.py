"""The access matrix as data: filters, cursor, selection and the change set (no Textual, no server)."""

from __future__ import annotations

from access_support import synthetic_model

from screens.access.matrix_model import (
    GRANT,
    REVOKE,
    Change,
    MatrixModel,
    ServiceRow,
    SubjectColumn,
    parse_filter,
    pending_summary,
)

PORTAL = SubjectColumn("KG:GOV:70000002:portal", "SUBSYSTEM", "State portal")
OWNERS = SubjectColumn("KG:security-server-owners", "GLOBALGROUP", "Security server owners")
CLERKS = SubjectColumn("7", "LOCALGROUP", "Clerks of the tax office", code="clerks")


def small() -> MatrixModel:
    services = [ServiceRow("getPerson.v1", "Person by PIN"), ServiceRow("getTax.v2", "Tax debt"),
                ServiceRow("listFirms.v1", "Registered firms")]
    return MatrixModel(services, [CLERKS, OWNERS, PORTAL],
                       [("getPerson.v1", PORTAL.id), ("getTax.v2", CLERKS.id)])


def test_subjects_are_ordered_subsystems_then_global_then_local_groups() -> None:
    model = small()
    assert [col.id for col in model.subjects] == [PORTAL.id, OWNERS.id, CLERKS.id]
    assert [col.label for col in model.subjects] == [PORTAL.id, OWNERS.id, "clerks"]
    assert [col.short for col in model.subjects] == ["portal", "security-server-owners", "clerks"]
    assert [col.header for col in model.subjects] == [
        ("70000002", "portal"), ("global", "security-server-owners"), ("local", "clerks")]


def test_the_filter_narrows_services_and_after_an_at_sign_subjects() -> None:
    model = small()
    assert parse_filter("Tax @ Clerks ") == ("tax", "clerks")
    model.set_filter("tax")
    assert [model.service_at(row).code for row in range(model.row_count)] == ["getTax.v2"]
    assert model.col_count == 3
    model.set_filter("PERSON @owners")  # titles count, case does not
    assert [model.service_at(row).code for row in range(model.row_count)] == ["getPerson.v1"]
    assert [model.subject_at(col).id for col in range(model.col_count)] == [OWNERS.id]
    model.set_filter("@ tax office")  # a subject's name counts
    assert model.row_count == 3 and [model.subject_at(0).id] == [CLERKS.id]
    model.set_filter("nothing at all")
    assert model.row_count == 0 and model.current is None and model.selected_cells() == []


def test_the_cursor_stays_on_its_cell_when_the_filter_keeps_it() -> None:
    model = small()
    model.move_to(2, 1)
    assert model.current == (model.services[2], OWNERS)
    model.set_filter("firms")
    assert model.current == (model.services[2], OWNERS) and (model.row, model.col) == (0, 1)
    model.set_filter("")
    assert (model.row, model.col) == (2, 1)


def test_a_selection_spans_the_rectangle_between_anchor_and_cursor() -> None:
    model = small()
    model.move_to(0, 0)
    model.move(1, 1, extend=True)
    assert model.selected_cells() == [("getPerson.v1", PORTAL.id), ("getPerson.v1", OWNERS.id),
                                      ("getTax.v2", PORTAL.id), ("getTax.v2", OWNERS.id)]
    assert model.is_selected(1, 1) and not model.is_selected(2, 0)
    model.move(1, 0)  # moving without extending drops the selection
    assert model.anchor is None and model.selected_cells() == [("listFirms.v1", OWNERS.id)]
    model.start_selection()  # v: every move extends, until v again or a change is staged
    model.move_to(0, 2)
    assert len(model.selected_cells()) == 6 and model.visual
    model.start_selection()
    assert model.anchor is None and not model.visual


def test_grant_stages_only_missing_rights_and_revoke_only_existing_ones() -> None:
    model = small()
    model.move_to(0, 0)
    model.move_to(1, 2, extend=True)
    assert model.stage_selection(GRANT) == 4  # two of the six cells already hold a right
    assert model.counts() == (4, 0) and model.anchor is None
    assert model.state("getPerson.v1", PORTAL.id) == "granted"
    assert model.state("getPerson.v1", OWNERS.id) == "pending-grant"
    model.start_selection()
    model.move_to(0, 0, extend=True)
    assert model.stage_selection(REVOKE) == 6  # 4 grants dropped, 2 revocations staged
    assert model.changes() == [Change("getPerson.v1", PORTAL.id, REVOKE),
                               Change("getTax.v2", CLERKS.id, REVOKE)]
    assert pending_summary(model) == "2 revocations pending"


def test_space_toggles_one_cell_between_its_change_and_none() -> None:
    model = small()
    cell = ("listFirms.v1", OWNERS.id)
    model.toggle(cell)
    assert model.state(*cell) == "pending-grant"
    model.toggle(cell)
    assert model.state(*cell) == "none" and not model.pending
    model.toggle(("getPerson.v1", PORTAL.id))
    assert model.state("getPerson.v1", PORTAL.id) == "pending-revoke"
    model.toggle(cell)
    assert pending_summary(model) == "1 grant and 1 revocation pending"
    model.clear_pending()
    assert pending_summary(model) == "no changes pending"


def test_changes_survive_filtering_and_the_views_list_them() -> None:
    model = small()
    model.stage(GRANT, [("listFirms.v1", OWNERS.id)])
    model.set_filter("person")
    model.set_filter("")
    assert model.changes() == [Change("listFirms.v1", OWNERS.id, GRANT)]
    assert model.subjects_of("listFirms.v1") == [(OWNERS, "pending-grant")]
    assert [(row.code, state) for row, state in model.services_of(CLERKS.id)] == [
        ("getTax.v2", "granted")]


def test_an_added_subject_becomes_a_column_and_a_hiding_filter_is_widened() -> None:
    model = small()
    model.set_filter("tax @portal")
    newcomer = SubjectColumn("KG:GOV:70000003:bank", "SUBSYSTEM", "Bank")
    position = model.add_subject(newcomer)
    assert model.filter_text == "tax"
    assert model.subject_at(position) == newcomer and model.current[1] == newcomer
    assert model.add_subject(newcomer) == position and len(model.subjects) == 4


def test_five_hundred_services_by_three_hundred_subjects() -> None:
    model = synthetic_model(500, 300)
    assert (model.row_count, model.col_count) == (500, 300)
    model.set_filter("service-04 @org 1")
    assert model.row_count == 10 and all("org 1" in model.subject_at(col).name.lower()
                                         for col in range(model.col_count))
    model.move_to(0, 0)
    model.move_to(9, model.col_count - 1, extend=True)
    staged = model.stage_selection(GRANT)
    assert staged == sum(1 for row in range(10) for col in range(model.col_count)
                         if model.state_at(row, col) == "pending-grant")
    assert staged > 0
