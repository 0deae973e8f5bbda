"""Clients, service clients, access rights and local groups as the admin API shows them.

The shapes are X-Road's converters': ``ClientConverter``, ``ServiceClientConverter``,
``AccessRightConverter``, ``LocalGroupConverter``. Lists are sorted as X-Road's comparators sort
them: by member name or group description (case-insensitive, nameless last), then by id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from backend.sandbox.globalmembers import GlobalView
from backend.sandbox.identifiers import (
    GLOBALGROUP,
    LOCALGROUP,
    SUBSYSTEM,
    ClientId,
    subject_of_key,
)
from backend.sandbox.wire import fmt_time, parse_time

Json = dict[str, Any]


def stored_time(text: str | None) -> str | None:
    """A stored time as the API writes it."""
    return fmt_time(parse_time(text)) if text else None


def by_name(items: Iterable[Json], name: str = "name") -> list[Json]:
    """``ClientSortingComparator`` / ``ServiceClientSortingComparator``."""
    return sorted(items, key=lambda item: (item.get(name) is None,
                                           (item.get(name) or "").lower(), item["id"].lower()))


def render_client(client: ClientId, row: sqlite3.Row | None, view: GlobalView,
                  owner: str | None, valid_sign_members: set[str],
                  management_check: bool = False) -> Json:
    """``Client``: a local client (with its row) or one the global configuration lists."""
    encoded = client.encoded
    return {
        "id": encoded,
        "instance_id": client.instance,
        "member_name": view.member_name(encoded),
        "member_class": client.member_class,
        "member_code": client.member_code,
        "subsystem_code": client.subsystem_code,
        "subsystem_name": view.subsystem_name(encoded) if client.is_subsystem else None,
        "owner": encoded == owner,
        "has_valid_local_sign_cert": client.member_id in valid_sign_members,
        # the sandbox's instance names no management services provider
        "is_management_services_provider": False if management_check else None,
        "rename_status": row["rename_status"] if row is not None and client.is_subsystem else None,
        "connection_type": row["connection_type"] if row is not None else None,
        "status": row["status"] if row is not None else None,
    }


def render_subject(key: str, given_at: str | None, view: GlobalView,
                   groups: dict[str, sqlite3.Row]) -> Json:
    """``ServiceClient`` for the subject stored under ``key``; ``groups`` maps the client's local
    group ids (as text) to their rows."""
    subject = subject_of_key(key)
    body: Json = {"id": key, "service_client_type": subject.kind,
                  "rights_given_at": stored_time(given_at)}
    if subject.kind == SUBSYSTEM:
        body["name"] = view.member_name(key)
    elif subject.kind == GLOBALGROUP:
        body["name"] = view.groups.get(key)
    else:
        group = groups.get(key)
        if group is not None:
            body["local_group_code"] = group["code"]
            body["name"] = group["description"]
    return body


def render_subjects(rows: Iterable[sqlite3.Row], view: GlobalView,
                    groups: Iterable[sqlite3.Row]) -> list[Json]:
    """Service clients of rows with ``subject_id`` and ``rights_given_at``, sorted."""
    by_id = {str(group["id"]): group for group in groups}
    return by_name(render_subject(row["subject_id"], row["rights_given_at"], view, by_id)
                   for row in rows)


def render_access_right(service_code: str, title: str | None, given_at: str | None) -> Json:
    """``AccessRight``."""
    return {"service_code": service_code, "service_title": title,
            "rights_given_at": stored_time(given_at)}


def candidate_subjects(view: GlobalView, groups: Iterable[sqlite3.Row]) -> list[Json]:
    """Every possible subject: the global configuration's subsystems and global groups and the
    client's local groups, as ``ServiceClient`` (with the codes the filters read)."""
    found: list[Json] = []
    for encoded in view.subsystems:
        found.append({"id": encoded, "name": view.member_name(encoded),
                      "service_client_type": SUBSYSTEM})
    for encoded, description in view.groups.items():
        found.append({"id": encoded, "name": description, "service_client_type": GLOBALGROUP})
    for group in groups:
        found.append({"id": str(group["id"]), "name": group["description"],
                      "local_group_code": group["code"], "service_client_type": LOCALGROUP})
    return found


def _contains(value: str | None, term: str) -> bool:
    return value is not None and term.lower() in value.lower()


def matches(candidate: Json, *, name: str | None, kind: str | None, instance: str | None,
            member_class: str | None, code: str | None, subsystem: str | None) -> bool:
    """``AccessRightService.buildSubjectSearchPredicate`` for one candidate."""
    candidate_kind = candidate["service_client_type"]
    parts = candidate["id"].split(":")
    if kind and candidate_kind != kind:
        return False
    if name and not _contains(candidate.get("name"), name):
        return False
    if instance and candidate_kind != LOCALGROUP and parts[0].lower() != instance.lower():
        return False
    is_client = candidate_kind == SUBSYSTEM
    if member_class and not (is_client and parts[1].lower() == member_class.lower()):
        return False
    if subsystem and not (is_client and _contains(parts[3], subsystem)):
        return False
    if code:
        own = (parts[2] if is_client else parts[1] if candidate_kind == GLOBALGROUP
               else candidate.get("local_group_code"))
        if not _contains(own, code):
            return False
    return True


def render_local_group(group: sqlite3.Row, members: list[sqlite3.Row], view: GlobalView) -> Json:
    """``LocalGroup`` with its ``GroupMember``s."""
    return {
        "id": str(group["id"]),
        "code": group["code"],
        "description": group["description"],
        "member_count": len(members),
        "updated_at": stored_time(group["updated_at"]),
        "members": [{
            "id": member["member_id"],
            "member_name": view.member_name(member["member_id"]),
            "subsystem_name": view.subsystem_name(member["member_id"]),
            "created_at": stored_time(member["added_at"]),
        } for member in members],
    }


def render_security_server(server: tuple[str, str, str, str, str | None]) -> Json:
    """``SecurityServer``."""
    instance, member_class, member_code, code, address = server
    return {"id": ":".join(server[:4]), "instance_id": instance, "member_class": member_class,
            "member_code": member_code, "server_code": code, "server_address": address}
