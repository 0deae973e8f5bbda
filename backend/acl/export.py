"""The rights on the server as a document: every service of each client, and the REST endpoints
that have rights of their own. Reading is described in ``snapshot``."""

from __future__ import annotations

from collections.abc import Sequence

from backend.acl.errors import PlanInvalid, Problem
from backend.acl.model import RightsDocument, Target
from backend.acl.snapshot import ClientMissing, ClientView, ReadProgress, Reads, load_view
from backend.acl.subjects import endpoint_key
from backend.api.client import SecurityServerClient
from backend.i18n import _


async def local_subsystems(client: SecurityServerClient) -> list[str]:
    """The subsystems of this server (the clients that publish services), by id."""
    return sorted(found.id for found in await client.clients.list() if found.is_subsystem and found.id)


def _check_codes(view: ClientView) -> None:
    """A local group whose code has ":" cannot be told from a global group in a file."""
    bad = sorted(group.code for group in view.local_groups if ":" in group.code)
    if bad:
        raise PlanInvalid([Problem(_(
            "local group(s) {codes} of {client} have “:” in the code; a rights file could not tell "
            "them from global groups. Export another client, or manage these in the console"
        ).format(codes=", ".join(bad), client=view.client_id))])


def add_view(document: RightsDocument, view: ClientView) -> None:
    """Every service of the client (with its subjects, maybe none) and every endpoint with rights."""
    client = view.client_id
    for service in view.services:
        target = Target(client, service.code)
        subjects = view.service_rights.get(service.service_code, set())
        document.set(target, (view.file_form(s) for s in subjects))
        if service.title:
            document.titles[target] = service.title
    for service, endpoint in view.endpoints():
        subjects = view.endpoint_rights.get(str(endpoint.id), set())
        if subjects:
            target = Target(client, service.code, endpoint_key(endpoint.method, endpoint.path))
            document.set(target, (view.file_form(s) for s in subjects))
    for subject_id, name in view.names.items():
        document.names[(client, view.file_form(subject_id))] = name


async def read_rights(client: SecurityServerClient, client_ids: Sequence[str] | None = None, *,
                      progress: ReadProgress | None = None) -> RightsDocument:
    """The rights of ``client_ids`` (default: every subsystem of the server that has services)."""
    reads = Reads(progress)
    ids = list(client_ids) if client_ids else await local_subsystems(client)
    document = RightsDocument(source=client.base_url)
    for client_id in ids:
        try:
            view = await load_view(client, client_id, reads)
        except ClientMissing:
            raise PlanInvalid([Problem(_("this server has no client {client}").format(
                client=client_id))]) from None
        if not view.services:
            continue
        _check_codes(view)
        await view.read_service_rights(client, reads)
        await view.read_endpoint_rights(client, reads, [str(e.id) for _s, e in view.endpoints()])
        add_view(document, view)
    return document
