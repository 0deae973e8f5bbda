"""``/tokens``: list, login and logout, PIN change, friendly name, keys and keys with CSRs.

As X-Road's ``TokensApiController``: login answers the token (200) and refuses a missing password
(400 ``missing_token_password``) before anything else; a PIN change answers 204; a new key is 201
with ``Location: /api/keys/<id>``; a key with a CSR is 200 ``{key, csr_id}``, and when the CSR cannot
be made the new key is deleted again.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.routes.inputs import (
    CSR_FORMATS,
    KEY_USAGES,
    Validator,
    created,
    has,
    json_body,
)
from backend.sandbox.views import render_key, render_token


def _token_id(request: Request) -> str:
    return request.path_params["id"]


def _token(request: Request) -> dict[str, Any]:
    sandbox = state(request)
    return render_token(sandbox, sandbox.require_token(_token_id(request)))


@requires("VIEW_KEYS")
async def list_tokens(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        return json_response([render_token(sandbox, token) for token in sandbox.tokens()])


@requires("VIEW_KEYS")
async def get_token(request: Request) -> Response:
    with state(request).lock:
        return json_response(_token(request))


@requires("ACTIVATE_DEACTIVATE_TOKEN")
async def login(request: Request) -> Response:
    body = await json_body(request)
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        raise ApiError(400)
    if not password:
        raise ApiError(400, "missing_token_password")
    sandbox = state(request)
    with sandbox.lock:
        sandbox.login_token(password, _token_id(request))
        return json_response(_token(request))


@requires("ACTIVATE_DEACTIVATE_TOKEN")
async def logout(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        sandbox.logout_token(_token_id(request))
        return json_response(_token(request))


@requires("UPDATE_TOKEN_PIN")
async def change_pin(request: Request) -> Response:
    body = await json_body(request)
    check = Validator("tokenPinUpdate")
    old_pin = check.text(body, "old_pin", "oldPin", required=True, min_length=1, max_length=255)
    new_pin = check.text(body, "new_pin", "newPin", required=True, min_length=1, max_length=255)
    check.done()
    assert old_pin is not None and new_pin is not None
    sandbox = state(request)
    with sandbox.lock:
        sandbox.change_token_pin(old_pin, new_pin, _token_id(request))
    return Response(status_code=204)


@requires("EDIT_TOKEN_FRIENDLY_NAME")
async def rename(request: Request) -> Response:
    body = await json_body(request)
    check = Validator("tokenName")
    name = check.text(body, "name", "name", required=True, min_length=1, max_length=255)
    check.done()
    assert name is not None
    sandbox = state(request)
    with sandbox.lock:
        sandbox.rename_token(_token_id(request), name)
        return json_response(_token(request))


def _key_json(request: Request, key_id: str) -> dict[str, Any]:
    sandbox = state(request)
    key = sandbox.key(key_id)
    return render_key(sandbox, sandbox.require_token(key["token_id"]), key)


@requires("GENERATE_KEY")
async def add_key(request: Request) -> Response:
    body = await json_body(request)
    check = Validator("keyLabel")
    label = check.text(body, "label", "label", min_length=1, max_length=255)
    check.done()
    sandbox = state(request)
    with sandbox.lock:
        sandbox.require_token(_token_id(request))
        key_id = sandbox.generate_key(label or "", _token_id(request))
        return created(request, _key_json(request, key_id), f"/api/keys/{key_id}")


def csr_generate(body: dict[str, Any], check: Validator, prefix: str = "") -> dict[str, Any]:
    """The fields of a ``CsrGenerate`` body (``prefix``: its Java path inside another body)."""
    return {
        "usage": check.choice(body, "key_usage_type", f"{prefix}keyUsageType", KEY_USAGES),
        "ca_name": check.text(body, "ca_name", f"{prefix}caName", required=True, min_length=1,
                              max_length=255),
        "csr_format": check.choice(body, "csr_format", f"{prefix}csrFormat", CSR_FORMATS),
        "member_id": check.text(body, "member_id", f"{prefix}memberId", min_length=1,
                                max_length=767),
        "values": check.mapping(body, "subject_field_values", f"{prefix}subjectFieldValues"),
        "acme_order": check.flag(body, "acme_order"),
    }


@requires("GENERATE_KEY")
async def add_key_with_csr(request: Request) -> Response:
    if not (has(request, "GENERATE_AUTH_CERT_REQ") or has(request, "GENERATE_SIGN_CERT_REQ")):
        raise ApiError(403)
    body = await json_body(request)
    check = Validator("keyLabelWithCsrGenerate")
    label = check.text(body, "key_label", "keyLabel", required=True, max_length=255)
    inner = body.get("csr_generate_request")
    if inner is not None and not isinstance(inner, dict):
        raise ApiError(400)
    if inner is None:
        check.errors["keyLabelWithCsrGenerate.csrGenerateRequest"] = ["NotNull"]
        check.done()
    csr = csr_generate(inner or {}, check, "csrGenerateRequest.")
    check.done()
    sandbox = state(request)
    with sandbox.lock:
        sandbox.require_token(_token_id(request))
        key_id = sandbox.generate_key(label or "", _token_id(request))
        try:
            csr_id = sandbox.generate_csr(key_id, csr["usage"], csr["ca_name"], csr["values"],
                                          csr["member_id"], acme_order=csr["acme_order"])
        except SandboxError:
            sandbox.delete_key(key_id, ignore_warnings=True)  # X-Road's rollback of the new key
            raise
        return json_response({"key": _key_json(request, key_id), "csr_id": csr_id})


routes = [
    Route("/api/v1/tokens", list_tokens, methods=["GET"]),
    Route("/api/v1/tokens/{id}", get_token, methods=["GET"]),
    Route("/api/v1/tokens/{id}", rename, methods=["PATCH"]),
    Route("/api/v1/tokens/{id}/login", login, methods=["PUT"]),
    Route("/api/v1/tokens/{id}/logout", logout, methods=["PUT"]),
    Route("/api/v1/tokens/{id}/pin", change_pin, methods=["PUT"]),
    Route("/api/v1/tokens/{id}/keys", add_key, methods=["POST"]),
    Route("/api/v1/tokens/{id}/keys-with-csrs", add_key_with_csr, methods=["POST"]),
]
