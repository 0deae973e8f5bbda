"""Loading a client's services, subjects and access rights into the matrix model.

The admin API has no "all rights of a client" call; ``backend.acl.snapshot`` reads them per
subject or per service, whichever takes fewer requests, a few at a time within X-Road's limits.
Rights are kept per service code without version, so every version of a service shows the same
rights (``ServiceRow.rights_code``).

Rights on single REST endpoints are in none of those answers (X-Road lists base-endpoint rights
only, per client, per subject and per service): they are read as ``kapka acl export`` reads them,
one request per REST endpoint of the client (``/endpoints/{id}/service-clients``), none for a
client without REST endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.acl.snapshot import ClientMissing, ClientView, Reads, load_view
from backend.acl.subjects import BASE_ENDPOINT, endpoint_key, endpoint_sort_key, subject_kind
from backend.api.service_models import LOCALGROUP, LocalGroup, Service, ServiceClient
from backend.errors import KapkaError
from backend.i18n import _
from screens.access.matrix_model import Cell, MatrixModel, ServiceRow, SubjectColumn

Progress = Callable[[int, int], None]  # (done, total) calls


def service_row(service: Service) -> ServiceRow:
    endpoints = sum(1 for endpoint in service.endpoints
                    if endpoint_key(endpoint.method, endpoint.path) != BASE_ENDPOINT)
    return ServiceRow(code=service.code, title=service.title or "", service_id=service.id,
                      rights_code=service.service_code, endpoint_count=endpoints)


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
    #: rights on single REST endpoints: cell → its endpoints ("GET /pets")
    endpoint_rights: dict[Cell, tuple[str, ...]] = field(default_factory=dict)

    def model(self, previous: MatrixModel | None = None) -> MatrixModel:
        """A matrix of this data; with ``previous``, its extra columns, filter and cursor stay
        (the change set does not: after a reload it would describe another state)."""
        subjects = {col.id: col for col in self.subjects}
        if previous is not None:
            for col in previous.subjects:
                subjects.setdefault(col.id, col)
        model = MatrixModel(self.services, subjects.values(), self.rights, self.endpoint_rights)
        if previous is not None:
            current = previous.current
            model.set_filter(previous.filter_text)
            if current is not None:
                model._place(current[0].code, current[1].id)
        return model


def endpoint_cells(view: ClientView) -> dict[Cell, tuple[str, ...]]:
    """The endpoint rights a view has read, by cell: (rights code, subject) → its endpoints."""
    found: dict[Cell, set[str]] = {}
    for service, endpoint in view.endpoints():
        for subject in view.endpoint_rights.get(str(endpoint.id), ()):
            found.setdefault((service.service_code, subject), set()).add(
                endpoint_key(endpoint.method, endpoint.path))
    return {cell: tuple(sorted(endpoints, key=endpoint_sort_key))
            for cell, endpoints in found.items()}


async def load_access(server: Any, client_id: str, progress: Progress | None = None) -> AccessData:
    """Read the client's services, local groups, subjects, service-level rights and rights on
    single REST endpoints through ``backend.acl.snapshot`` (``server``: the app's
    ``SecurityServerClient``)."""
    reads = Reads(None if progress is None else (lambda done, total, _label: progress(done, total)))
    try:
        view = await load_view(server, client_id, reads)
    except ClientMissing:
        raise KapkaError(_("This security server has no client {client}.").format(
            client=client_id), _("No such client")) from None
    await view.read_service_rights(server, reads)
    await view.read_endpoint_rights(server, reads, [str(e.id) for _s, e in view.endpoints()])
    columns = {col.id: col for col in (subject_column(holder) for holder in view.holders.values())}
    for group in view.local_groups:
        columns.setdefault(group.id or group.code, group_column(group))
    for subjects in [*view.service_rights.values(), *view.endpoint_rights.values()]:
        for subject in subjects - columns.keys():  # named only by per-service or endpoint listings
            columns[subject] = SubjectColumn(id=subject, kind=subject_kind(subject),
                                             name=view.names.get(subject, ""))
    return AccessData(
        client_id, services=[service_row(service) for service in view.services],
        subjects=list(columns.values()),
        rights={(code, subject) for code, subjects in view.service_rights.items()
                for subject in subjects},
        local_groups=view.local_groups, endpoint_rights=endpoint_cells(view))
