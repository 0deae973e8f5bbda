"""``/keys``: a key, its friendly name, deletion, possible actions and its CSRs.

As X-Road's ``KeysApiController``: deleting a key answers 204 and, when the key has a registered
authentication certificate, 400 ``warnings_detected`` (``auth_key_with_registered_cert_warning``)
until ``?ignore_warnings=true``; generating a CSR answers the file (200, 204 with ``acme_order``)
with X-Road's file name; downloading one regenerates it (200).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.routes.inputs import (
    CSR_FORMATS,
    Validator,
    attachment,
    check,
    has,
    json_body,
    query_bool,
    query_choice,
    requires_any,
)
from backend.sandbox.routes.tokens import csr_generate
from backend.sandbox.tokenstate import UnhandledWarnings
from backend.sandbox.views import render_key


def _key_id(request: Request) -> str:
    return request.path_params["id"]


def _render(request: Request, key_id: str) -> Response:
    sandbox = state(request)
    sandbox.catch_up()
    key = sandbox.key(key_id)
    return json_response(render_key(sandbox, sandbox.require_token(key["token_id"]), key))


@requires("VIEW_KEYS")
async def get_key(request: Request) -> Response:
    with state(request).lock:
        return _render(request, _key_id(request))


@requires("EDIT_KEY_FRIENDLY_NAME")
async def rename_key(request: Request) -> Response:
    body = await json_body(request)
    validator = Validator("keyName")
    name = validator.text(body, "name", "name", required=True, min_length=1, max_length=255)
    validator.done()
    assert name is not None
    sandbox = state(request)
    with sandbox.lock:
        sandbox.rename_key(_key_id(request), name)
        return _render(request, _key_id(request))


@requires_any("DELETE_KEY", "DELETE_AUTH_KEY", "DELETE_SIGN_KEY")
async def delete_key(request: Request) -> Response:
    ignore = query_bool(request, "ignore_warnings")
    sandbox = state(request)
    with sandbox.lock:
        key = sandbox.key(_key_id(request))
        check(request, {None: "DELETE_KEY", "AUTHENTICATION": "DELETE_AUTH_KEY",
                        "SIGNING": "DELETE_SIGN_KEY"}[key["usage"]])
        if ignore and sandbox.registered_auth_certs_of(key["id"]):
            check(request, "SEND_AUTH_CERT_DEL_REQ")
        try:
            sandbox.delete_key(key["id"], ignore_warnings=ignore)
        except UnhandledWarnings as error:
            raise ApiError(400, error.code, warnings=error.warnings) from error
    return Response(status_code=204)


@requires("VIEW_KEYS")
async def key_actions(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        return json_response(sandbox.key_actions_for(sandbox.key(_key_id(request))))


async def generate_csr(request: Request) -> Response:
    body = await json_body(request)
    validator = Validator("csrGenerate")
    csr = csr_generate(body, validator)
    validator.done()
    usage, acme = csr["usage"], csr["acme_order"]
    auth_ok = (usage == "AUTHENTICATION" and has(request, "GENERATE_AUTH_CERT_REQ")
               and (not acme or has(request, "IMPORT_AUTH_CERT")))
    sign_ok = (usage == "SIGNING" and has(request, "GENERATE_SIGN_CERT_REQ")
               and (not acme or has(request, "IMPORT_SIGN_CERT")))
    if not (auth_ok or sign_ok):
        raise ApiError(403)
    sandbox = state(request)
    with sandbox.lock:
        csr_id = sandbox.generate_csr(_key_id(request), usage, csr["ca_name"], csr["values"],
                                      csr["member_id"], acme_order=acme)
        if acme:
            return Response(status_code=204)
        data, filename = sandbox.csr_file(_key_id(request), csr_id, csr["csr_format"])
    return attachment(data, filename)


def _check_key_usage(request: Request, usage: str | None, sign: str, auth: str) -> None:
    check(request, sign if usage == "SIGNING" else auth)


@requires_any("GENERATE_AUTH_CERT_REQ", "GENERATE_SIGN_CERT_REQ")
async def download_csr(request: Request) -> Response:
    csr_format = query_choice(request, "csr_format", CSR_FORMATS, default="PEM")
    assert csr_format is not None
    sandbox = state(request)
    with sandbox.lock:
        key = sandbox.key(_key_id(request))
        _check_key_usage(request, key["usage"], "GENERATE_SIGN_CERT_REQ", "GENERATE_AUTH_CERT_REQ")
        data, filename = sandbox.csr_file(key["id"], request.path_params["csr_id"], csr_format)
    return attachment(data, filename)


@requires_any("DELETE_AUTH_CERT", "DELETE_SIGN_CERT")
async def delete_csr(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        csr = sandbox.csr(request.path_params["csr_id"])
        key = sandbox.key(csr["key_id"])
        _check_key_usage(request, key["usage"], "DELETE_SIGN_CERT", "DELETE_AUTH_CERT")
        sandbox.delete_csr(csr["id"])
    return Response(status_code=204)


@requires("VIEW_KEYS")
async def csr_actions(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        return json_response(sandbox.csr_actions(request.path_params["csr_id"]))


routes = [
    Route("/api/v1/keys/{id}", get_key, methods=["GET"]),
    Route("/api/v1/keys/{id}", rename_key, methods=["PATCH"]),
    Route("/api/v1/keys/{id}", delete_key, methods=["DELETE"]),
    Route("/api/v1/keys/{id}/possible-actions", key_actions, methods=["GET"]),
    Route("/api/v1/keys/{id}/csrs", generate_csr, methods=["POST"]),
    Route("/api/v1/keys/{id}/csrs/{csr_id}", download_csr, methods=["GET"]),
    Route("/api/v1/keys/{id}/csrs/{csr_id}", delete_csr, methods=["DELETE"]),
    Route("/api/v1/keys/{id}/csrs/{csr_id}/possible-actions", csr_actions, methods=["GET"]),
]
