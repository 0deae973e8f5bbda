"""What the access-rights screens share: why a change is not possible, the candidate searches,
and keys that say why they are disabled."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import events
from textual.dom import DOMNode

from backend.api.access import CandidateSearch
from backend.api.clients import ClientSearch
from backend.api.service_models import LOCALGROUP, SUBSYSTEM
from backend.i18n import _
from screens.access.data import subject_column
from screens.access.matrix_model import kind_word, subject_label
from screens.access.picker import Candidate
from screens.base import is_read_only

#: the permissions (``GET /user``) behind access-rights and local-group changes
ACL_PERMISSIONS = frozenset({"EDIT_SERVICE_ACL", "EDIT_ACL_SUBJECT_OPEN_SERVICES"})
GROUP_PERMISSIONS = frozenset({"ADD_LOCAL_GROUP", "EDIT_LOCAL_GROUP_DESC",
                               "EDIT_LOCAL_GROUP_MEMBERS", "DELETE_LOCAL_GROUP"})


def permissions(node: DOMNode) -> frozenset[str] | None:
    """The caller's permissions, when the app knows them (None: the server decides)."""
    identity = getattr(node.app, "identity", None)
    return frozenset(identity.user.permissions) if identity is not None else None


def write_reason(node: DOMNode, needed: frozenset[str] = ACL_PERMISSIONS) -> str | None:
    """Why the operator cannot change access rights here (None: they can)."""
    if is_read_only(node):
        return _("read-only mode: access rights are shown, not changed")
    if getattr(node.app, "server", None) is None:
        return _("not connected to a security server")
    held = permissions(node)
    if held is not None and not held & needed:
        return _("this API key lacks the service administrator role")
    return None


def operator_confirmed(app: Any, *writes: tuple[str, str]) -> contextlib.AbstractContextManager[Any]:
    """The operator confirmed these writes (method, path) in a dialog that said more than the
    generic confirmation would: the transport does not ask a second time."""
    confirmed = getattr(app, "operator_confirmed", None)
    stack = contextlib.ExitStack()
    if callable(confirmed):
        for method, path in writes:
            stack.enter_context(confirmed(method, path))
    return stack


def explain_disabled_key(node: Any, event: events.Key) -> bool:
    """A dimmed key says why instead of doing nothing; True when it did."""
    active = node.active_bindings.get(event.key)
    if active is None or active.enabled:
        return False
    reason = getattr(active.node, "disabled_reason", None)
    why = reason(active.binding.action) if callable(reason) else None
    if not why:
        return False
    event.stop()
    event.prevent_default()
    node.notify(why, title=active.binding.description, severity="warning", markup=False)
    return True


def candidate_searches(text: str) -> list[CandidateSearch]:
    """The server's searches for what the operator typed: a name, a code, or (with ``:``) an id.

    X-Road's ``member_name_group_description`` matches names and group descriptions only, so a
    subsystem or group code (``permits``, ``state-registries``) is searched for as a code too, and
    ``INSTANCE:CLASS:CODE[:SUBSYSTEM]`` or ``INSTANCE:GROUP`` by its parts.
    """
    text = text.strip()
    if not text:
        return [CandidateSearch()]
    if ":" in text:
        parts = [part.strip() or None for part in text.split(":")]
        if len(parts) == 2:
            return [CandidateSearch(instance=parts[0], member_group_code=parts[1])]
        if len(parts) in (3, 4):
            return [CandidateSearch(instance=parts[0], member_class=parts[1],
                                    member_group_code=parts[2],
                                    subsystem_code=parts[3] if len(parts) == 4 else None)]
    return [CandidateSearch(member_name_group_description=text),
            CandidateSearch(subsystem_code=text), CandidateSearch(member_group_code=text)]


def subject_search(server: Any, client_id: str) -> Any:
    """A picker search over the subjects the server offers for ``client_id``'s services."""

    async def search(text: str) -> list[Candidate]:
        found: dict[str, Any] = {}
        for terms in candidate_searches(text):
            for subject in await server.access.candidates(client_id, terms):
                found.setdefault(subject.id, subject)
        columns = sorted((subject_column(subject) for subject in found.values()),
                         key=lambda col: col.sort_key)
        return [Candidate(subject_label(col.kind, col.label, col.name), col, col.id)
                for col in columns]

    return search


def member_search(server: Any) -> Any:
    """A picker search over the members and subsystems of the global configuration."""

    async def search(text: str) -> list[Candidate]:
        found = await server.clients.list(ClientSearch(
            name=text or None, internal_search=False, show_members=True))
        found.sort(key=lambda client: (not client.is_subsystem, client.id))
        return [Candidate(f"{kind_word(SUBSYSTEM) if client.is_subsystem else _('member')}: "
                          f"{client.id}" + (f" ({client.display_name})"
                                            if client.display_name != client.id else ""),
                          client.id, client.id)
                for client in found if client.id]

    return search


def is_local_group(kind: str) -> bool:
    return kind == LOCALGROUP
