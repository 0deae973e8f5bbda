"""Applying plans against the sandbox: results per item, stop or continue, cancelling, progress,
2,000 grants in the fewest calls; copying rights; a screen's change set."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from backend.acl.apply import apply_plan
from backend.acl.copy import copy_rights
from backend.acl.csv_format import parse_csv
from backend.acl.errors import PlanInvalid
from backend.acl.plan import make_plan, plan_changes
from backend.acl.render import result_json, result_lines
from tests.acl.acl_support import (
    OWNERS_GROUP,
    PAYMENTS,
    PERMITS,
    REGISTRY,
    TRACKING,
    grant_directly,
    rights,
    server_client,
)
from tests.sandbox.clients_support import add_services

MAPS = "SANDBOX-KG:GOV:70000003:maps"
CADASTRE = "SANDBOX-KG:GOV:70000003:cadastre"
REPORTS = "SANDBOX-KG:COM:50010002:reports"


def csv_plan(*rows: str) -> str:
    return "client,service,endpoint,subject\n" + "".join(f"{REGISTRY},{row}\n" for row in rows)


async def three_call_plan(acl):
    return await three_call_plan_on(acl.client)


async def three_call_plan_on(client):
    """Grants of maps and cadastre to getPerson and getAddress, of reports to listPersons:
    3 calls (maps, cadastre, listPersons; or getPerson, getAddress, listPersons)."""
    text = csv_plan(f"getPerson.v1,,{PERMITS}", f"getPerson.v1,,{TRACKING}", f"getPerson.v1,,{MAPS}",
                    f"getPerson.v1,,{CADASTRE}", f"getAddress.v1,,{MAPS}",
                    f"getAddress.v1,,{CADASTRE}", "getAddress.v1,,admins",
                    f"listPersons.v1,,{REPORTS}", f"listPersons.v1,,{PERMITS}")
    plan = await make_plan(client, parse_csv(text, "r.csv"))
    assert len(plan.calls) == 3 and len(plan.changes) == 5
    return plan


async def test_the_first_failure_stops_and_says_what_was_and_was_not_applied(acl) -> None:
    plan = await three_call_plan(acl)
    # someone grants one of them in the meantime: that call fails as a whole on the server
    grant_directly(acl.state, acl.registry.endpoints["getAddress"], [CADASTRE])
    plan.calls.sort(key=lambda call: any(c.subject == REPORTS for c in call.changes))
    failing = next(i for i, call in enumerate(plan.calls)
                   if any((str(c.target), c.subject) == ("getAddress.v1", CADASTRE)
                          for c in call.changes))
    plan.calls.insert(1, plan.calls.pop(failing))  # the failing call second, listPersons last
    seen = []
    result = await apply_plan(acl.client, plan, progress=lambda done, total, r: seen.append(
        (done, total, r.status)))
    assert [r.status for r in result.calls] == ["ok", "failed", "not_applied"]
    assert seen == [(1, 3, "ok"), (2, 3, "failed")]
    assert result.stopped and not result.ok and not result.cancelled
    failed = result.calls[1]
    assert failed.error is not None and failed.error.code == "duplicate_accessright"  # type: ignore[attr-defined]
    assert "duplicate_accessright" in failed.message
    lines = result_lines(result)
    assert lines[-1] == "2 applied, 2 failed, 1 not sent. Stopped at the first failed call."
    assert any(line.startswith("FAILED    + getAddress.v1  ") for line in lines)
    assert any(line.startswith("not sent  + listPersons.v1  ") for line in lines)
    report = result_json(result)
    assert (report["applied"], report["failed"], report["not_applied"]) == (2, 2, 1)
    assert ("listPersons", REPORTS) not in rights(acl.state)
    assert ("getAddress", MAPS) not in rights(acl.state)  # the failed call changed nothing


async def test_continue_after_a_failure(acl) -> None:
    plan = await three_call_plan(acl)
    grant_directly(acl.state, acl.registry.endpoints["getAddress"], [CADASTRE])
    result = await apply_plan(acl.client, plan, on_error="continue")
    assert sorted(r.status for r in result.calls) == ["failed", "ok", "ok"]
    assert not result.stopped and result.count("ok") == 3
    assert ("listPersons", REPORTS) in rights(acl.state)


async def test_cancel_between_calls(acl) -> None:
    plan = await three_call_plan(acl)
    sent = []
    result = await apply_plan(acl.client, plan, cancel=lambda: len(sent) >= 1,
                              progress=lambda done, total, r: sent.append(done))
    assert [r.status for r in result.calls] == ["ok", "not_applied", "not_applied"]
    assert result.cancelled and result.calls[1].message == "not sent: cancelled"
    assert acl.app.count("POST") == 1


async def test_a_declined_confirmation_cancels_the_rest(populated_state) -> None:
    from tests.acl.acl_support import setup_registry

    registry = setup_registry(populated_state)
    asked = []

    async def decline(request) -> bool:
        asked.append(request.summary)
        return False

    client, _app, journal = server_client(populated_state, confirmer=decline)
    try:
        plan = await make_plan(client, parse_csv(csv_plan("getPerson.v1,,", f"listPersons.v1,,{MAPS}"),
                                                 "r.csv"))
        result = await apply_plan(client, plan)
    finally:
        await client.aclose()
    assert [(r.call.action, r.status) for r in result.calls] == [
        ("grant", "ok"), ("revoke", "not_applied"), ("revoke", "not_applied")]
    assert result.cancelled and asked and "Revoke" in asked[0]
    assert [event.outcome for event in journal.events] == ["ok", "cancelled"]
    assert ("getPerson", PERMITS) in rights(populated_state) and registry.admins


async def test_a_call_refused_for_too_many_requests_is_sent_again(
        acl, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.acl import apply as applying
    from backend.sandbox.ratelimit import RateLimiter

    monkeypatch.setattr(applying, "RATE_LIMIT_PAUSES", (0.4, 0.4, 0.4, 0.4))
    plan = await three_call_plan(acl)
    # another program uses up this address's requests: 1 a second is left on the server side
    client, app, journal = server_client(acl.state,
                                         limiter=RateLimiter(per_second=1, per_minute=10**6))
    try:
        result = await apply_plan(client, plan)
    finally:
        await client.aclose()
    assert result.ok, [r.message for r in result.calls]
    assert any(seen.status == 429 for seen in app.seen if seen.method == "POST")
    assert [e.outcome for e in journal.events].count("ok") == 3


async def test_2000_grants_in_the_fewest_calls(acl) -> None:
    codes = [f"svc{n:03d}" for n in range(200)]
    add_services(acl.state, REGISTRY, codes, version="v1")
    subjects = [PERMITS, TRACKING, PAYMENTS, MAPS, CADASTRE, REPORTS, OWNERS_GROUP,
                "SANDBOX-KG:state-registries", "SANDBOX-KG:GOV:70000001:notifications", "admins"]
    text = csv_plan(*(f"{code}.v1,,{subject}" for code in codes for subject in subjects))
    plan = await make_plan(acl.client, parse_csv(text, "r.csv"))
    assert len(plan.grants) == 2000 and len(plan.calls) == 10
    acl.app.reset()
    result = await apply_plan(acl.client, plan)
    assert result.ok and result.count("ok") == 2000
    assert acl.app.count("POST") == 10 and acl.app.count("GET") == 0
    assert len([r for r in rights(acl.state) if r[0].startswith("svc")]) == 2000


async def test_copy_the_rights_of_one_subject_to_another(acl) -> None:
    grant_directly(acl.state, acl.registry.endpoints["personsApi /persons/{id}"], [PERMITS])
    plan = await copy_rights(acl.client, REGISTRY, PERMITS, "admins")
    assert [(str(c.target), c.subject, c.subject_id) for c in plan.changes] == [
        ("getPerson.v1", "admins", acl.registry.admins),
        ("listPersons.v1", "admins", acl.registry.admins),
        ("personsApi GET /persons/{id}", "admins", acl.registry.admins)]
    assert [call.by for call in plan.calls] == ["subject", "endpoint"]
    assert (await apply_plan(acl.client, plan)).ok
    assert {("getPerson", acl.registry.admins), ("listPersons", acl.registry.admins),
            ("personsApi GET /persons/{id}", acl.registry.admins)} <= rights(acl.state)
    again = await copy_rights(acl.client, REGISTRY, PERMITS, acl.registry.admins)
    assert again.is_empty and "nothing to copy" in again.notes[0]
    with pytest.raises(PlanInvalid, match="not known to the global configuration"):
        await copy_rights(acl.client, REGISTRY, PERMITS, "SANDBOX-KG:GOV:1:nobody")
    with pytest.raises(PlanInvalid, match="is a member"):
        await copy_rights(acl.client, REGISTRY, PERMITS, "SANDBOX-KG:GOV:70000003")
    with pytest.raises(PlanInvalid, match="same subject"):
        await copy_rights(acl.client, REGISTRY, "admins", acl.registry.admins)


@dataclass(frozen=True)
class Cell:
    service: str
    subject: str
    kind: str
    endpoint: str = ""


async def test_a_screens_change_set(acl) -> None:
    admins = acl.registry.admins
    plan = await plan_changes(acl.client, REGISTRY, [
        Cell("getPerson.v1", admins, "grant"), Cell("getPerson", MAPS, "grant"),
        Cell("getPerson.v1", TRACKING, "revoke"),
        Cell("personsApi", PERMITS, "grant", "GET /persons"),
    ])
    assert [(c.action, str(c.target), c.subject) for c in plan.changes] == [
        ("grant", "getPerson.v1", MAPS), ("grant", "getPerson.v1", "admins"),
        ("revoke", "getPerson.v1", TRACKING), ("grant", "personsApi GET /persons", PERMITS)]
    assert (await apply_plan(acl.client, plan)).ok
    before = rights(acl.state)
    with pytest.raises(PlanInvalid) as caught:
        await plan_changes(acl.client, REGISTRY, [
            Cell("getPerson.v1", admins, "grant"), Cell("getPerson.v1", PAYMENTS, "revoke"),
            Cell("nothing", PAYMENTS, "grant"), Cell("listPersons", MAPS, "grant"),
            Cell("listPersons.v1", MAPS, "grant"), Cell("listPersons", MAPS, "allow")])
    assert caught.value.message.splitlines() == [
        f"client {REGISTRY} has no service “nothing”",
        f"{MAPS} for listPersons.v1 is asked for twice",
        "“allow” is neither grant nor revoke",
        "admins may call getPerson.v1 already (a duplicate access right)",
        f"{PAYMENTS} has no right to getPerson.v1 to revoke"]
    assert rights(acl.state) == before
