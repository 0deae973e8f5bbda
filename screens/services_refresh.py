"""Before a description is refreshed or deleted: what changes, and which access rights are lost.

X-Road answers a refresh that adds or removes services (WSDL) or endpoints (OpenAPI) with the
warnings ``adding_services``/``deleting_services``/``adding_endpoints``/``deleting_endpoints``, whose
metadata are the full service codes and ``METHOD path``; nothing is changed yet. Kapka reads the
subjects of each service and endpoint that would go (``GET /services/{id}/service-clients``,
``/endpoints/{id}/service-clients``) so that the operator sees the rights lost before confirming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.content import Content

from backend.api.errors import PermissionDenied
from backend.api.models import CodeWithDetails
from backend.api.service_models import ServiceDescription
from backend.errors import KapkaError
from backend.i18n import _, ngettext

DIFF_CODES = ("adding_services", "deleting_services", "adding_endpoints", "deleting_endpoints")


@dataclass
class Lost:
    """The subjects of one service or endpoint that would go (``problem``: they could not be read)."""

    what: str
    subjects: list[str] = field(default_factory=list)
    problem: str = ""


@dataclass
class RefreshDiff:
    description: ServiceDescription
    added_services: list[str] = field(default_factory=list)
    removed_services: list[str] = field(default_factory=list)
    added_endpoints: list[str] = field(default_factory=list)
    removed_endpoints: list[str] = field(default_factory=list)
    other: list[CodeWithDetails] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)

    @property
    def rights_lost(self) -> int:
        return sum(len(item.subjects) for item in self.lost)


def _metadata(warnings: list[CodeWithDetails], code: str) -> list[str]:
    return [item for warning in warnings if warning.code == code for item in warning.metadata]


async def _subjects(read: Any, ident: str) -> tuple[list[str], str]:
    try:
        return sorted(subject.label for subject in await read(ident)), ""
    except PermissionDenied:
        return [], _("could not be read: this API key lacks the service administrator role")
    except KapkaError as error:
        return [], _("could not be read: {error}").format(error=error.message)


async def refresh_diff(server: Any, description: ServiceDescription,
                       warnings: list[CodeWithDetails]) -> RefreshDiff:
    """The diff of X-Road's warnings, with the current subjects of what would be removed."""
    diff = RefreshDiff(description,
                       added_services=_metadata(warnings, "adding_services"),
                       removed_services=_metadata(warnings, "deleting_services"),
                       added_endpoints=_metadata(warnings, "adding_endpoints"),
                       removed_endpoints=_metadata(warnings, "deleting_endpoints"),
                       other=[w for w in warnings if w.code not in DIFF_CODES])
    by_code = {service.code: service for service in description.services}
    for code in diff.removed_services:
        service = by_code.get(code)
        ident = service.id if service is not None else f"{description.client_id}:{code}"
        subjects, problem = await _subjects(server.access.service_clients, ident)
        diff.lost.append(Lost(_("service {code}").format(code=code), subjects, problem))
    endpoints = {f"{endpoint.method} {endpoint.path}": endpoint
                 for service in description.services for endpoint in service.endpoints}
    for name in diff.removed_endpoints:
        endpoint = endpoints.get(name)
        if endpoint is None or endpoint.id is None:
            diff.lost.append(Lost(_("endpoint {name}").format(name=name), [],
                                  _("not found in the description as loaded; reload (r)")))
            continue
        subjects, problem = await _subjects(server.access.endpoint_clients, endpoint.id)
        diff.lost.append(Lost(_("endpoint {name}").format(name=name), subjects, problem))
    return diff


def _list(title: str, items: list[str], style: str = "") -> list[Content]:
    if not items:
        return []
    return [Content.styled(f"{title} ({len(items)})", "bold " + style if style else "bold"),
            *(Content("  " + item) for item in items)]


def diff_effect(diff: RefreshDiff) -> Content:
    """The refresh dialog's text: added and removed, the rights lost, the warnings verbatim."""
    lines: list[Content] = [Content(_("Refreshing {url} changes the client's services; nothing "
                                      "has changed yet.").format(url=diff.description.url))]
    lines += _list(_("Services added"), diff.added_services)
    lines += _list(_("Services removed"), diff.removed_services, "$text-error")
    lines += _list(_("Endpoints added"), diff.added_endpoints)
    lines += _list(_("Endpoints removed"), diff.removed_endpoints, "$text-error")
    if diff.lost:
        lines.append(Content.styled(ngettext(
            "Access rights that would be lost ({n}):", "Access rights that would be lost ({n}):",
            diff.rights_lost).format(n=diff.rights_lost), "bold $text-error"))
        for item in diff.lost:
            if item.problem:
                lines.append(Content(f"  {item.what}: {item.problem}"))
            elif item.subjects:
                lines.append(Content(f"  {item.what}: " + ", ".join(item.subjects)))
            else:
                lines.append(Content("  " + _("{what}: no access rights").format(what=item.what)))
    lines += verbatim(diff.other, _("Validator warnings:"))
    lines.append(Content(_("Apply the refresh?")))
    return Content("\n").join(lines)


def verbatim(warnings: list[CodeWithDetails], title: str) -> list[Content]:
    if not warnings:
        return []
    return [Content.styled(title, "bold"),
            *(Content("  " + warning.code + (": " + ", ".join(warning.metadata)
                                             if warning.metadata else "")) for warning in warnings)]


async def description_rights(server: Any, description: ServiceDescription) -> list[Lost]:
    """The subjects of each service of a description (what goes when it is deleted)."""
    lost = []
    for service in description.services:
        subjects, problem = await _subjects(server.access.service_clients, service.id)
        lost.append(Lost(service.code, subjects, problem))
    return lost


def delete_effect(description: ServiceDescription, lost: list[Lost]) -> Content:
    rights = sum(len(item.subjects) for item in lost)
    lines = [Content.assemble(_("Delete the {kind} description ").format(kind=description.type),
                              (description.url, "bold"), "?"),
             Content.styled(ngettext("Its {n} service goes with it:", "Its {n} services go with "
                                     "it:", len(description.services)).format(
                 n=len(description.services)), "bold")]
    for item in lost:
        detail = item.problem or (", ".join(item.subjects) if item.subjects
                                  else _("no access rights"))
        lines.append(Content(f"  {item.what}: {detail}"))
    total = ngettext("{n} access right is lost.", "{n} access rights are lost.", rights).format(
        n=rights)
    lines.append(Content.styled(total, "bold $text-error") if rights else Content(total))
    return Content("\n").join(lines)
