"""X-Road's encoded identifiers in paths and bodies, read as its converters read them.

A client id is ``INSTANCE:CLASS:CODE`` (a member) or ``INSTANCE:CLASS:CODE:SUBSYSTEM``
(``ClientIdConverter``); a service id is ``<client id>:<full service code>``, split at the last
colon (``ServiceConverter``); a service client (an access-right subject) is a subsystem id, a global
group ``INSTANCE:GROUPCODE`` or a local group's numeric id, told apart by the number of colons
(``ServiceClientIdentifierConverter``). A member is never a subject.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.i18n import _
from backend.sandbox.errors import ApiError, SandboxError

SEPARATOR = ":"
SUBSYSTEM, GLOBALGROUP, LOCALGROUP = "SUBSYSTEM", "GLOBALGROUP", "LOCALGROUP"
_MAX_LONG = 2**63 - 1


@dataclass(frozen=True)
class ClientId:
    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    @property
    def encoded(self) -> str:
        parts = [self.instance, self.member_class, self.member_code]
        if self.subsystem_code is not None:
            parts.append(self.subsystem_code)
        return SEPARATOR.join(parts)

    @property
    def member_id(self) -> str:
        """The encoded id of the member (the client itself, or the subsystem's member)."""
        return SEPARATOR.join((self.instance, self.member_class, self.member_code))

    @property
    def is_subsystem(self) -> bool:
        return self.subsystem_code is not None

    def short(self) -> str:
        """``XRoadId.toShortString``: ``INSTANCE/CLASS/CODE[/SUBSYSTEM]``."""
        return self.encoded.replace(SEPARATOR, "/")


def client_id(encoded: str) -> ClientId | None:
    """The client id encoded in ``encoded``, or ``None`` when it is not one."""
    parts = encoded.split(SEPARATOR)
    if len(parts) not in (3, 4) or not all(parts):
        return None
    return ClientId(*parts)


def parse_client_id(encoded: str) -> ClientId:
    """A client id from a path or body; anything else is 400 (``BadRequestException``)."""
    found = client_id(encoded)
    if found is None:
        raise ApiError(400)
    return found


def split_service_id(encoded: str) -> tuple[ClientId, str]:
    """``(client id, full service code)`` of an encoded service id."""
    client_part, separator, full_code = encoded.rpartition(SEPARATOR)
    if not separator or not full_code:
        raise ApiError(400)
    return parse_client_id(client_part), full_code


@dataclass(frozen=True)
class Subject:
    """An access-right subject: its type and the key it is stored under in ``access_rights``
    (the encoded subsystem or global group id, or the local group's numeric id)."""

    kind: str
    key: str


def parse_subject(encoded: str) -> Subject:
    """A service client id; anything else is 400 ``invalid_service_client_id``."""
    separators = encoded.count(SEPARATOR)
    parts = encoded.split(SEPARATOR)
    if separators == 3 and all(parts):
        return Subject(SUBSYSTEM, encoded)
    if separators == 1 and all(parts):
        return Subject(GLOBALGROUP, encoded)
    if encoded.isdigit() and encoded.isascii() and int(encoded) <= _MAX_LONG:
        return Subject(LOCALGROUP, str(int(encoded)))
    raise SandboxError("invalid_service_client_id",
                       _("A service client is a subsystem, a global group or a local group id."))


def subject_of_key(key: str) -> Subject:
    """The subject stored under ``key`` in ``access_rights``."""
    separators = key.count(SEPARATOR)
    kind = SUBSYSTEM if separators == 3 else GLOBALGROUP if separators == 1 else LOCALGROUP
    return Subject(kind, key)


def numeric_id(raw: str) -> int | None:
    """A numeric path id as ``FormatUtils.parseLongIdOrThrowNotFound`` reads it (else ``None``:
    X-Road answers 404)."""
    if not raw.isdigit() or not raw.isascii() or int(raw) > _MAX_LONG:
        return None
    return int(raw)
