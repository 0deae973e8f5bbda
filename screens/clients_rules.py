"""What may be done to a client of the server now, and if not, why; how clients are grouped.

No widgets here. Three things decide, as in X-Road's web UI: the client's status, the caller's
permissions (``GET /user``) and the server's version (disable/enable since 7.5, rename since 7.7).
Kapka adds read-only mode. A disabled action always comes with a reason the operator can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from backend.api.errors import ApiError
from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import N_, _

SAVED, REGISTERED, GLOBAL_ERROR = "SAVED", "REGISTERED", "GLOBAL_ERROR"
REGISTRATION_IN_PROGRESS, DELETION_IN_PROGRESS = "REGISTRATION_IN_PROGRESS", "DELETION_IN_PROGRESS"
DISABLED, DISABLING, ENABLING = "DISABLED", "DISABLING_IN_PROGRESS", "ENABLING_IN_PROGRESS"
NAME_SUBMITTED = "NAME_SUBMITTED"
#: statuses that change by themselves once the central server acts: the screens poll them
IN_PROGRESS = frozenset({REGISTRATION_IN_PROGRESS, DELETION_IN_PROGRESS, DISABLING, ENABLING})
#: what X-Road lets be deleted (``ClientService.deleteLocalClient``)
DELETABLE = frozenset({SAVED, DELETION_IN_PROGRESS, GLOBAL_ERROR})
UNREGISTERABLE = frozenset({REGISTERED, REGISTRATION_IN_PROGRESS, DISABLED})

STATUS_WORDS = {
    SAVED: N_("saved, not registered"),
    REGISTERED: N_("registered"),
    GLOBAL_ERROR: N_("GLOBAL ERROR: not in the global configuration"),
    REGISTRATION_IN_PROGRESS: N_("registration in progress"),
    DELETION_IN_PROGRESS: N_("deletion in progress"),
    DISABLED: N_("disabled"),
    DISABLING: N_("disabling in progress"),
    ENABLING: N_("enabling in progress"),
}

CONNECTION_WORDS = {
    "HTTP": N_("HTTP: no TLS between the information system and this server"),
    "HTTPS": N_("HTTPS: TLS, and the information system shows one of its TLS certificates"),
    "HTTPS_NO_AUTH": N_("HTTPS_NO_AUTH: TLS, without the information system's certificate"),
}

# the roles, as the reasons name them
REGISTRATION_OFFICER = N_("registration officer")
RO_OR_SA = N_("registration officer or service administrator")
SERVICE_ADMIN_OR_OBSERVER = N_("service administrator or observer")

#: action → (permission of ``GET /user``, the roles that hold it)
PERMISSIONS: dict[str, tuple[str, str]] = {
    "add_client": ("ADD_CLIENT", REGISTRATION_OFFICER),
    "register": ("SEND_CLIENT_REG_REQ", REGISTRATION_OFFICER),
    "remove": ("DELETE_CLIENT", REGISTRATION_OFFICER),
    "disable_enable": ("DISABLE_CLIENT", REGISTRATION_OFFICER),
    "rename": ("RENAME_SUBSYSTEM", REGISTRATION_OFFICER),
    "connection_type": ("EDIT_CLIENT_INTERNAL_CONNECTION_TYPE", RO_OR_SA),
    "tls": ("VIEW_CLIENT_INTERNAL_CERTS", RO_OR_SA),
    "services": ("VIEW_CLIENT_SERVICES", SERVICE_ADMIN_OR_OBSERVER),
    "access": ("VIEW_CLIENT_ACL_SUBJECTS", SERVICE_ADMIN_OR_OBSERVER),
    "local_groups": ("VIEW_CLIENT_LOCAL_GROUPS", SERVICE_ADMIN_OR_OBSERVER),
}

#: the actions that change the server (disabled in read-only mode)
WRITE_ACTIONS = frozenset({"add_client", "register", "remove", "disable_enable", "rename",
                           "connection_type"})
#: the actions about one client (disabled while none is selected)
CLIENT_ACTIONS = frozenset({*WRITE_ACTIONS - {"add_client"}, "tls", "services", "access",
                            "local_groups", "open_detail"})


def status_word(status: str | None) -> str:
    if status is None:
        return _("status unknown")
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def member_id_of(client: Client) -> str:
    """``INSTANCE:CLASS:CODE`` of a client (its own id for a member)."""
    parts = client.id.split(":")
    return ":".join(parts[:3]) if len(parts) >= 3 else client.id


def short_code(client: Client) -> str:
    """What the operator types to confirm deleting the client: its subsystem or member code."""
    return client.subsystem_code or client.member_code


def _lacks(permissions: frozenset[str] | None, action: str) -> str | None:
    permission, roles = PERMISSIONS[action]
    if permissions is not None and permission not in permissions:
        return _("this API key lacks the {roles} role ({permission})").format(
            roles=_(roles), permission=permission)
    return None


def _version_reason(action: str, version: tuple[int, ...]) -> str | None:
    needed = {"disable_enable": (7, 5), "rename": (7, 7)}.get(action)
    if needed and version and version[:2] < needed:
        return _("the server runs X-Road {have}; this needs {need} or later").format(
            have=".".join(map(str, version)), need=".".join(map(str, needed)))
    return None


def action_reason(action: str, client: Client | None, *, permissions: frozenset[str] | None,
                  read_only: bool, version: tuple[int, ...] = ()) -> str | None:
    """Why ``action`` cannot be done now (None: it can)."""
    if action in WRITE_ACTIONS and read_only:
        return _("read-only mode")
    if action in PERMISSIONS and (lacking := _lacks(permissions, action)):
        return lacking
    if action == "add_client" or action not in CLIENT_ACTIONS:
        return None
    if client is None:
        return _("select a client first")
    if (why := _version_reason(action, version)) is not None:
        return why
    return _state_reason(action, client)


def _state_reason(action: str, client: Client) -> str | None:
    status = client.status
    if action == "register":
        if client.owner:
            return _("the owner is registered with the security server itself")
        if status != SAVED:
            return _("only a saved client can be registered; this one is {status}").format(
                status=status_word(status))
    elif action == "remove":
        if client.owner:
            return _("the owner of the server cannot be removed (make another member the "
                     "owner first)")
        if status not in DELETABLE | UNREGISTERABLE:
            return _("wait until the client is no longer {status}").format(
                status=status_word(status))
    elif action == "disable_enable":
        if not client.is_subsystem:
            return _("only subsystems can be disabled")
        if client.is_management_services_provider:
            return _("the management services provider cannot be disabled")
        if status not in (REGISTERED, DISABLED):
            return _("only a registered or disabled subsystem; this one is {status}").format(
                status=status_word(status))
    elif action == "rename":
        if not client.is_subsystem:
            return _("only subsystems have a name of their own (a member's name comes from "
                     "the central server)")
        if client.rename_status == NAME_SUBMITTED:
            return _("a rename is waiting for the central server's approval")
        if status not in (SAVED, REGISTERED):
            return _("only a saved or registered subsystem; this one is {status}").format(
                status=status_word(status))
    return None


@dataclass
class MemberGroup:
    """A member and its subsystems on this server; ``member`` is None when only subsystems are."""

    member_id: str
    name: str
    member: Client | None = None
    subsystems: list[Client] = field(default_factory=list)

    @property
    def owner(self) -> bool:
        return self.member is not None and self.member.owner


def grouped(clients: Iterable[Client]) -> list[MemberGroup]:
    """Members with their subsystems under them: the owner first, then by member id."""
    groups: dict[str, MemberGroup] = {}
    for client in clients:
        member_id = member_id_of(client)
        group = groups.setdefault(member_id, MemberGroup(member_id, client.member_name or ""))
        group.name = group.name or client.member_name or ""
        if client.is_subsystem:
            group.subsystems.append(client)
        else:
            group.member = client
    for group in groups.values():
        group.subsystems.sort(key=lambda client: client.subsystem_code or "")
    return sorted(groups.values(), key=lambda group: (not group.owner, group.member_id))


ERROR_ADVICE: dict[str, str] = {
    "client_already_exists": N_("{client} is already a client of this server."),
    "additional_member_already_exists": N_(
        "A security server has its owner and at most one other member as clients; remove the "
        "other member first, or add this member's subsystems on another server."),
    "invalid_member_class": N_("The instance has no such member class; choose one from the "
                               "list."),
}


def explain(error: KapkaError, client: str = "") -> KapkaError:
    """The server's refusal of a client change, with what to do (X-Road's words stay)."""
    if not isinstance(error, ApiError):
        return error
    advice = ERROR_ADVICE.get(error.code or "")
    parts = [_(advice).format(client=client)] if advice else []
    for name, problems in error.validation_errors.items():
        if "IdentifierChars" in problems:
            parts.append(_("The {field} may not contain : ; / \\ % or spaces (X-Road's "
                           "identifier rule).").format(field=name.rsplit(".", 1)[-1]))
    if not parts:
        return error
    return KapkaError("\n".join([*parts, error.message]), error.title)
