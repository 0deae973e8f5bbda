"""Send a plan: its calls one after the other, each all or nothing on the server.

Every call goes through ``ApiTransport.write`` (throttled under X-Road's request limits,
revocations confirmed as dangerous, audited). Between calls the operator may cancel. On the first
failed call the default is to stop; ``on_error="continue"`` goes on with the other calls. Failures
that no later call could get past — the server unreachable, the key refused, read-only mode, a
declined confirmation — always stop. The result says, per call and per right, what was done.

A call the server refused with 429 (too many requests from this address: another Kapka, a script)
changed nothing, so it is sent again after a pause, growing until the server's one-minute window
has passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from backend.acl.changes import GRANT, Call, Change
from backend.acl.plan import Plan
from backend.api.client import SecurityServerClient
from backend.api.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    RateLimited,
    ReadOnlyRefused,
    TlsTrustError,
    WriteCancelled,
)
from backend.errors import KapkaError
from backend.i18n import _

Status = Literal["ok", "failed", "not_applied"]
OnError = Literal["stop", "continue"]
_FATAL = (ConnectionFailed, TlsTrustError, AuthenticationFailed, ReadOnlyRefused, WriteCancelled)
#: seconds to wait before sending a call again that was refused with 429 (61 s in all)
RATE_LIMIT_PAUSES = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


@dataclass(frozen=True)
class CallResult:
    call: Call
    status: Status
    message: str = ""
    error: KapkaError | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ItemResult:
    """What became of one change (the result of the call that carried it)."""

    change: Change
    status: Status
    message: str = ""


#: called after each call sent: (calls done, calls in the plan, that call's result)
ApplyProgress = Callable[[int, int, CallResult], None]


@dataclass
class ApplyResult:
    calls: list[CallResult]
    cancelled: bool = False  # the operator stopped it (or declined a confirmation)
    stopped: bool = False  # it stopped at a failed call

    @property
    def items(self) -> list[ItemResult]:
        return [ItemResult(change, result.status, result.message)
                for result in self.calls for change in result.call.changes]

    def count(self, status: Status) -> int:
        return sum(result.call.size for result in self.calls if result.status == status)

    @property
    def ok(self) -> bool:
        return all(result.status == "ok" for result in self.calls)

    @property
    def first_error(self) -> KapkaError | None:
        return next((result.error for result in self.calls if result.error is not None), None)


async def send_call(client: SecurityServerClient, call: Call) -> None:
    """One batch call, by subject, by service or by endpoint."""
    access = client.access
    subjects = [change.subject_id for change in call.changes]
    if call.by == "subject":
        codes = [change.rights_code for change in call.changes]
        if call.action == GRANT:
            await access.grant_subject(call.client, call.key, codes)
        else:
            await access.revoke_subject(call.client, call.key, codes)
    elif call.by == "service":
        if call.action == GRANT:
            await access.grant_service(call.key, subjects)
        else:
            await access.revoke_service(call.key, subjects)
    elif call.action == GRANT:
        await access.grant_endpoint(call.key, subjects)
    else:
        await access.revoke_endpoint(call.key, subjects)


async def _send_when_allowed(client: SecurityServerClient, call: Call) -> None:
    for pause in (*RATE_LIMIT_PAUSES, None):
        try:
            await send_call(client, call)
            return
        except RateLimited:
            if pause is None:
                raise
            await asyncio.sleep(pause)


def _failure_text(error: KapkaError) -> str:
    if isinstance(error, ConnectionFailed):
        return _("{message} The server may or may not have made this change: make the plan again "
                 "to see.").format(message=error.message)
    return error.message


async def apply_plan(client: SecurityServerClient, plan: Plan, *,
                     progress: ApplyProgress | None = None,
                     cancel: Callable[[], bool] | None = None,
                     on_error: OnError = "stop") -> ApplyResult:
    """Send the plan's calls in order; see the module's docstring for what stops it."""
    results: list[CallResult] = []
    result = ApplyResult(results)
    total = len(plan.calls)
    for index, call in enumerate(plan.calls):
        if result.cancelled or result.stopped or (cancel is not None and cancel()):
            reason = (_("not sent: stopped after a failed call") if result.stopped
                      else _("not sent: cancelled"))
            result.cancelled = result.cancelled or not result.stopped
            results += [CallResult(rest, "not_applied", reason) for rest in plan.calls[index:]]
            break
        try:
            await _send_when_allowed(client, call)
        except KapkaError as error:
            if isinstance(error, WriteCancelled):
                done = CallResult(call, "not_applied", error.message, error)
                result.cancelled = True
            else:
                done = CallResult(call, "failed", _failure_text(error), error)
                result.stopped = on_error == "stop" or isinstance(error, _FATAL)
        else:
            done = CallResult(call, "ok")
        results.append(done)
        if progress is not None:
            progress(index + 1, total, done)
    return result
