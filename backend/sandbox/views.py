"""Tokens, keys, certificates and CSRs as the admin API shows them.

``possible_actions`` follow X-Road's ``PossibleActionsRuleEngine`` (they do not consider the
caller's permissions); ``ocsp_status`` follows ``TokenCertificateConverter.getOcspStatus``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from cryptography import x509

from backend.sandbox import ocsp
from backend.sandbox.certinfo import certificate_details
from backend.sandbox.pki import AUTHENTICATION, SIGNING
from backend.sandbox.softtoken import SOFTWARE_TOKEN_ID
from backend.sandbox.wire import fmt_time, parse_time, utcnow

if TYPE_CHECKING:
    from backend.sandbox.state import SandboxState

#: X-Road's order of ``PossibleAction`` values
ACTION_ORDER = (
    "DELETE", "ACTIVATE", "DISABLE", "LOGIN", "LOGOUT", "TOKEN_CHANGE_PIN", "TOKEN_DELETE",
    "REGISTER", "UNREGISTER", "IMPORT_FROM_TOKEN", "GENERATE_KEY", "EDIT_FRIENDLY_NAME",
    "GENERATE_AUTH_CSR", "GENERATE_SIGN_CSR",
)
IN_REGISTRATION = ("REGISTRATION_IN_PROGRESS", "REGISTERED")
CERTIFICATE_STATUSES = (
    "SAVED", "REGISTRATION_IN_PROGRESS", "REGISTERED", "DELETION_IN_PROGRESS", "GLOBAL_ERROR",
)


def _ordered(actions: set[str]) -> list[str]:
    return [action for action in ACTION_ORDER if action in actions]


def token_actions(token: sqlite3.Row) -> list[str]:
    actions: set[str] = set()
    if token["logged_in"]:
        actions |= {"GENERATE_KEY", "LOGOUT", "TOKEN_CHANGE_PIN"}
    elif token["available"]:
        actions.add("LOGIN")
    if token["saved_to_configuration"]:
        actions.add("EDIT_FRIENDLY_NAME")
    if not token["available"] and token["id"] != SOFTWARE_TOKEN_ID:
        actions.add("TOKEN_DELETE")
    return _ordered(actions)


def _unsupported(token: sqlite3.Row, key: sqlite3.Row) -> bool:
    """An authentication key on any other token than the software token is not supported."""
    return token["id"] != SOFTWARE_TOKEN_ID and key["usage"] == AUTHENTICATION


def key_actions(token: sqlite3.Row, key: sqlite3.Row, has_certificates: bool) -> list[str]:
    active = bool(token["logged_in"])
    unsupported = _unsupported(token, key)
    saved = bool(key["saved_to_configuration"])
    actions = {"EDIT_FRIENDLY_NAME"}
    if active and not unsupported and not (token["read_only"] and not saved):
        actions.add("DELETE")
    can_request = key["available"] and active and not unsupported and not has_certificates
    if can_request and token["id"] == SOFTWARE_TOKEN_ID and key["usage"] in (None, AUTHENTICATION):
        actions.add("GENERATE_AUTH_CSR")
    if can_request and key["usage"] in (None, SIGNING):
        actions.add("GENERATE_SIGN_CSR")
    return _ordered(actions)


def _can_delete(token: sqlite3.Row, saved: bool, can_unregister: bool) -> bool:
    return (not can_unregister and (not token["read_only"] or saved)
            and (saved or bool(token["logged_in"])))


def certificate_actions(token: sqlite3.Row, key: sqlite3.Row, cert: sqlite3.Row) -> list[str]:
    saved = bool(cert["saved_to_configuration"])
    can_unregister = key["usage"] == AUTHENTICATION and cert["status"] in IN_REGISTRATION
    actions: set[str] = set()
    if can_unregister:
        actions.add("UNREGISTER")
    if _can_delete(token, saved, can_unregister):
        actions.add("DELETE")
    if key["usage"] == AUTHENTICATION and cert["status"] == "SAVED" and not can_unregister:
        actions.add("REGISTER")
    if key["usage"] is not None and saved:
        actions.add("DISABLE" if cert["active"] else "ACTIVATE")
    if not saved and key["usage"] == SIGNING:
        actions.add("IMPORT_FROM_TOKEN")
    return _ordered(actions)


def ocsp_status(cert: sqlite3.Row) -> str | None:
    """The certificate's OCSP status; ``None`` (left out) unless it is registered and active."""
    if not cert["active"]:
        return "DISABLED"
    not_after = x509.load_der_x509_certificate(cert["der"]).not_valid_after_utc
    if utcnow() > not_after:
        return "EXPIRED"
    if cert["status"] != "REGISTERED":
        return None
    if not cert["ocsp_response"]:
        return "OCSP_RESPONSE_UNKNOWN"
    return {
        ocsp.GOOD: "OCSP_RESPONSE_GOOD",
        ocsp.REVOKED: "OCSP_RESPONSE_REVOKED",
        ocsp.UNKNOWN: "OCSP_RESPONSE_UNKNOWN",
    }[ocsp.response_status(cert["ocsp_response"])]


def render_certificate(
    token: sqlite3.Row, key: sqlite3.Row, cert: sqlite3.Row, ocsp_error: str | None = None
) -> dict[str, Any]:
    """``TokenCertificate``; ``ocsp_error`` is why the signer did not activate it, if it did not."""
    renewal = cert["next_renewal_time"]
    return {
        "ocsp_status": ocsp_status(cert),
        "owner_id": cert["member_id"],
        "active": bool(cert["active"]),
        "saved_to_configuration": bool(cert["saved_to_configuration"]),
        "renewed_cert_hash": cert["renewed_cert_hash"],
        "renewal_error": cert["renewal_error"],
        "next_automatic_renewal_time": fmt_time(parse_time(renewal)) if renewal else None,
        "ocsp_verify_before_activation_error": ocsp_error,
        "certificate_details": certificate_details(cert["der"]),
        "status": cert["status"],
        "possible_actions": certificate_actions(token, key, cert),
    }


def render_certificate_by_hash(state: SandboxState, cert_hash: str) -> dict[str, Any]:
    """One token certificate (``GET /token-certificates/{hash}``)."""
    state.catch_up()
    cert = state.certificate(cert_hash)
    key = state.key(cert["key_id"])
    token = state.require_token(key["token_id"])
    return render_certificate(token, key, cert, state.ocsp_error(cert["id"]))


def render_key(state: SandboxState, token: sqlite3.Row, key: sqlite3.Row) -> dict[str, Any]:
    """``Key`` with its certificates and CSRs."""
    certificates = state.certificates(key["id"])
    csr_actions = ["DELETE"] if _can_delete(token, True, False) else []
    return {
        "id": key["id"],
        "name": key["friendly_name"],
        "label": key["label"] or key["id"],
        "certificates": [render_certificate(token, key, cert, state.ocsp_error(cert["id"]))
                         for cert in certificates],
        "certificate_signing_requests": [
            {
                "id": csr["id"],
                "owner_id": csr["member_id"],
                "certificate_profile": csr["certificate_profile"],
                "possible_actions": csr_actions,
            }
            for csr in state.csrs(key["id"])
        ],
        "usage": key["usage"],
        "available": bool(key["available"]),
        "saved_to_configuration": bool(key["saved_to_configuration"]),
        "possible_actions": key_actions(token, key, bool(certificates)),
        "key_algorithm": key["algorithm"],
    }


def render_token(state: SandboxState, token: sqlite3.Row) -> dict[str, Any]:
    """X-Road's ``Token`` with its keys, certificates and CSRs."""
    state.catch_up()
    return {
        "id": token["id"],
        "name": token["friendly_name"],
        "type": token["type"],
        "keys": [render_key(state, token, key) for key in state.keys(token["id"])],
        "status": state.token_status(token),
        "logged_in": bool(token["logged_in"]),
        "available": bool(token["available"]),
        "saved_to_configuration": bool(token["saved_to_configuration"]),
        "read_only": bool(token["read_only"]),
        "serial_number": token["serial_number"],
        "token_infos": json.loads(token["token_infos"]),
        "possible_actions": token_actions(token),
    }
