"""What a client's access rights are on the server, read with as few GET requests as possible.

Per client, three requests give the frame: its service descriptions (services, their codes and
REST endpoints), its local groups, and the subjects holding service-level rights
(``/clients/{id}/service-clients``). The service-level rights themselves come one request per
subject (``…/service-clients/{subject}/access-rights``) or one per service
(``/services/{id}/service-clients``), whichever is fewer for the services that matter. Rights on
single REST endpoints have no client-wide listing: one request per endpoint that matters. Reads
run a few at a time; the transport keeps them under X-Road's request limits.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from backend.acl.subjects import BASE_ENDPOINT, endpoint_key
from backend.api.client import SecurityServerClient
from backend.api.errors import NotFound
from backend.api.service_models import LOCALGROUP, Endpoint, LocalGroup, Service, ServiceClient

T = TypeVar("T")
#: (requests done, requests known so far, what is being read)
ReadProgress = Callable[[int, int, str], None]
CONCURRENT_READS = 4


class ClientMissing(Exception):
    """The server has no such client."""


class Reads:
    """Counts the GET requests of one plan or export and reports progress."""

    def __init__(self, progress: ReadProgress | None = None) -> None:
        self.progress = progress
        self.done = 0
        self.total = 0

    async def run(self, label: str, calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run ``calls`` a few at a time; the first error stops the ones not started and is raised."""
        self.total += len(calls)
        limit = asyncio.Semaphore(CONCURRENT_READS)
        failed: list[Exception] = []

        async def one(call: Callable[[], Awaitable[T]]) -> T | None:
            async with limit:
                if failed:
                    return None
                try:
                    result = await call()
                except Exception as exc:
                    failed.append(exc)
                    return None
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total, label)
            return result

        results = await asyncio.gather(*(one(call) for call in calls))
        if failed:
            raise failed[0]
        return results  # type: ignore[return-value]  # no None without a failure


@dataclass
class ClientView:
    """One client's services, local groups and the rights read so far (subjects by API id)."""

    client_id: str
    services: list[Service]
    local_groups: list[LocalGroup]
    holders: dict[str, ServiceClient]
    service_rights: dict[str, set[str]] = field(default_factory=dict)  # rights code → subjects
    endpoint_rights: dict[str, set[str]] = field(default_factory=dict)  # endpoint id → subjects
    names: dict[str, str] = field(default_factory=dict)  # subject id → name
    candidates: set[str] | None = None

    def __post_init__(self) -> None:
        self.by_full = {service.code: service for service in self.services}
        self.by_code: dict[str, list[Service]] = defaultdict(list)
        for service in sorted(self.services, key=lambda s: s.code):
            self.by_code[service.service_code].append(service)
        self.groups_by_code = {group.code: group for group in self.local_groups}
        self.groups_by_id = {str(group.id): group for group in self.local_groups if group.id}
        for group in self.local_groups:
            if group.id:
                self.names.setdefault(str(group.id), group.description)
        for holder in self.holders.values():
            self._learn(holder)

    def _learn(self, subject: ServiceClient) -> None:
        if subject.name:
            self.names.setdefault(subject.id, subject.name)

    @property
    def rights_codes(self) -> list[str]:
        return sorted(self.by_code)

    def service_for(self, code: str) -> Service | None:
        """The service a file names by its full code, or by its code without version."""
        found = self.by_full.get(code)
        if found is None and self.by_code.get(code):
            found = self.by_code[code][0]
        return found

    def endpoint_for(self, service: Service, key: str) -> Endpoint | None:
        return next((endpoint for endpoint in service.endpoints
                     if endpoint_key(endpoint.method, endpoint.path) == key and endpoint.id), None)

    def endpoints(self) -> list[tuple[Service, Endpoint]]:
        """The REST endpoints that can hold rights of their own (all but the base endpoints)."""
        return [(service, endpoint) for service in sorted(self.services, key=lambda s: s.code)
                for endpoint in service.endpoints
                if endpoint.id and endpoint_key(endpoint.method, endpoint.path) != BASE_ENDPOINT]

    def has_endpoints(self, code: str) -> bool:
        """Whether a service code has REST endpoints besides its base endpoint."""
        return any(endpoint_key(endpoint.method, endpoint.path) != BASE_ENDPOINT
                   for service in self.by_code.get(code, []) for endpoint in service.endpoints)

    def file_form(self, subject_id: str) -> str:
        """A subject as rights files write it: a local group by its code."""
        group = self.groups_by_id.get(subject_id)
        if group is not None:
            return group.code
        holder = self.holders.get(subject_id)
        if holder is not None and holder.service_client_type == LOCALGROUP and holder.local_group_code:
            return holder.local_group_code
        return subject_id

    def rights_code_of(self, code: str) -> str:
        """X-Road answers with codes without version; a full code is mapped to its service's."""
        if code in self.by_code:
            return code
        service = self.by_full.get(code)
        return service.service_code if service else code

    # -- reading ---------------------------------------------------------------------------------

    async def read_service_rights(self, client: SecurityServerClient, reads: Reads,
                                  codes: Iterable[str] | None = None) -> None:
        """Read the service-level rights of ``codes`` (default: every service) the cheaper way."""
        wanted = sorted(set(self.by_code if codes is None else codes) - set(self.service_rights))
        if not wanted:
            return
        for code in wanted:
            self.service_rights[code] = set()
        if len(self.holders) < len(wanted):
            subjects = sorted(self.holders)
            answers = await reads.run(self.client_id, [
                (lambda s=s: client.access.rights_of(self.client_id, s)) for s in subjects])
            chosen = set(wanted)
            for subject, rights in zip(subjects, answers, strict=True):
                for right in rights:
                    code = self.rights_code_of(right.service_code)
                    if code in chosen:
                        self.service_rights[code].add(subject)
            return
        services = [self.by_code[code][0] for code in wanted]
        lists = await reads.run(self.client_id, [
            (lambda s=s: client.access.service_clients(s.id)) for s in services])
        for code, holders in zip(wanted, lists, strict=True):
            for holder in holders:
                self._learn(holder)
                self.service_rights[code].add(holder.id)

    async def read_endpoint_rights(self, client: SecurityServerClient, reads: Reads,
                                   endpoint_ids: Iterable[str]) -> None:
        wanted = sorted(set(endpoint_ids) - set(self.endpoint_rights))
        lists = await reads.run(self.client_id, [
            (lambda e=e: client.access.endpoint_clients(e)) for e in wanted])
        for endpoint_id, holders in zip(wanted, lists, strict=True):
            for holder in holders:
                self._learn(holder)
            self.endpoint_rights[endpoint_id] = {holder.id for holder in holders}

    async def load_candidates(self, client: SecurityServerClient, reads: Reads) -> set[str]:
        """Every subject the server would accept: from the global configuration, and local groups."""
        if self.candidates is None:
            (found,) = await reads.run(self.client_id, [
                lambda: client.access.candidates(self.client_id)])
            for candidate in found:
                self._learn(candidate)
            self.candidates = {candidate.id for candidate in found}
        return self.candidates


async def load_view(client: SecurityServerClient, client_id: str, reads: Reads) -> ClientView:
    """The frame of a client's rights: services, local groups, subjects holding rights."""
    try:
        descriptions, groups, holders = await reads.run(client_id, [
            lambda: client.services.descriptions(client_id),
            lambda: client.access.local_groups(client_id),
            lambda: client.access.subjects(client_id),
        ])
    except NotFound as exc:
        raise ClientMissing(client_id) from exc
    services = [service for description in descriptions for service in description.services]
    return ClientView(client_id, services, list(groups),
                      {holder.id: holder for holder in holders})
