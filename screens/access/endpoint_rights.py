"""Rights on single REST endpoints, as the access-rights screens tell them: the cell line under the
matrix, the notes of a preview, and why a revocation leaves them.

X-Road keeps a right on one endpoint (GET /pets) apart from the service-level right: granting the
whole service adds to it, revoking the service-level right leaves it (``backend.acl.batching``
sends such revocations by service for that reason). The screens stage service-level changes only,
so each of these texts says what stays. No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size

from backend.i18n import N_, _, ngettext
from screens.access.matrix_model import (
    GRANT,
    CellState,
    Change,
    MatrixModel,
    ServiceRow,
    SubjectColumn,
    subject_label,
)

#: the widest an endpoint list is written, whatever the terminal's width
DETAIL_WIDTH = 80
#: how many cells a preview names one by one
NOTE_LIMIT = 5

WORDS: dict[CellState, str] = {
    "granted": N_("✓ has the right"), "partial": N_("◐ rights on some endpoints only"),
    "none": N_("· no right"), "pending-grant": N_("+ grant pending"),
    "pending-revoke": N_("✗ revocation pending")}
#: the verdict of a staged change on a cell that also has endpoint rights: what it is about
WORDS_WITH_ENDPOINTS: dict[CellState, str] = {
    "pending-grant": N_("+ service-level grant pending"),
    "pending-revoke": N_("✗ service-level revocation pending")}


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, cut with an ellipsis."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:max(width, 0)]
    return set_cell_size(text, width - 1).rstrip() + "…"


def endpoint_list(endpoints: Sequence[str], width: int) -> str:
    """``GET /pets, POST /pets, … +2 more`` in at most ``width`` cells: as many endpoints as fit
    whole, then how many are left out; an endpoint longer than the line is cut."""
    if not endpoints:
        return ""
    sep = ", "

    def more(rest: int) -> str:
        return sep + ngettext("… +{n} more", "… +{n} more", rest).format(n=rest) if rest else ""

    fitting, used = 0, -len(sep)
    for count, endpoint in enumerate(endpoints, 1):
        used += len(sep) + cell_len(endpoint)
        if used > width:
            break
        if used + cell_len(more(len(endpoints) - count)) <= width:
            fitting = count
    if fitting:
        return sep.join(endpoints[:fitting]) + more(len(endpoints) - fitting)
    tail = more(len(endpoints) - 1)
    return clip(clip(endpoints[0], max(width - cell_len(tail), 1)) + tail, width)


def endpoint_count(count: int, total: int) -> str:
    """"1 of 3 endpoints" (or "2 endpoints" when the service's endpoints are not known)."""
    if total >= count > 0:
        return ngettext("{n} of {total} endpoint", "{n} of {total} endpoints", total).format(
            n=count, total=total)
    return ngettext("{n} endpoint", "{n} endpoints", count).format(n=count)


def cell_detail(model: MatrixModel, service: ServiceRow, subject: SubjectColumn,
                width: int = DETAIL_WIDTH) -> str:
    """The two lines under the matrix for a cell: the verdict, the service and the subject; and,
    when the subject has rights on single endpoints of the service, which ones (``width``: the
    line's room; the endpoint line takes at most ``DETAIL_WIDTH``)."""
    state = model.state(service.key, subject.id)
    endpoints = model.endpoints(service.key, subject.id)
    word = WORDS_WITH_ENDPOINTS.get(state, WORDS[state]) if endpoints else WORDS[state]
    title = f" ({service.title})" if service.title else ""
    # the verdict first: long titles and names are cut at the end
    head = (f"{_(word)}: {service.code}{title} × "
            f"{subject_label(subject.kind, subject.label, subject.name)}")
    if not endpoints:
        return head  # may take both lines
    if state == "partial":
        template = _("rights on {count}: {endpoints}")
    elif state == "granted":
        template = _("and rights of its own on {count}: {endpoints}")
    else:
        template = _("rights on {count} stay as they are: {endpoints}")
    count = endpoint_count(len(endpoints), service.endpoint_count)
    room = min(width, DETAIL_WIDTH)
    listed = endpoint_list(endpoints, room - cell_len(template.format(count=count, endpoints="")))
    return clip(head, width) + "\n" + clip(template.format(count=count, endpoints=listed), room)


def endpoint_notes(model: MatrixModel, changes: Iterable[Change]) -> list[str]:
    """For a preview: the staged cells whose subject has rights on single endpoints of the
    service, and that those stay as they are."""
    affected = [(change, model.endpoints(change.service, change.subject)) for change in changes]
    affected = [(change, endpoints) for change, endpoints in affected if endpoints]
    if not affected:
        return []
    codes: dict[str, str] = {}
    for row in model.services:
        codes.setdefault(row.key, row.code)
    lines = [_("Rights on single REST endpoints are kept apart from service-level rights, and "
               "these stay as they are:")]
    for change, endpoints in affected[:NOTE_LIMIT]:
        col = model.subject(change.subject)
        text = (_("  • {subject}, {service}: a grant of the whole service; its rights on "
                  "{endpoints} stay") if change.kind == GRANT else
                _("  • {subject}, {service}: the service-level right is revoked; its rights on "
                  "{endpoints} stay"))
        lines.append(text.format(subject=col.label if col else change.subject,
                                 service=codes.get(change.service, change.service),
                                 endpoints=endpoint_list(endpoints, 50)))
    if len(affected) > NOTE_LIMIT:
        rest = len(affected) - NOTE_LIMIT
        lines.append(ngettext("  … and {n} more cell like these", "  … and {n} more cells like "
                              "these", rest).format(n=rest))
    return lines


def endpoint_only_message(count: int) -> str:
    """Why a revocation staged nothing on cells with endpoint rights only."""
    return ngettext(
        "Nothing to revoke on {n} cell: it has rights on single endpoints only, and revocations "
        "here are service-level. Endpoint rights change through a rights file: e exports the "
        "rights, o plans the file.",
        "Nothing to revoke on {n} cells: they have rights on single endpoints only, and "
        "revocations here are service-level. Endpoint rights change through a rights file: e "
        "exports the rights, o plans the file.", count).format(n=count)
