"""``/token-certificates``: import, read, activate, disable, register, unregister, delete.

As X-Road's ``TokenCertificatesApiController``: an import (the body is the certificate, PEM or DER)
answers 201 with the ``TokenCertificate`` and ``Location: /api/token-certificates/<hash>``; the
state changes answer 204 (``register`` too, where the spec says 200). Which permission an action
needs depends on the certificate: authentication or signing, as X-Road's ``SecurityHelper`` checks.
"""

from __future__ import annotations

from cryptography import x509
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.i18n import _
from backend.sandbox.castate import not_possible
from backend.sandbox.certstate import invalid_cert, is_auth_cert, is_sign_cert
from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.routes import json_response, read_body, requires, state
from backend.sandbox.routes.inputs import (
    Validator,
    cert_hash_param,
    check,
    created,
    json_body,
    requires_any,
)
from backend.sandbox.views import render_certificate_by_hash

UPLOAD_LIMIT = 10 * 1024 * 1024  # X-Road's limit for file uploads


def _kind(der: bytes, auth: str, sign: str, unknown: str | None = None) -> str:
    """The permission for this certificate's kind (``unknown``: neither; else 500 as X-Road)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        if is_auth_cert(cert):
            return auth
    except SandboxError:
        pass
    if is_sign_cert(cert):
        return sign
    if unknown is None:
        raise ApiError(500, "invalid_cert")
    return unknown


@requires_any("IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT")
async def import_certificate(request: Request) -> Response:
    data = await read_body(request, UPLOAD_LIMIT)
    sandbox = state(request)
    with sandbox.lock:
        if not sandbox.global_conf_valid():
            raise SandboxError("global_conf_outdated",
                               _("The global configuration is outdated."), status=409)
        cert = invalid_cert(data)
        check(request, "IMPORT_AUTH_CERT" if is_auth_cert(cert) else "IMPORT_SIGN_CERT")
        digest = sandbox.import_certificate(data)
        body = render_certificate_by_hash(sandbox, digest)
    return created(request, body, f"/api/token-certificates/{digest}")


@requires_any("VIEW_AUTH_CERT", "VIEW_SIGN_CERT", "VIEW_UNKNOWN_CERT")
async def get_certificate(request: Request) -> Response:
    cert_hash = cert_hash_param(request, "getCertificate")
    sandbox = state(request)
    with sandbox.lock:
        cert = sandbox.certificate(cert_hash)
        check(request, _kind(cert["der"], "VIEW_AUTH_CERT", "VIEW_SIGN_CERT", "VIEW_UNKNOWN_CERT"))
        return json_response(render_certificate_by_hash(sandbox, cert_hash))


@requires_any("VIEW_KEYS", "VIEW_SIGN_CERT", "VIEW_AUTH_CERT", "VIEW_UNKNOWN_CERT")
async def certificate_actions(request: Request) -> Response:
    cert_hash = cert_hash_param(request, "getPossibleActionsForCertificate")
    sandbox = state(request)
    with sandbox.lock:
        sandbox.catch_up()
        return json_response(sandbox.certificate_actions_for(sandbox.certificate(cert_hash)))


@requires_any("IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT", "IMPORT_UNKNOWN_CERT")
async def import_from_token(request: Request) -> Response:
    cert_hash = cert_hash_param(request, "importCertificateFromToken")
    sandbox = state(request)
    with sandbox.lock:
        digest = sandbox.import_certificate_from_token(cert_hash)
        body = render_certificate_by_hash(sandbox, digest)
    return created(request, body, f"/api/token-certificates/{digest}")


async def _activation(request: Request, method: str, activate: bool) -> Response:
    cert_hash = cert_hash_param(request, method)
    sandbox = state(request)
    with sandbox.lock:
        cert = sandbox.certificate(cert_hash)
        check(request, _kind(cert["der"], "ACTIVATE_DISABLE_AUTH_CERT",
                             "ACTIVATE_DISABLE_SIGN_CERT"))
        sandbox.catch_up()
        if activate:
            sandbox.activate_certificate(cert_hash)
        else:
            sandbox.disable_certificate(cert_hash)
    return Response(status_code=204)


@requires_any("ACTIVATE_DISABLE_AUTH_CERT", "ACTIVATE_DISABLE_SIGN_CERT")
async def activate(request: Request) -> Response:
    return await _activation(request, "activateCertificate", True)


@requires_any("ACTIVATE_DISABLE_AUTH_CERT", "ACTIVATE_DISABLE_SIGN_CERT")
async def disable(request: Request) -> Response:
    return await _activation(request, "disableCertificate", False)


@requires("SEND_AUTH_CERT_REG_REQ")
async def register(request: Request) -> Response:
    cert_hash = cert_hash_param(request, "registerCertificate")
    body = await json_body(request)
    validator = Validator("securityServerAddress")
    address = validator.text(body, "address", "address", required=True, min_length=1,
                             max_length=255)
    validator.done()
    assert address is not None
    sandbox = state(request)
    with sandbox.lock:
        sandbox.catch_up()
        sandbox.register_certificate(cert_hash, address)
    return Response(status_code=204)


async def _unregister(request: Request, method: str, send: bool) -> Response:
    cert_hash = cert_hash_param(request, method)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.catch_up()
        sandbox.unregister_certificate(cert_hash, send=send)
    return Response(status_code=204)


@requires("SEND_AUTH_CERT_DEL_REQ")
async def unregister(request: Request) -> Response:
    return await _unregister(request, "unregisterAuthCertificate", True)


@requires("SEND_AUTH_CERT_DEL_REQ")
async def mark_for_deletion(request: Request) -> Response:
    return await _unregister(request, "markAuthCertForDeletion", False)


@requires_any("DELETE_AUTH_CERT", "DELETE_SIGN_CERT", "DELETE_UNKNOWN_CERT")
async def delete_certificate(request: Request) -> Response:
    cert_hash = cert_hash_param(request, "deleteCertificate")
    sandbox = state(request)
    with sandbox.lock:
        sandbox.catch_up()
        cert = sandbox.certificate(cert_hash)
        if "DELETE" not in sandbox.certificate_actions_for(cert):
            raise not_possible("DELETE")
        key = sandbox.key(cert["key_id"])
        check(request, "DELETE_SIGN_CERT" if key["usage"] == "SIGNING" else "DELETE_AUTH_CERT")
        sandbox.delete_certificate(cert_hash)
    return Response(status_code=204)


_HASH = "/api/v1/token-certificates/{hash}"
routes = [
    Route("/api/v1/token-certificates", import_certificate, methods=["POST"]),
    Route(_HASH, get_certificate, methods=["GET"]),
    Route(_HASH, delete_certificate, methods=["DELETE"]),
    Route(_HASH + "/possible-actions", certificate_actions, methods=["GET"]),
    Route(_HASH + "/import", import_from_token, methods=["POST"]),
    Route(_HASH + "/activate", activate, methods=["PUT"]),
    Route(_HASH + "/disable", disable, methods=["PUT"]),
    Route(_HASH + "/register", register, methods=["PUT"]),
    Route(_HASH + "/unregister", unregister, methods=["PUT"]),
    Route(_HASH + "/mark-for-deletion", mark_for_deletion, methods=["PUT"]),
]
