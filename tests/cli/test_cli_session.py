"""The command line's session: X-Road's warnings protocol, confirmations and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from backend.api.errors import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    PermissionDenied,
    ServerError,
    WarningsDetected,
    WriteCancelled,
)
from backend.api.models import CodeWithDetails
from backend.api.writes import WriteRequest
from backend.pki.errors import CertificateRejected
from console import cli_session
from console.cli_session import CliSession, exit_code_for
from console.config import ConfigError

REQUEST = WriteRequest(method="DELETE", path="/keys/K1", summary="Delete key K1",
                       dangerous=True, ignore_warnings_in="query")


@dataclass
class RecordingTransport:
    sent: list[WriteRequest] = field(default_factory=list)

    async def write(self, request: WriteRequest) -> Any:
        self.sent.append(request)
        return None


class StubClient:
    def __init__(self) -> None:
        self.transport = RecordingTransport()


def session(yes: bool = False) -> tuple[CliSession, StubClient, io.StringIO]:
    err = io.StringIO()
    made = CliSession(argparse.Namespace(yes=yes), out=io.StringIO(), err=err)
    client = StubClient()
    made.client = client  # type: ignore[assignment]
    return made, client, err


def warnings() -> WarningsDetected:
    error = WarningsDetected(
        "The security server reports warnings; nothing was changed.\n• registered cert",
        "Confirm warnings", status=400, code="warnings_detected",
        warnings=[CodeWithDetails(code="auth_key_with_registered_cert_warning")])
    error.request = REQUEST
    return error


async def raise_warnings() -> None:
    raise warnings()


async def test_yes_resends_the_request_ignoring_the_warnings() -> None:
    made, client, err = session(yes=True)
    await made.with_warnings(raise_warnings)
    assert [r.params for r in client.transport.sent] == [{"ignore_warnings": "true"}]
    assert "registered cert" in err.getvalue()


async def test_without_a_terminal_and_without_yes_nothing_is_resent() -> None:
    made, client, _err = session()
    with pytest.raises(WriteCancelled):
        await made.with_warnings(raise_warnings)
    assert client.transport.sent == [] and made.needed_confirmation


async def test_on_a_terminal_the_operator_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_session, "is_interactive", lambda: True)
    for answer, resent in (("y\n", 1), ("\n", 0), ("no\n", 0)):
        monkeypatch.setattr("sys.stdin", io.StringIO(answer))
        made, client, err = session()
        with contextlib.suppress(WriteCancelled):
            await made.with_warnings(raise_warnings)
        assert len(client.transport.sent) == resent
        assert "[y/N]" in err.getvalue()


async def test_warnings_of_a_request_that_cannot_ignore_them_are_raised() -> None:
    async def call() -> None:
        error = warnings()
        error.request = WriteRequest(method="PUT", path="/x", summary="x")
        raise error

    made, client, _err = session(yes=True)
    with pytest.raises(WarningsDetected):
        await made.with_warnings(call)
    assert client.transport.sent == []


async def test_dangerous_writes_are_confirmed_the_same_way() -> None:
    made, _client, _err = session(yes=True)
    assert await made._confirm(REQUEST)
    made, _client, _err = session()
    assert not await made._confirm(REQUEST) and made.needed_confirmation


def test_exit_codes() -> None:
    def api(kind: type, status: int) -> Exception:
        return kind("m", "t", status=status)

    assert exit_code_for(ConnectionFailed("m")) == 4
    assert exit_code_for(api(AuthenticationFailed, 401)) == 4
    assert exit_code_for(api(PermissionDenied, 403)) == 3
    assert exit_code_for(api(BadRequest, 400)) == 3
    assert exit_code_for(api(ServerError, 500)) == 1
    assert exit_code_for(CertificateRejected("m", "expired")) == 3
    assert exit_code_for(ConfigError("m")) == 2
    assert exit_code_for(WriteCancelled("m")) == 3
    assert exit_code_for(RuntimeError("m")) == 1
