"""The one request path: retries for reads only, writes never repeated, warnings, audit, read-only."""

from __future__ import annotations

import json

import httpx
import pytest

from backend.api.credentials import Secret
from backend.api.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    MalformedResponse,
    ReadOnlyRefused,
    ServerError,
    WarningsDetected,
    WriteCancelled,
)
from backend.api.models import VersionInfo
from backend.api.throttle import RequestThrottle
from backend.api.transport import ApiTransport
from backend.api.writes import WriteEvent, WriteRequest

BASE = "https://127.0.0.1:4000/api/v1"
VERSION = {"info": "Security Server version 7.8.0-1", "java_version": 21, "min_java_version": 21,
           "max_java_version": 21, "using_supported_java_version": True, "java_vendor": "x",
           "java_runtime_version": "21"}


class Journal:
    def __init__(self) -> None:
        self.events: list[WriteEvent] = []

    def record(self, event: WriteEvent) -> None:
        self.events.append(event)


def make(handler, **kwargs) -> ApiTransport:
    kwargs.setdefault("backoff", 0.0)
    return ApiTransport(BASE, api_key=Secret("k-123"), http_transport=httpx.MockTransport(handler),
                        **kwargs)


def json_response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


async def test_reads_send_the_api_key_header_and_decode_models() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, VERSION)

    async with make(handler) as transport:
        info = await transport.get_model("/system/version", VersionInfo)
    assert info.version == "7.8.0" and info.version_tuple == (7, 8, 0)
    assert seen[0].headers["Authorization"] == "X-Road-ApiKey token=k-123"
    assert seen[0].url.path == "/api/v1/system/version"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_safe_reads_are_retried_then_succeed(status: int) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(status, {"status": status}) if calls < 3 else json_response(200, VERSION)

    async with make(handler) as transport:
        await transport.get_model("/system/version", VersionInfo)
    assert calls == 3


async def test_retries_are_bounded_and_the_last_error_is_raised() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(503, {"status": 503})

    async with make(handler, max_attempts=4) as transport:
        with pytest.raises(ServerError):
            await transport.get("/tokens")
    assert calls == 4


async def test_client_errors_are_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(401, {"status": 401})

    async with make(handler) as transport:
        with pytest.raises(AuthenticationFailed):
            await transport.get("/tokens")
    assert calls == 1


async def test_connection_errors_on_reads_are_retried_then_reported() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("Connection refused")

    async with make(handler) as transport:
        with pytest.raises(ConnectionFailed) as caught:
            await transport.get("/tokens")
    assert calls == 3
    assert "xroad-proxy-ui-api" in caught.value.message


@pytest.mark.parametrize("failure", ["503", "connect"])
async def test_a_write_is_never_repeated(failure: str) -> None:
    calls = 0
    journal = Journal()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if failure == "connect":
            raise httpx.ConnectError("reset")
        return json_response(503, {"status": 503})

    async with make(handler, observer=journal) as transport:
        with pytest.raises((ServerError, ConnectionFailed)):
            await transport.write(WriteRequest("PUT", "/tokens/0/logout", "Log out token 0"))
    assert calls == 1
    assert [e.outcome for e in journal.events] == ["failed"]


async def test_warnings_protocol_resends_with_ignore_warnings_in_the_body() -> None:
    bodies: list[dict] = []
    journal = Journal()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        if not body.get("ignore_warnings"):
            return json_response(400, {"status": 400, "error": {"code": "warnings_detected"},
                                       "warnings": [{"code": "unregistered_member",
                                                     "metadata": ["DEV/GOV/123"]}]})
        return json_response(201, {"id": "DEV:GOV:123"})

    request = WriteRequest("POST", "/clients", "Add client DEV:GOV:123",
                           json={"client": {"member_class": "GOV", "member_code": "123"}},
                           ignore_warnings_in="body")
    async with make(handler, observer=journal) as transport:
        with pytest.raises(WarningsDetected) as caught:
            await transport.write(request)
        assert [w.code for w in caught.value.warnings] == ["unregistered_member"]
        assert "DEV/GOV/123" in caught.value.message
        response = await transport.write(caught.value.request.ignoring_warnings())
    assert response.status_code == 201
    assert [b.get("ignore_warnings") for b in bodies] == [None, True]
    assert [(e.outcome, e.ignored_warnings) for e in journal.events] == [
        ("warnings", False), ("ok", True)]
    assert journal.events[0].warnings == ("unregistered_member",)


async def test_read_only_mode_refuses_writes_without_sending_anything() -> None:
    journal = Journal()

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent in read-only mode")

    async with make(handler, observer=journal, read_only=True) as transport:
        with pytest.raises(ReadOnlyRefused):
            await transport.write(WriteRequest("PUT", "/tokens/0/logout", "Log out token 0"))
    assert [e.outcome for e in journal.events] == ["refused"]


async def test_dangerous_writes_ask_first_and_a_no_sends_nothing() -> None:
    journal = Journal()
    asked: list[WriteRequest] = []
    sent: list[httpx.Request] = []
    answer = False

    async def confirm(request: WriteRequest) -> bool:
        asked.append(request)
        return answer

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    request = WriteRequest("DELETE", "/keys/K1", "Delete key K1", dangerous=True,
                           ignore_warnings_in="query")
    async with make(handler, observer=journal, confirmer=confirm) as transport:
        with pytest.raises(WriteCancelled):
            await transport.write(request)
        assert not sent
        answer = True
        await transport.write(request)
        await transport.write(request.ignoring_warnings())  # already confirmed: not asked again
    assert len(asked) == 2 and len(sent) == 2
    assert sent[1].url.params["ignore_warnings"] == "true"
    assert [e.outcome for e in journal.events] == ["cancelled", "ok", "ok"]


@pytest.mark.parametrize(
    ("content", "content_type", "words"),
    [
        (b"{not json", "application/json", "malformed JSON"),
        (b"<html>login</html>", "text/html", "instead of JSON"),
        (b'{"java_version": 21}', "application/json", "does not match"),
    ],
)
async def test_malformed_answers_are_reported_clearly(content: bytes, content_type: str,
                                                      words: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": content_type})

    async with make(handler) as transport:
        with pytest.raises(MalformedResponse) as caught:
            await transport.get_model("/system/version", VersionInfo)
    assert words in caught.value.message
    assert "/system/version" in caught.value.message


def test_the_api_key_never_shows_in_repr() -> None:
    secret = Secret("very-secret-key")
    assert "very-secret-key" not in repr(secret) and "very-secret-key" not in str(secret)
    transport = make(lambda r: httpx.Response(200))
    assert "very-secret-key" not in repr(transport.__dict__)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_keeps_under_twenty_per_second_and_six_hundred_per_minute() -> None:
    clock = FakeClock()
    throttle = RequestThrottle(per_second=18, per_minute=570, clock=clock)
    sent: list[float] = []
    for _ in range(1200):
        delay = throttle._delay(clock.now)
        clock.now += delay
        assert throttle._delay(clock.now) <= 1e-9
        throttle._sent.append(clock.now)
        sent.append(clock.now)
    for i, t in enumerate(sent):
        in_second = sum(1 for u in sent[i:] if u - t < 1.0)
        in_minute = sum(1 for u in sent[i:] if u - t < 60.0)
        assert in_second <= 18 and in_minute <= 570
    assert sent[-1] >= 60.0  # 1,200 requests cannot fit in one minute


async def test_throttle_waits_when_the_window_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr("backend.api.throttle.asyncio.sleep", fake_sleep)
    throttle = RequestThrottle(per_second=3, per_minute=100, clock=clock)
    for _ in range(4):
        await throttle.acquire()
    assert slept == [1.0]
