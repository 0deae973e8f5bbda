"""``/certificate-authorities``: the approved CAs, their CSR subject fields, ACME.

As X-Road's ``CertificateAuthoritiesApiController`` and ``CertificateAuthorityService``: only top
CAs are listed (the sandbox's CAs are all top CAs), their OCSP status is ``NOT_AVAILABLE`` (X-Road
fetches OCSP for intermediate CAs only), a signing listing leaves out authentication-only CAs; an
unknown CA is 404 for the subject fields and the EAB check and 400 for an ACME order; an order
answers 204.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.certinfo import java_dn
from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.pki import SIGNING, Issuer
from backend.sandbox.routes import json_response, state
from backend.sandbox.routes.inputs import (
    KEY_USAGES,
    Validator,
    has,
    json_body,
    query_bool,
    query_choice,
)
from backend.sandbox.seed import CertificateAuthority
from backend.sandbox.wire import fmt_time

ACME_SERVER_ADDRESS = "127.0.0.1"


def render_ca(request: Request, seed_ca: CertificateAuthority, issuer: Issuer) -> dict[str, Any]:
    """``CertificateAuthority`` of one approved top CA."""
    cert = issuer.ca.cert
    subject = java_dn(cert.subject)
    return {
        "name": seed_ca.name,
        "subject_distinguished_name": subject,
        "issuer_distinguished_name": java_dn(cert.issuer),
        "ocsp_response": "NOT_AVAILABLE",
        "not_after": fmt_time(cert.not_valid_after_utc),
        "top_ca": True,
        "path": subject,
        "authentication_only": seed_ca.authentication_only,
        "certificate_profile_info": seed_ca.certificate_profile_info,
        "default_csr_format": seed_ca.default_csr_format,
        "acme_capable": seed_ca.acme_capable,
        "acme_server_ip_addresses": [ACME_SERVER_ADDRESS] if seed_ca.acme_capable else None,
        "ocsp_responders": [{"url": state(request).url(seed_ca.ocsp.path),
                             "cost_type": seed_ca.ocsp.cost_type}],
    }


async def list_cas(request: Request) -> Response:
    usage = query_choice(request, "key_usage_type", KEY_USAGES)
    query_bool(request, "include_intermediate_cas")  # every sandbox CA is a top CA
    if not (has(request, "VIEW_APPROVED_CERTIFICATE_AUTHORITIES")
            or (has(request, "GENERATE_AUTH_CERT_REQ") and usage in (None, "AUTHENTICATION"))
            or (has(request, "GENERATE_SIGN_CERT_REQ") and usage == SIGNING)):
        raise ApiError(403)
    sandbox = state(request)
    with sandbox.lock:
        if not sandbox.server_conf()["anchor_imported"]:
            return json_response([])  # no global configuration: no approved CAs
        cas = []
        for seed_ca in sandbox.seed.cas:
            issuer = sandbox.pki.issuer_named(seed_ca.name)
            if issuer is None or (usage == SIGNING and seed_ca.authentication_only):
                continue
            cas.append(render_ca(request, seed_ca, issuer))
    return json_response(sorted(cas, key=lambda ca: ca["name"]))


def _usage_permitted(request: Request, usage: str, auth: str, sign: str) -> None:
    if not has(request, auth if usage == "AUTHENTICATION" else sign):
        raise ApiError(403)


def _not_found_as_404(error: SandboxError) -> SandboxError:
    if error.code == "certificate_authority_not_found":
        error.status = 404
    return error


async def subject_fields(request: Request) -> Response:
    usage = query_choice(request, "key_usage_type", KEY_USAGES, required=True)
    assert usage is not None
    _usage_permitted(request, usage, "GENERATE_AUTH_CERT_REQ", "GENERATE_SIGN_CERT_REQ")
    member_id = request.query_params.get("member_id") or None
    if usage == SIGNING and not (member_id or "").strip():
        raise ApiError(400, "memberId_required_for_sign_csr")
    key_id = request.query_params.get("key_id") or None
    is_new_member = query_bool(request, "is_new_member")
    sandbox = state(request)
    with sandbox.lock:
        try:
            if key_id:
                try:
                    key = sandbox.key(key_id)
                except SandboxError as error:
                    error.status = 400  # KeyNotFoundException is a bad request here
                    raise
                if key["usage"] is not None and key["usage"] != usage:
                    raise ApiError(400, "wrong_key_usage")
            fields = sandbox.subject_fields(request.path_params["ca_name"], usage, member_id,
                                            is_new_member)
        except SandboxError as error:
            raise _not_found_as_404(error) from None
    return json_response([field.render() for field in fields])


async def acme_eab_credentials(request: Request) -> Response:
    usage = query_choice(request, "key_usage_type", KEY_USAGES, required=True)
    assert usage is not None
    _usage_permitted(request, usage, "IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT")
    sandbox = state(request)
    with sandbox.lock:
        try:
            seed_ca = sandbox.approved_ca(request.path_params["ca_name"])
        except SandboxError as error:
            raise _not_found_as_404(error) from None
    # the sandbox has no acme.yml: no external account credentials are configured
    return json_response({
        "acme_eab_required": seed_ca.acme_capable and seed_ca.acme_eab_required,
        "has_acme_external_account_credentials": False,
    })


async def acme_order(request: Request) -> Response:
    body = await json_body(request)
    validator = Validator("acmeOrder")
    csr_id = validator.text(body, "csr_id", "csrId", required=True, min_length=1, max_length=40)
    usage = validator.choice(body, "key_usage_type", "keyUsageType", KEY_USAGES)
    validator.done()
    assert csr_id is not None and usage is not None
    _usage_permitted(request, usage, "IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT")
    sandbox = state(request)
    with sandbox.lock:
        sandbox.acme_order(request.path_params["ca_name"], csr_id, usage)
    return Response(status_code=204)


_CA = "/api/v1/certificate-authorities"
routes = [
    Route(_CA, list_cas, methods=["GET"]),
    Route(_CA + "/{ca_name}/csr-subject-fields", subject_fields, methods=["GET"]),
    Route(_CA + "/{ca_name}/has-acme-eab-credentials", acme_eab_credentials, methods=["GET"]),
    Route(_CA + "/{ca_name}/acme-order", acme_order, methods=["POST"]),
]
