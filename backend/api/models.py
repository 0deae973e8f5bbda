"""Typed models of the X-Road admin API schemas Kapka reads.

Field names are the spec's. Enumerations are kept as strings so that a newer server's value is
shown rather than refused; the known values are listed beside each field. Absent fields (X-Road
omits nulls) take the defaults below.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec


class Model(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every API model: keyword-only, unknown fields ignored."""


class VersionInfo(Model, kw_only=True):
    info: str
    java_version: int | None = None
    min_java_version: int | None = None
    max_java_version: int | None = None
    using_supported_java_version: bool | None = None
    java_vendor: str | None = None
    java_runtime_version: str | None = None
    global_configuration_version: int | None = None

    @property
    def version(self) -> str:
        """The X-Road version number from ``info`` ("Security Server version 7.8.0-1…" → "7.8.0")."""
        match = re.search(r"(\d+\.\d+\.\d+)", self.info)
        return match.group(1) if match else self.info

    @property
    def version_tuple(self) -> tuple[int, ...]:
        match = re.search(r"(\d+)\.(\d+)\.(\d+)", self.info)
        return tuple(int(x) for x in match.groups()) if match else ()


class NodeTypeResponse(Model, kw_only=True):
    node_type: str  # PRIMARY, SECONDARY, STANDALONE


class User(Model, kw_only=True):
    username: str
    roles: list[str] = msgspec.field(default_factory=list)
    permissions: list[str] = msgspec.field(default_factory=list)

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def role_names(self) -> list[str]:
        """The X-Road role names; ``/user`` reports them as Spring authorities (``ROLE_…``)."""
        return sorted(role.removeprefix("ROLE_") for role in self.roles)

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class SecurityServer(Model, kw_only=True):
    id: str  # INSTANCE:CLASS:CODE:SERVERCODE
    instance_id: str | None = None
    member_class: str | None = None
    member_code: str | None = None
    server_code: str | None = None
    server_address: str | None = None


class InitializationStatus(Model, kw_only=True):
    is_anchor_imported: bool
    is_server_code_initialized: bool
    is_server_owner_initialized: bool
    software_token_init_status: str  # INITIALIZED, NOT_INITIALIZED, UNKNOWN
    enforce_token_pin_policy: bool = False

    @property
    def is_initialized(self) -> bool:
        """As X-Road's web UI decides: anchor, server code and owner set, token not uninitialised."""
        return (
            self.is_anchor_imported
            and self.is_server_code_initialized
            and self.is_server_owner_initialized
            and self.software_token_init_status in ("INITIALIZED", "UNKNOWN")
        )


class AlertData(Model, kw_only=True):
    """``GET /notifications/alerts`` (a controller outside the spec)."""

    current_time: datetime | None = None
    backup_restore_running_since: datetime | None = None
    global_conf_valid: bool = True
    global_conf_valid_check_success: bool = True
    soft_token_pin_entered: bool = True
    soft_token_pin_entered_check_success: bool = True
    certificate_renewal_job_success: bool = True
    auth_certificate_ids_with_errors: list[str] = msgspec.field(default_factory=list)
    sign_certificate_ids_with_errors: list[str] = msgspec.field(default_factory=list)


class CodeWithDetails(Model, kw_only=True):
    code: str
    metadata: list[str] = msgspec.field(default_factory=list)
    validation_errors: dict[str, list[str]] = msgspec.field(default_factory=dict)


class CertificateDetails(Model, kw_only=True):
    issuer_distinguished_name: str
    issuer_common_name: str
    subject_distinguished_name: str
    subject_common_name: str
    not_before: datetime
    not_after: datetime
    serial: str
    version: int
    signature_algorithm: str
    signature: str
    public_key_algorithm: str
    rsa_public_key_modulus: str | None = None
    rsa_public_key_exponent: int | None = None
    ec_public_parameters: str | None = None
    ec_public_key_point: str | None = None
    hash: str
    key_usages: list[str] = msgspec.field(default_factory=list)
    subject_alternative_names: str | None = None

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until ``not_after`` (negative once expired)."""
        now = now or datetime.now(UTC)
        return (self.not_after - now).days


class TokenCertificate(Model, kw_only=True):
    ocsp_status: str | None = None  # DISABLED, EXPIRED, OCSP_RESPONSE_UNKNOWN/GOOD/SUSPENDED/REVOKED
    owner_id: str | None = None
    active: bool = False
    saved_to_configuration: bool = False
    certificate_details: CertificateDetails
    status: str  # SAVED, REGISTRATION_IN_PROGRESS, REGISTERED, DELETION_IN_PROGRESS, GLOBAL_ERROR
    possible_actions: list[str] = msgspec.field(default_factory=list)
    renewed_cert_hash: str | None = None
    renewal_error: str | None = None
    ocsp_verify_before_activation_error: str | None = None
    next_automatic_renewal_time: datetime | None = None


class TokenCertificateSigningRequest(Model, kw_only=True):
    id: str
    owner_id: str | None = None
    certificate_profile: str | None = None
    possible_actions: list[str] = msgspec.field(default_factory=list)


class Key(Model, kw_only=True):
    id: str
    name: str
    label: str
    certificates: list[TokenCertificate] = msgspec.field(default_factory=list)
    certificate_signing_requests: list[TokenCertificateSigningRequest] = msgspec.field(
        default_factory=list
    )
    usage: str | None = None  # AUTHENTICATION, SIGNING; absent while undecided
    available: bool = True
    saved_to_configuration: bool = False
    possible_actions: list[str] = msgspec.field(default_factory=list)
    key_algorithm: str | None = None  # RSA, EC


class KeyValuePair(Model, kw_only=True):
    key: str
    value: str


class Token(Model, kw_only=True):
    id: str
    name: str
    type: str  # SOFTWARE, HARDWARE
    keys: list[Key] = msgspec.field(default_factory=list)
    status: str  # OK, USER_PIN_LOCKED, …, NOT_INITIALIZED
    logged_in: bool = False
    available: bool = False
    saved_to_configuration: bool = False
    read_only: bool = False
    serial_number: str | None = None
    token_infos: list[KeyValuePair] = msgspec.field(default_factory=list)
    possible_actions: list[str] = msgspec.field(default_factory=list)

    def certificates(self) -> list[tuple[Key, TokenCertificate]]:
        return [(key, cert) for key in self.keys for cert in key.certificates]


class GlobalConfDiagnostics(Model, kw_only=True):
    status_class: str  # OK, WAITING, FAIL
    prev_update_at: datetime | None = None
    next_update_at: datetime | None = None
    last_successful_url: str | None = None
    error: CodeWithDetails | None = None


class TimestampingServiceDiagnostics(Model, kw_only=True):
    url: str
    status_class: str
    prev_update_at: datetime | None = None
    cost_type: str | None = None
    error: CodeWithDetails | None = None


class OcspResponderDiagnostics(Model, kw_only=True):
    url: str
    status_class: str
    prev_update_at: datetime | None = None
    next_update_at: datetime | None = None
    cost_type: str | None = None
    error: CodeWithDetails | None = None


class CaOcspDiagnostics(Model, kw_only=True):
    distinguished_name: str
    ocsp_responders: list[OcspResponderDiagnostics] = msgspec.field(default_factory=list)


class ApiKey(Model, kw_only=True):
    """An API key as listed; ``key`` (the plaintext) is only present in the creation answer."""

    id: int
    roles: list[str] = msgspec.field(default_factory=list)
    key: str | None = None

    def __repr__(self) -> str:  # the plaintext key must never show
        return f"ApiKey(id={self.id}, roles={self.roles})"


ROLES: tuple[str, ...] = (
    "XROAD_SECURITY_OFFICER",
    "XROAD_REGISTRATION_OFFICER",
    "XROAD_SERVICE_ADMINISTRATOR",
    "XROAD_SYSTEM_ADMINISTRATOR",
    "XROAD_SECURITYSERVER_OBSERVER",
)


# -- setup, keys and certificates -------------------------------------------------------------


class Anchor(Model, kw_only=True):
    hash: str  # SHA-224 of the anchor file as X-Road shows it (hex pairs joined by ':')
    created_at: datetime


class XRoadInstance(Model, kw_only=True):
    identifier: str
    local: bool = False


class MemberName(Model, kw_only=True):
    member_name: str | None = None


class TimestampingService(Model, kw_only=True):
    name: str
    url: str
    cost_type: str | None = None  # FREE, PAID, UNDEFINED


class OcspResponder(Model, kw_only=True):
    url: str
    cost_type: str | None = None


class CertificateAuthority(Model, kw_only=True):
    name: str
    subject_distinguished_name: str
    issuer_distinguished_name: str
    ocsp_response: str  # NOT_AVAILABLE, OCSP_RESPONSE_UNKNOWN/GOOD/SUSPENDED/REVOKED
    not_after: datetime
    top_ca: bool = True
    path: str = ""
    authentication_only: bool = False
    certificate_profile_info: str | None = None
    default_csr_format: str | None = None  # PEM, DER
    acme_capable: bool = False
    acme_server_ip_addresses: list[str] = msgspec.field(default_factory=list)
    ocsp_responders: list[OcspResponder] = msgspec.field(default_factory=list)


class CsrSubjectFieldDescription(Model, kw_only=True):
    id: str
    label: str | None = None
    label_key: str | None = None
    default_value: str | None = None
    read_only: bool = False
    required: bool = False
    localized: bool = False


class KeyWithCertificateSigningRequestId(Model, kw_only=True):
    key: Key
    csr_id: str


class AcmeEabCredentialsStatus(Model, kw_only=True):
    acme_eab_required: bool = False
    has_acme_external_account_credentials: bool = False


class CsrGenerate(Model, kw_only=True):
    """A CSR request (``CsrGenerate``): what to put into the certificate signing request."""

    key_usage_type: str  # AUTHENTICATION, SIGNING
    ca_name: str
    csr_format: str  # PEM, DER
    subject_field_values: dict[str, str] = msgspec.field(default_factory=dict)
    member_id: str | None = None  # INSTANCE:CLASS:CODE, required for SIGNING
    acme_order: bool | None = None


KEY_USAGES: tuple[str, ...] = ("AUTHENTICATION", "SIGNING")
CSR_FORMATS: tuple[str, ...] = ("PEM", "DER")
