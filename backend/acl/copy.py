"""Give one subject the rights another has, on the services (and REST endpoints) of one client."""

from __future__ import annotations

from backend.acl.changes import GRANT
from backend.acl.errors import PlanInvalid, Problem
from backend.acl.model import Target
from backend.acl.plan import ClientPlanner, Plan
from backend.acl.snapshot import ClientMissing, ReadProgress, Reads, load_view
from backend.acl.subjects import endpoint_key, subject_problem
from backend.api.client import SecurityServerClient
from backend.i18n import _


async def copy_rights(client: SecurityServerClient, client_id: str, from_subject: str,
                      to_subject: str, *, endpoints: bool = True,
                      progress: ReadProgress | None = None) -> Plan:
    """A plan granting ``to_subject`` every right of ``from_subject`` that it lacks.

    Subjects as in rights files, or as the API names them (a local group by code or number).
    With ``endpoints`` the rights on single REST endpoints are copied too (one GET per endpoint).
    Nothing is revoked; rights ``to_subject`` has already are left alone."""
    reads, problems = Reads(progress), []
    for subject in (from_subject, to_subject):
        problem = subject_problem(subject)
        if problem:
            problems.append(Problem(problem))
    if problems:
        raise PlanInvalid(problems)
    try:
        view = await load_view(client, client_id, reads)
    except ClientMissing:
        raise PlanInvalid([Problem(_("this server has no client {client}").format(
            client=client_id))]) from None
    planner = ClientPlanner(client, view, reads, problems)
    anchor = Target(client_id, "")
    resolved = await planner.resolve_subjects({(anchor, from_subject): None,
                                               (anchor, to_subject): None})
    if problems:
        raise PlanInvalid(problems)
    source, dest = resolved[from_subject], resolved[to_subject]
    if source == dest:
        raise PlanInvalid([Problem(_("{a} and {b} are the same subject").format(
            a=from_subject, b=to_subject))])
    for subject in (source, dest):
        if subject in view.holders:
            rights = await reads.run(client_id, [lambda s=subject: client.access.rights_of(client_id, s)])
            for right in rights[0]:
                view.service_rights.setdefault(view.rights_code_of(right.service_code), set()).add(subject)
    changes = []
    for code, services in sorted(view.by_code.items()):
        holders = view.service_rights.get(code, set())
        if source in holders and dest not in holders:
            service = services[0]
            changes.append(planner.change(GRANT, Target(client_id, service.code), service, None, dest))
    if endpoints:
        pairs = view.endpoints()
        await view.read_endpoint_rights(client, reads, [str(e.id) for _s, e in pairs])
        for service, endpoint in pairs:
            holders = view.endpoint_rights.get(str(endpoint.id), set())
            if source in holders and dest not in holders:
                target = Target(client_id, service.code, endpoint_key(endpoint.method, endpoint.path))
                changes.append(planner.change(GRANT, target, service, str(endpoint.id), dest))
    plan = Plan(changes, [client_id], reads=reads.done)
    if not changes:
        plan.notes.append(_("{dest} has every right of {source} on {client} already, or {source} "
                            "has none: nothing to copy.").format(
            dest=to_subject, source=from_subject, client=client_id))
    return plan
