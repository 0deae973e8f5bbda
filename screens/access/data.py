"""Loading a client's services, subjects and access rights into the matrix model.

The admin API has no "all rights of a client" call; ``backend.acl.snapshot`` reads them per
subject or per service, whichever takes fewer requests, a few at a time within X-Road's limits.
Rights are kept per service code without version, so every version of a service shows the same
rights (``ServiceRow.rights_code``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.acl.snapshot import ClientMissing, Reads, load_view
from backend.acl.subjects import subject_kind
from backend.api.service_models import LOCALGROUP, LocalGroup, Service, ServiceClient
from backend.errors import KapkaError
from backend.i18n import _
from screens.access.matrix_model import Cell, MatrixModel, ServiceRow, SubjectColumn

Progress = Callable[[int, int], None]  # (done, total) calls


def service_row(service: Service) -> ServiceRow:
    return ServiceRow(code=service.code, title=service.title or "", service_id=service.id,
                      rights_code=service.service_code)


def subject_column(subject: ServiceClient) -> SubjectColumn:
    return SubjectColumn(id=subject.id, kind=subject.service_client_type or "",
                         name=subject.name or "", code=subject.local_group_code or "")


def group_column(group: LocalGroup) -> SubjectColumn:
    return SubjectColumn(id=group.id or group.code, kind=LOCALGROUP, name=group.description,
                         code=group.code)


@dataclass
class AccessData:
    """Everything the access-rights screens show for one client, as the server said it."""

    client_id: str
    services: list[ServiceRow] = field(default_factory=list)
    subjects: list[SubjectColumn] = field(default_factory=list)
    rights: set[Cell] = field(default_factory=set)
    local_groups: list[LocalGroup] = field(default_factory=list)

    def model(self, previous: MatrixModel | None = None) -> MatrixModel:
        """A matrix of this data; with ``previous``, its extra columns, filter and cursor stay
        (the change set does not: after a reload it would describe another state)."""
        subjects = {col.id: col for col in self.subjects}
        if previous is not None:
            for col in previous.subjects:
                subjects.setdefault(col.id, col)
        model = MatrixModel(self.services, subjects.values(), self.rights)
        if previous is not None:
            current = previous.current
            model.set_filter(previous.filter_text)
            if current is not None:
                model._place(current[0].code, current[1].id)
        return model


async def load_access(server: Any, client_id: str, progress: Progress | None = None) -> AccessData:
    """Read the client's services, local groups, subjects and service-level rights through
    ``backend.acl.snapshot`` (``server``: the app's ``SecurityServerClient``)."""
    reads = Reads(None if progress is None else (lambda done, total, _label: progress(done, total)))
    try:
        view = await load_view(server, client_id, reads)
    except ClientMissing:
        raise KapkaError(_("This security server has no client {client}.").format(
            client=client_id), _("No such client")) from None
    await view.read_service_rights(server, reads)
    columns = {col.id: col for col in (subject_column(holder) for holder in view.holders.values())}
    for group in view.local_groups:
        columns.setdefault(group.id or group.code, group_column(group))
    for subjects in view.service_rights.values():
        for subject in subjects - columns.keys():  # named only by the per-service listings
            columns[subject] = SubjectColumn(id=subject, kind=subject_kind(subject),
                                             name=view.names.get(subject, ""))
    return AccessData(
        client_id, services=[service_row(service) for service in view.services],
        subjects=list(columns.values()),
        rights={(code, subject) for code, subjects in view.service_rights.items()
                for subject in subjects},
        local_groups=view.local_groups)
