"""Typed models of the admin API's clients, services, access rights and local groups.

Field names are the spec's (``xroad-ss-openapi.yaml``); enumerations stay strings so that a newer
server's value is shown rather than refused. Absent fields (X-Road omits nulls) take the defaults.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from backend.api.models import Model

#: ``ServiceClient.service_client_type`` values
SUBSYSTEM, GLOBALGROUP, LOCALGROUP = "SUBSYSTEM", "GLOBALGROUP", "LOCALGROUP"
#: ``ServiceDescription.type`` values
WSDL, REST, OPENAPI3 = "WSDL", "REST", "OPENAPI3"
CONNECTION_TYPES = ("HTTP", "HTTPS", "HTTPS_NO_AUTH")


class Client(Model, kw_only=True):
    """A member or subsystem: a client of this server, or one from the global configuration."""

    member_class: str
    member_code: str
    id: str = ""  # INSTANCE:CLASS:CODE[:SUBSYSTEM]
    instance_id: str | None = None
    member_name: str | None = None
    subsystem_code: str | None = None
    subsystem_name: str | None = None
    owner: bool = False
    has_valid_local_sign_cert: bool | None = None
    is_management_services_provider: bool | None = None
    rename_status: str | None = None  # NAME_SET, NAME_SUBMITTED
    # HTTP, HTTPS, HTTPS_NO_AUTH
    connection_type: str | None = None
    # REGISTERED, SAVED, GLOBAL_ERROR, REGISTRATION_IN_PROGRESS, DELETION_IN_PROGRESS, DISABLED, …
    status: str | None = None

    @property
    def is_subsystem(self) -> bool:
        return bool(self.subsystem_code)

    @property
    def display_name(self) -> str:
        """The subsystem's or member's name, else its code."""
        if self.is_subsystem:
            return self.subsystem_name or self.subsystem_code or self.id
        return self.member_name or self.member_code


class OrphanInformation(Model, kw_only=True):
    orphans_exist: bool = False


class Endpoint(Model, kw_only=True):
    """A REST endpoint; ``*`` / ``**`` is the base endpoint that stands for the whole service."""

    service_code: str
    method: str
    path: str
    id: str | None = None
    generated: bool = False

    @property
    def is_base(self) -> bool:
        return self.method == "*" and self.path == "**"


class Service(Model, kw_only=True):
    id: str  # <client id>:<full service code>
    service_code: str
    url: str
    timeout: int
    full_service_code: str | None = None
    title: str | None = None
    ssl_auth: bool | None = None
    subjects_count: int | None = None
    endpoints: list[Endpoint] = msgspec.field(default_factory=list)

    @property
    def code(self) -> str:
        """The code access rights name: the full service code (with its version)."""
        return self.full_service_code or self.service_code


class ServiceDescription(Model, kw_only=True):
    id: str
    url: str
    type: str  # WSDL, REST, OPENAPI3
    disabled: bool
    client_id: str
    refreshed_at: datetime | None = None
    disabled_notice: str | None = None
    services: list[Service] = msgspec.field(default_factory=list)


class ServiceClient(Model, kw_only=True):
    """A subject of access rights: a subsystem, a global group or a local group."""

    id: str  # INST:CLASS:CODE:SUB, INST:GROUPCODE, or the local group's numeric id
    name: str | None = None
    local_group_code: str | None = None
    service_client_type: str | None = None  # SUBSYSTEM, GLOBALGROUP, LOCALGROUP
    rights_given_at: datetime | None = None

    @property
    def label(self) -> str:
        """How the subject is shown: the local group code or the id, with the name."""
        code = self.local_group_code if self.service_client_type == LOCALGROUP else self.id
        code = code or self.id
        return f"{code} ({self.name})" if self.name and self.name != code else code


class AccessRight(Model, kw_only=True):
    service_code: str
    service_title: str | None = None
    rights_given_at: datetime | None = None


class GroupMember(Model, kw_only=True):
    id: str
    member_name: str | None = None
    subsystem_name: str | None = None
    created_at: datetime | None = None


class LocalGroup(Model, kw_only=True):
    code: str
    description: str
    id: str | None = None
    member_count: int | None = None
    updated_at: datetime | None = None
    members: list[GroupMember] = msgspec.field(default_factory=list)
