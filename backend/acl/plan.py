"""Plans: the changes that make the server's rights what a document (or a change set) asks for.

A plan is only made when everything in it fits the server — every client, service, endpoint and
subject exists, nothing is listed twice in conflicting ways. Otherwise ``PlanInvalid`` lists every
problem (with its place in the file) and nothing is sent: a plan that fails halfway through its
checks applies nothing. Reading is described in ``snapshot``; grouping into calls in ``batching``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from backend.acl.batching import batch_calls
from backend.acl.changes import GRANT, REVOKE, Call, Change
from backend.acl.errors import PlanInvalid, Problem
from backend.acl.model import RightsDocument, Target
from backend.acl.snapshot import ClientMissing, ClientView, ReadProgress, Reads, load_view
from backend.acl.subjects import (
    BASE_ENDPOINT,
    endpoint_key,
    endpoint_problem,
    split_endpoint,
    subject_kind,
    subject_problem,
)
from backend.api.client import SecurityServerClient
from backend.api.service_models import LOCALGROUP, Service
from backend.i18n import _

#: a service-level right is kept per service code ("s", code); an endpoint's per its id ("e", id)
RightsKey = tuple[str, str]


@dataclass
class Plan:
    """The changes to make, in the order and calls they will be sent."""

    changes: list[Change]
    clients: list[str]
    unchanged: int = 0  # listed services and endpoints whose rights are already as wanted
    untouched: int = 0  # services of these clients that the document does not list
    reads: int = 0  # GET requests made to build the plan
    notes: list[str] = field(default_factory=list)
    calls: list[Call] = field(init=False)

    def __post_init__(self) -> None:
        self.changes = sorted(self.changes, key=lambda change: (change.target.client, change.sort_key))
        self.calls = batch_calls(self.changes)

    @property
    def grants(self) -> list[Change]:
        return [change for change in self.changes if change.action == GRANT]

    @property
    def revocations(self) -> list[Change]:
        return [change for change in self.changes if change.action == REVOKE]

    @property
    def is_empty(self) -> bool:
        return not self.changes


class RequestedChange(Protocol):
    """A change asked for by a screen: ``kind`` "grant" or "revoke"; ``service`` a service code;
    ``subject`` the API's id (a local group's number) or its code. An ``endpoint`` attribute
    ("METHOD path") may name a REST endpoint."""

    service: str
    subject: str
    kind: str


def _close(word: str, choices: Iterable[str]) -> str:
    found = difflib.get_close_matches(word, list(choices), n=1)
    return _(" — did you mean “{close}”?").format(close=found[0]) if found else ""


class ClientPlanner:
    """Resolves one client's wanted rights against its view, collecting problems and changes."""

    def __init__(self, client: SecurityServerClient, view: ClientView, reads: Reads,
                 problems: list[Problem], document: RightsDocument | None = None) -> None:
        self.client = client
        self.view = view
        self.reads = reads
        self.problems = problems
        self.document = document

    def problem(self, message: str, target: Target | None = None, subject: str | None = None) -> None:
        where = self.document.where(target, subject) if self.document and target else None
        self.problems.append(Problem(message, where))

    def resolve_target(self, target: Target) -> tuple[Service, RightsKey, str | None] | None:
        """The service, the key its rights are kept under, and the endpoint id (or None)."""
        view = self.view
        service = view.service_for(target.service)
        if service is None:
            self.problem(_("client {client} has no service “{service}”{hint}").format(
                client=view.client_id, service=target.service,
                hint=_close(target.service, view.by_full)), target)
            return None
        if not target.endpoint:
            return service, ("s", service.service_code), None
        endpoint = view.endpoint_for(service, target.endpoint)
        if endpoint is None or endpoint.id is None:
            known = [endpoint_key(e.method, e.path) for e in service.endpoints]
            self.problem(_("service {service} of {client} has no endpoint “{endpoint}”{hint}").format(
                service=service.code, client=view.client_id, endpoint=target.endpoint,
                hint=_close(target.endpoint, [k for k in known if k != BASE_ENDPOINT])), target)
            return None
        return service, ("e", endpoint.id), endpoint.id

    async def resolve_subjects(self, wanted: dict[tuple[Target, str], str | None]) -> dict[str, str]:
        """File-form subjects → API ids; subjects unknown to the server are problems.

        ``wanted`` maps (target, subject) to the place to blame; local groups are found by code
        (or, for a screen's change, by number)."""
        view, resolved = self.view, {}
        unknown: list[tuple[Target, str]] = []
        for (target, subject), _blame in wanted.items():
            if subject in resolved:
                continue
            if subject_kind(subject) == LOCALGROUP:
                group = view.groups_by_code.get(subject) or view.groups_by_id.get(subject)
                if group is None or group.id is None:
                    codes = sorted(view.groups_by_code)
                    hint = _close(subject, codes) or (
                        _(" (its local groups: {codes})").format(codes=", ".join(codes[:10]))
                        if codes else _(" (it has none)"))
                    self.problem(_("client {client} has no local group “{code}”{hint}").format(
                        client=view.client_id, code=subject, hint=hint), target, subject)
                    continue
                resolved[subject] = str(group.id)
            elif subject in view.holders or any(subject in ids for ids in view.endpoint_rights.values()):
                resolved[subject] = subject
            else:
                unknown.append((target, subject))
        if unknown:
            candidates = await view.load_candidates(self.client, self.reads)
            for target, subject in unknown:
                if subject in resolved:
                    continue
                if subject in candidates:
                    resolved[subject] = subject
                    continue
                self.problem(_("subject {subject} is not known to the global configuration of the "
                               "server{hint}; check the id, or wait for the next global "
                               "configuration if it was registered just now").format(
                    subject=subject, hint=_close(subject, (c for c in candidates if ":" in c))),
                    target, subject)
        return resolved

    async def read(self, keys: Iterable[RightsKey]) -> None:
        keys = list(keys)
        await self.view.read_service_rights(self.client, self.reads,
                                            [key for kind, key in keys if kind == "s"])
        await self.view.read_endpoint_rights(self.client, self.reads,
                                             [key for kind, key in keys if kind == "e"])

    def current(self, key: RightsKey) -> set[str]:
        kind, value = key
        rights = self.view.service_rights if kind == "s" else self.view.endpoint_rights
        return rights.get(value, set())

    def change(self, action: str, target: Target, service: Service, endpoint_id: str | None,
               subject_id: str) -> Change:
        view = self.view
        return Change(action=GRANT if action == GRANT else REVOKE, target=target,
                      subject=view.file_form(subject_id), subject_id=subject_id,
                      service_id=service.id, rights_code=service.service_code,
                      endpoint_id=endpoint_id, name=view.names.get(subject_id, ""),
                      by_subject=action == GRANT or not view.has_endpoints(service.service_code))


async def make_plan(client: SecurityServerClient, document: RightsDocument, *,
                    progress: ReadProgress | None = None) -> Plan:
    """The changes that give every target in ``document`` exactly its listed subjects.

    Services (and endpoints) the document does not list are left as they are."""
    reads, problems, changes = Reads(progress), [], []
    unchanged = untouched = 0
    for client_id in document.clients():
        targets = document.targets(client_id)
        try:
            view = await load_view(client, client_id, reads)
        except ClientMissing:
            problems.append(Problem(_("this server has no client {client}").format(client=client_id),
                                    document.where(Target(client_id, ""))))
            continue
        planner = ClientPlanner(client, view, reads, problems, document)
        keyed: dict[RightsKey, tuple[Target, Service, str | None]] = {}
        for target in targets:
            found = planner.resolve_target(target)
            if found is None:
                continue
            service, key, endpoint_id = found
            if key in keyed:
                first = keyed[key][0]
                if document.rights[first] != document.rights[target]:
                    planner.problem(_("{one} and {other} share one set of access rights on the server "
                                      "(X-Road keeps rights per service code, without version): "
                                      "list them with the same subjects, or list one").format(
                        one=first, other=target), target)
                continue
            keyed[key] = (target, service, endpoint_id)
        wanted = {(target, subject): None for target, _s, _e in keyed.values()
                  for subject in document.subjects(target)}
        resolved = await planner.resolve_subjects(wanted)
        if problems:
            continue
        await planner.read(keyed)
        for key, (target, service, endpoint_id) in keyed.items():
            desired = {resolved[subject] for subject in document.subjects(target)}
            current = planner.current(key)
            found = ([planner.change(GRANT, target, service, endpoint_id, s) for s in desired - current]
                     + [planner.change(REVOKE, target, service, endpoint_id, s)
                        for s in current - desired])
            changes += found
            unchanged += not found
        untouched += len(set(view.by_code) - {key for kind, key in keyed if kind == "s"})
    if problems:
        raise PlanInvalid(sorted(problems, key=lambda p: (p.where.line, p.where.column)
                                 if p.where else (0, 0)))
    return Plan(changes, document.clients(), unchanged=unchanged, untouched=untouched,
                reads=reads.done)


async def plan_changes(client: SecurityServerClient, client_id: str,
                       requested: Iterable[RequestedChange], *,
                       progress: ReadProgress | None = None) -> Plan:
    """A plan from single changes (a screen's change set): each must fit the server as it is —
    a grant of a right not held, a revocation of one held, each cell once."""
    reads, problems = Reads(progress), []
    try:
        view = await load_view(client, client_id, reads)
    except ClientMissing:
        raise PlanInvalid([Problem(_("this server has no client {client}").format(
            client=client_id))]) from None
    planner = ClientPlanner(client, view, reads, problems)
    items: list[tuple[str, Target, Service, RightsKey, str | None, str]] = []
    seen: set[tuple[RightsKey, str]] = set()
    for request in requested:
        endpoint = getattr(request, "endpoint", "") or ""
        problem = subject_problem(request.subject) or (endpoint and endpoint_problem(endpoint))
        if request.kind not in (GRANT, REVOKE):
            problem = _("“{kind}” is neither grant nor revoke").format(kind=request.kind)
        if problem:
            problems.append(Problem(problem))
            continue
        if endpoint:
            endpoint = endpoint_key(*split_endpoint(endpoint))
        target = Target(client_id, request.service, endpoint)
        found = planner.resolve_target(target)
        if found is None:
            continue
        service, key, endpoint_id = found
        if (key, request.subject) in seen:
            problems.append(Problem(_("{subject} for {target} is asked for twice").format(
                subject=request.subject, target=target)))
            continue
        seen.add((key, request.subject))
        items.append((request.kind, Target(client_id, service.code, endpoint), service, key,
                      endpoint_id, request.subject))
    resolved = await planner.resolve_subjects({(item[1], item[5]): None for item in items})
    await planner.read({item[3] for item in items})
    changes = []
    for kind, target, service, key, endpoint_id, subject in items:
        if subject not in resolved:
            continue
        holds = resolved[subject] in planner.current(key)
        label = view.file_form(resolved[subject])
        if kind == GRANT and holds:
            problems.append(Problem(_("{subject} may call {target} already (a duplicate access "
                                      "right)").format(subject=label, target=target)))
        elif kind != GRANT and not holds:
            problems.append(Problem(_("{subject} has no right to {target} to revoke").format(
                subject=label, target=target)))
        else:
            changes.append(planner.change(kind, target, service, endpoint_id, resolved[subject]))
    if problems:
        raise PlanInvalid(problems)
    return Plan(changes, [client_id], reads=reads.done)
