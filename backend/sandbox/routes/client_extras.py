"""What hangs off ``/clients/{id}``: IS TLS certificates, signing certificates, security servers and
orphans (X-Road's ``ClientsApiController``).

A TLS certificate is uploaded as the raw request body (PEM or DER, ``application/octet-stream`` in
7.x) and answered 201 with ``Location: /api/clients/<id>/tls-certificates/<hash>``. ``GET
…/orphans`` answers ``{"orphans_exist": true}`` or a bare 404; ``DELETE …/orphans`` without orphans
is 404 ``orphans_not_found``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.certinfo import certificate_details
from backend.sandbox.clientviews import render_security_server
from backend.sandbox.errors import ApiError
from backend.sandbox.routes import json_response, read_body, requires, state
from backend.sandbox.routes.clients import client_param
from backend.sandbox.routes.inputs import cert_hash_param, created
from backend.sandbox.views import render_certificate

UPLOAD_LIMIT = 10 * 1024 * 1024  # X-Road's limit for file uploads


def _known(sandbox: object, encoded: str) -> None:
    """``getClientType``: an unknown client is a bare 404."""
    if sandbox.client_row(encoded) is None:  # type: ignore[attr-defined]
        raise ApiError(404)


@requires("VIEW_CLIENT_INTERNAL_CERTS")
async def tls_certificates(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        _known(sandbox, cid.encoded)
        found = sandbox.tls_certificates(cid.encoded)
    return json_response(sorted((certificate_details(der) for der in found),
                                key=lambda details: details["hash"]))


@requires("ADD_CLIENT_INTERNAL_CERT")
async def add_tls_certificate(request: Request) -> Response:
    cid = client_param(request)
    data = await read_body(request, UPLOAD_LIMIT)
    sandbox = state(request)
    with sandbox.lock:
        digest = sandbox.add_tls_certificate(cid.encoded, data)
        details = certificate_details(sandbox.tls_certificate(cid.encoded, digest))
    return created(request, details, f"/api/clients/{cid.encoded}/tls-certificates/{digest}")


@requires("VIEW_CLIENT_INTERNAL_CERT_DETAILS")
async def tls_certificate(request: Request) -> Response:
    digest = cert_hash_param(request, "getClientTlsCertificate")
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        der = sandbox.tls_certificate(cid.encoded, digest)
    if der is None:
        raise ApiError(404)  # "certificate with hash … not found"
    return json_response(certificate_details(der))


@requires("DELETE_CLIENT_INTERNAL_CERT")
async def delete_tls_certificate(request: Request) -> Response:
    digest = cert_hash_param(request, "deleteClientTlsCertificate")
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.delete_tls_certificate(cid.encoded, digest)
    return Response(status_code=204)


@requires("VIEW_CLIENT_DETAILS")
async def sign_certificates(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        _known(sandbox, cid.encoded)
        sandbox.catch_up()
        body = []
        for cert in sandbox.sign_certificates_of(cid.encoded):
            key = sandbox.key(cert["key_id"])
            token = sandbox.require_token(key["token_id"])
            body.append(render_certificate(token, key, cert, sandbox.ocsp_error(cert["id"])))
    return json_response(body)


@requires("VIEW_SECURITY_SERVERS")
async def security_servers(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.require_anchor()
        view = sandbox.refresh_clients()
        found = sandbox.client_security_servers(cid.encoded, view)
    return json_response([render_security_server(server) for server in found])


@requires("DELETE_CLIENT")
async def orphans(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        if not sandbox.orphans(cid.encoded):
            raise ApiError(404)
    return json_response({"orphans_exist": True})


@requires("DELETE_CLIENT")
async def delete_orphans(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.delete_orphans(cid.encoded)
    return Response(status_code=204)


_CLIENT = "/api/v1/clients/{id}"
routes = [
    Route(_CLIENT + "/tls-certificates", tls_certificates, methods=["GET"]),
    Route(_CLIENT + "/tls-certificates", add_tls_certificate, methods=["POST"]),
    Route(_CLIENT + "/tls-certificates/{hash}", tls_certificate, methods=["GET"]),
    Route(_CLIENT + "/tls-certificates/{hash}", delete_tls_certificate, methods=["DELETE"]),
    Route(_CLIENT + "/sign-certificates", sign_certificates, methods=["GET"]),
    Route(_CLIENT + "/security-servers", security_servers, methods=["GET"]),
    Route(_CLIENT + "/orphans", orphans, methods=["GET"]),
    Route(_CLIENT + "/orphans", delete_orphans, methods=["DELETE"]),
]
