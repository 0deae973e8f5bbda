"""The fictional instance that the sandbox simulates, read from ``seed.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

Subject = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Member:
    member_class: str
    code: str
    name: str
    subsystems: tuple[str, ...]


@dataclass(frozen=True)
class SecurityServer:
    """A security server the global configuration lists: owner class and code, server code."""

    owner_class: str
    owner_code: str
    code: str
    address: str


@dataclass(frozen=True)
class GlobalGroup:
    code: str
    description: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class OcspResponder:
    path: str
    cost_type: str
    #: the delegated responder's subject; empty when the CA signs its OCSP responses itself
    subject: Subject
    fetch_interval_seconds: int
    response_validity_seconds: int


@dataclass(frozen=True)
class CertificateAuthority:
    name: str
    subject: Subject
    validity_days: int
    authentication_only: bool
    top_ca: bool
    certificate_profile_info: str
    default_csr_format: str
    acme_capable: bool
    ocsp: OcspResponder
    #: whether the CA's ACME server requires external account binding
    acme_eab_required: bool = False
    #: how long certificates ordered over ACME are valid
    acme_certificate_days: int = 90


@dataclass(frozen=True)
class TimestampingService:
    name: str
    path: str
    cost_type: str
    subject: Subject


@dataclass(frozen=True)
class Seed:
    instance: str
    country: str
    global_conf_refresh_seconds: int
    member_classes: tuple[tuple[str, str], ...]
    members: tuple[Member, ...]
    global_groups: tuple[GlobalGroup, ...]
    ca: CertificateAuthority
    timestamping_services: tuple[TimestampingService, ...]
    security_servers: tuple[SecurityServer, ...] = ()
    #: the sandbox server's own signer setting ``enforce-token-pin-policy``
    enforce_token_pin_policy: bool = False
    #: the sandbox server's message-log ``timestamping-prioritization-strategy``
    timestamping_prioritization_strategy: str = "NONE"
    #: approved CAs besides ``ca``
    extra_cas: tuple[CertificateAuthority, ...] = ()
    #: seconds the central server takes to approve a management request; ``None``: never
    management_request_delay_seconds: int | None = 20

    @property
    def member_class_codes(self) -> tuple[str, ...]:
        """The codes of the instance's member classes."""
        return tuple(code for code, _description in self.member_classes)

    @property
    def cas(self) -> tuple[CertificateAuthority, ...]:
        """Every approved CA, ``ca`` first."""
        return (self.ca, *self.extra_cas)

    def ca_by_name(self, name: str) -> CertificateAuthority | None:
        """The approved CA with this name."""
        return next((ca for ca in self.cas if ca.name == name), None)

    def member(self, member_class: str, code: str) -> Member | None:
        """The member with this class and code, if the global configuration lists it."""
        for member in self.members:
            if member.member_class == member_class and member.code == code:
                return member
        return None

    def member_by_id(self, member_id: str) -> Member | None:
        """The member for an encoded id ``INSTANCE:CLASS:CODE`` of this instance."""
        parts = member_id.split(":")
        if len(parts) != 3 or parts[0] != self.instance:
            return None
        return self.member(parts[1], parts[2])

    def security_server(
        self, instance: str, owner_class: str, owner_code: str, code: str
    ) -> SecurityServer | None:
        """The listed security server with this id, if the global configuration has it."""
        if instance != self.instance:
            return None
        return next((s for s in self.security_servers if (s.owner_class, s.owner_code, s.code)
                     == (owner_class, owner_code, code)), None)

    def tsa(self, name: str) -> TimestampingService | None:
        """The approved timestamping service with this name."""
        return next((t for t in self.timestamping_services if t.name == name), None)


def _subject(raw: list[list[str]]) -> Subject:
    return tuple((str(key), str(value)) for key, value in raw)


def _ca(ca: dict) -> CertificateAuthority:
    ocsp = ca["ocsp"]
    return CertificateAuthority(
        name=ca["name"],
        subject=_subject(ca["subject"]),
        validity_days=int(ca["validity_days"]),
        authentication_only=bool(ca["authentication_only"]),
        top_ca=bool(ca["top_ca"]),
        certificate_profile_info=ca["certificate_profile_info"],
        default_csr_format=ca["default_csr_format"],
        acme_capable=bool(ca["acme_capable"]),
        ocsp=OcspResponder(
            path=ocsp["path"],
            cost_type=ocsp["cost_type"],
            subject=_subject(ocsp.get("subject", [])),
            fetch_interval_seconds=int(ocsp["fetch_interval_seconds"]),
            response_validity_seconds=int(ocsp["response_validity_seconds"]),
        ),
        acme_eab_required=bool(ca.get("acme_eab_required", False)),
        acme_certificate_days=int(ca.get("acme_certificate_days", 90)),
    )


def _delay(central_server: dict) -> int | None:
    value = central_server.get("management_request_delay_seconds", 20)
    return None if value == "never" else int(value)


def parse_seed(data: dict) -> Seed:
    """Build a :class:`Seed` from the parsed TOML document."""
    instance = data["instance"]
    local = data.get("security_server", {})
    return Seed(
        instance=instance["identifier"],
        country=instance["country"],
        global_conf_refresh_seconds=int(instance["global_conf_refresh_seconds"]),
        member_classes=tuple((c["code"], c["description"]) for c in data["member_classes"]),
        members=tuple(
            Member(m["class"], m["code"], m["name"], tuple(m.get("subsystems", ())))
            for m in data["members"]
        ),
        global_groups=tuple(
            GlobalGroup(g["code"], g["description"], tuple(g.get("members", ())))
            for g in data.get("global_groups", ())
        ),
        ca=_ca(data["ca"]),
        timestamping_services=tuple(
            TimestampingService(t["name"], t["path"], t["cost_type"], _subject(t["subject"]))
            for t in data["timestamping_services"]
        ),
        extra_cas=tuple(_ca(ca) for ca in data.get("extra_cas", ())),
        management_request_delay_seconds=_delay(data.get("central_server", {})),
        security_servers=tuple(
            SecurityServer(*s["owner"].split(":", 1), s["code"], s["address"])
            for s in data.get("security_servers", ())
        ),
        enforce_token_pin_policy=bool(local.get("enforce_token_pin_policy", False)),
        timestamping_prioritization_strategy=str(
            local.get("timestamping_prioritization_strategy", "NONE")),
    )


@lru_cache(maxsize=1)
def load_seed() -> Seed:
    """The seed shipped with the package."""
    text = resources.files("backend.sandbox").joinpath("seed.toml").read_text(encoding="utf-8")
    return parse_seed(tomllib.loads(text))
