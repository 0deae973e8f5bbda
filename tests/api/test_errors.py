"""Error bodies, as X-Road sends them (the spec's examples and Spring's defaults), in words."""

from __future__ import annotations

import httpx
import pytest
import yaml

from backend.api.errors import (
    ApiError,
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    WarningsDetected,
    error_from_response,
)
from backend.api.writes import WriteRequest
from tests.conftest import REFERENCE_DIR

SPEC = REFERENCE_DIR / "xroad-ss-openapi.bundled.yaml"


def _response(status: int, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(
        status,
        content=body,
        headers={"Content-Type": content_type, "x-road-ui-correlation-id": "abc123"},
        request=httpx.Request("POST", "https://127.0.0.1:4000/api/v1/x"),
    )


def _spec_examples() -> dict[str, dict]:
    if not SPEC.exists():
        pytest.skip(f"the X-Road spec is not at {SPEC}")
    spec = yaml.safe_load(SPEC.read_text())
    return {
        name: example["value"]
        for name, example in spec["components"]["examples"].items()
        if isinstance(example.get("value"), dict) and "status" in example["value"]
    }


def test_every_error_example_in_the_spec_becomes_a_typed_error_with_its_code() -> None:
    examples = _spec_examples()
    assert len(examples) >= 10
    for name, body in examples.items():
        import json

        error = error_from_response(_response(body["status"], json.dumps(body).encode()))
        assert isinstance(error, ApiError), name
        assert error.status == body["status"]
        assert error.code == body["error"]["code"], name
        assert error.metadata == body["error"].get("metadata", [])
        assert [w.code for w in error.warnings] == [w["code"] for w in body.get("warnings", [])]
        assert error.correlation_id == "abc123"
        assert error.message and error.title
        if body["error"]["code"] == "warnings_detected":
            assert isinstance(error, WarningsDetected), name
            for warning in body["warnings"]:
                for item in warning.get("metadata", []):
                    assert item in error.message, (name, item)
        for item in body["error"].get("metadata", []):
            assert item in error.message, (name, item)


def test_validation_errors_name_the_field() -> None:
    body = (b'{"status":400,"error":{"code":"validation_failure","validation_errors":'
            b'{"clientAdd.client.memberCode":["NoPercent"]}}}')
    error = error_from_response(_response(400, body))
    assert isinstance(error, BadRequest)
    assert error.validation_errors == {"clientAdd.client.memberCode": ["NoPercent"]}
    assert "clientAdd.client.memberCode: NoPercent" in error.message


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, AuthenticationFailed, "API key"),
        (403, PermissionDenied, "role"),
        (404, NotFound, "does not have"),
        (429, RateLimited, "20 requests per second"),
        (500, ServerError, "proxy_ui_api.log"),
        (503, ServerError, "systemctl status xroad-proxy-ui-api"),
    ],
)
def test_bare_status_bodies_get_a_title_and_what_to_do(status: int, kind: type, words: str) -> None:
    error = error_from_response(_response(status, b'{"status":%d}' % status))
    assert isinstance(error, kind)
    assert error.code is None
    assert words in error.message


def test_spring_default_body_with_error_as_string_is_parsed_defensively() -> None:
    body = b'{"timestamp":"2026-11-21T10:00:00.000+00:00","status":409,"error":"Conflict"}'
    error = error_from_response(_response(409, body))
    assert isinstance(error, Conflict)
    assert error.code is None
    assert error.message


@pytest.mark.parametrize("body", [b"", b"<html>Bad gateway</html>", b"[1,2", b'"just text"'])
def test_non_json_error_bodies_still_give_a_message(body: bytes) -> None:
    error = error_from_response(_response(502, body, "text/html"))
    assert isinstance(error, ServerError)
    assert "xroad-proxy-ui-api" in error.message


def test_core_errors_show_the_human_text_not_the_translation_key() -> None:
    body = (b'{"status":500,"error":{"code":"core.Server.InternalError","metadata":'
            b'["Signer is not responding","tr.check_signer_logs"]}}')
    error = error_from_response(_response(500, body))
    assert "Server.InternalError" in error.message
    assert "Signer is not responding" in error.message
    assert "tr.check_signer_logs" not in error.message


def test_warnings_detected_carries_the_request_to_resend() -> None:
    request = WriteRequest("DELETE", "/keys/K1", "Delete key K1", ignore_warnings_in="query")
    body = (b'{"status":400,"error":{"code":"warnings_detected"},"warnings":'
            b'[{"code":"auth_key_with_registered_cert_warning","metadata":["K1"]}]}')
    error = error_from_response(_response(400, body), request)
    assert isinstance(error, WarningsDetected)
    assert error.request is request
    resend = error.request.ignoring_warnings()
    assert resend.params == {"ignore_warnings": "true"}
    assert resend.ignores_warnings and not request.ignores_warnings
