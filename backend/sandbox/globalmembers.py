"""The members, subsystems, global groups and server clients the global configuration lists.

The seed's instance is the starting point; the simulated central server then publishes what it
approved (:mod:`backend.sandbox.centralserver`): a registered client becomes a client of this
security server (a new subsystem of a known member is created, as X-Road's central server does), a
deletion removes it, a disabled client is no longer a client until it is enabled again, a rename
sets the subsystem's name and an owner change makes another member the server's owner. This server
and its clients appear only while its authentication certificate is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.sandbox import centralserver
from backend.sandbox.identifiers import client_id

if TYPE_CHECKING:
    from backend.sandbox.state import SandboxState


@dataclass
class GlobalView:
    """One reading of the global configuration (build it once per request)."""

    instance: str
    #: member id → member name
    members: dict[str, str]
    #: subsystem id → its name in the global configuration (``None``: it has none)
    subsystems: dict[str, str | None]
    #: global group id ``INSTANCE:CODE`` → description
    groups: dict[str, str]
    #: this server's owner as the global configuration names it (``None``: not registered)
    owner: str | None = None
    #: this server's clients besides the owner → whether they are enabled
    server_clients: dict[str, bool] = field(default_factory=dict)

    def member_name(self, encoded: str) -> str | None:
        """X-Road's ``getMemberName``: the member's name for a listed member or subsystem."""
        found = client_id(encoded)
        if found is None or found.instance != self.instance:
            return None
        if found.is_subsystem and encoded not in self.subsystems:
            return None
        return self.members.get(found.member_id)

    def subsystem_name(self, encoded: str) -> str | None:
        return self.subsystems.get(encoded)

    def lists(self, encoded: str) -> bool:
        """Whether the global configuration lists this member or subsystem."""
        return encoded in self.members or encoded in self.subsystems

    def ids(self) -> list[str]:
        """Every member and subsystem, members first."""
        return [*self.members, *self.subsystems]

    def is_server_client(self, encoded: str) -> bool:
        """``isSecurityServerClient`` for this server: its owner or an enabled client."""
        if self.owner is None:
            return False
        return encoded == self.owner or self.server_clients.get(encoded, False)


def _seed_view(state: SandboxState) -> GlobalView:
    seed = state.seed
    instance = seed.instance
    members: dict[str, str] = {}
    subsystems: dict[str, str | None] = {}
    for member in seed.members:
        member_id = f"{instance}:{member.member_class}:{member.code}"
        members[member_id] = member.name
        for code in member.subsystems:
            subsystems[f"{member_id}:{code}"] = None
    groups = {f"{instance}:{group.code}": group.description for group in seed.global_groups}
    return GlobalView(instance, members, subsystems, groups)


def server_registered(state: SandboxState) -> bool:
    """Whether the global configuration lists this server (an authentication certificate of it
    is registered)."""
    return bool(state.server_id_encoded()) and bool(centralserver.registered_auth_certs(state))


def global_view(state: SandboxState) -> GlobalView:
    """The global configuration as the sandbox's central server publishes it now."""
    view = _seed_view(state)
    if not state.server_conf()["anchor_imported"]:
        return view
    requests = centralserver.approved_client_requests(state)
    # the owner before the first approved owner change (the server's configuration follows it)
    owner = next((detail for kind, _id, detail in requests
                  if kind == centralserver.OWNER_CHANGE and detail), state.owner_member_id())
    clients: dict[str, bool] = {}
    for kind, encoded, name in requests:
        if kind == centralserver.CLIENT_REGISTRATION:
            clients[encoded] = True
            found = client_id(encoded)
            if found is not None and found.is_subsystem and found.member_id in view.members:
                view.subsystems[encoded] = name or view.subsystems.get(encoded)
        elif kind == centralserver.CLIENT_DELETION:
            clients.pop(encoded, None)
        elif kind == centralserver.CLIENT_DISABLE and encoded in clients:
            clients[encoded] = False
        elif kind == centralserver.CLIENT_ENABLE and encoded in clients:
            clients[encoded] = True
        elif kind == centralserver.CLIENT_RENAME and encoded in view.subsystems:
            view.subsystems[encoded] = name
        elif kind == centralserver.OWNER_CHANGE:
            if name:
                clients[name] = True  # the former owner stays a client of the server
            owner = encoded
    if server_registered(state):
        view.owner = owner
        view.server_clients = {key: enabled for key, enabled in clients.items() if key != owner}
    return view
