"""Grouping changes into calls: each right in exactly one call, and no fewer calls possible."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter

from backend.acl.batching import MAX_BODY_BYTES, batch_calls, max_matching, min_vertex_cover
from backend.acl.changes import GRANT, REVOKE, Change
from backend.acl.model import Target

CLIENT = "KG:GOV:1:registry"


def change(service: str, subject: str, action: str = GRANT, *, client: str = CLIENT,
           endpoint: str = "", endpoint_id: str | None = None, by_subject: bool = True) -> Change:
    return Change(action=action, target=Target(client, f"{service}.v1", endpoint),  # type: ignore[arg-type]
                  subject=subject, subject_id=subject, service_id=f"{client}:{service}.v1",
                  rights_code=service, endpoint_id=endpoint_id, by_subject=by_subject)


def subject(n: int) -> str:
    return f"KG:COM:{n:05d}:sub"


def covered_once(changes: list[Change]) -> list:
    calls = batch_calls(changes)
    carried = Counter(item for call in calls for item in call.changes)
    assert carried == Counter(changes), "every change in exactly one call"
    for call in calls:
        if call.by == "subject":
            assert {c.subject_id for c in call.changes} == {call.key}
        elif call.by == "service":
            assert {c.service_id for c in call.changes} == {call.key}
        assert len({c.action for c in call.changes}) == 1
    return calls


def brute_force_cover(edges: set[tuple[str, str]]) -> int:
    vertices = sorted({("L", a) for a, _ in edges} | {("R", b) for _, b in edges})
    for size in range(len(vertices) + 1):
        for chosen in itertools.combinations(vertices, size):
            picked = set(chosen)
            if all(("L", a) in picked or ("R", b) in picked for a, b in edges):
                return size
    raise AssertionError


def test_2000_grants_of_10_subjects_to_200_services_take_10_calls() -> None:
    changes = [change(f"service{s:03d}", subject(n)) for s in range(200) for n in range(10)]
    assert len(changes) == 2000
    calls = covered_once(changes)
    assert len(calls) == 10
    assert all(call.by == "subject" and call.size == 200 for call in calls)


def test_2000_grants_of_400_subjects_to_5_services_take_5_calls() -> None:
    changes = [change(f"service{s}", subject(n)) for s in range(5) for n in range(400)]
    calls = covered_once(changes)
    assert len(calls) == 5 and all(call.by == "service" for call in calls)


def test_a_mixed_change_set_takes_the_minimum_not_the_simple_grouping() -> None:
    # one subject to 1,000 services, and 1,000 subjects to one service: 2 calls (grouping only
    # by subject or only by service would take 1,001)
    changes = [change(f"service{s:04d}", subject(0)) for s in range(1000)]
    changes += [change("popular", subject(n)) for n in range(1, 1001)]
    calls = covered_once(changes)
    assert len(calls) == 2
    assert {(call.by, call.size) for call in calls} == {("subject", 1000), ("service", 1000)}


def test_random_change_sets_match_the_brute_force_minimum() -> None:
    rng = random.Random(7)
    for _ in range(150):
        edges = {(f"s{rng.randrange(6)}", subject(rng.randrange(6)))
                 for _ in range(rng.randrange(1, 16))}
        calls = covered_once([change(a, b) for a, b in sorted(edges)])
        assert len(calls) == brute_force_cover(edges)


def test_grants_before_revocations_endpoints_alone_and_clients_apart() -> None:
    changes = [change("a", subject(1), REVOKE), change("b", subject(1), REVOKE),
               change("a", subject(2)), change("a", subject(3)),
               change("a", subject(1), client="KG:GOV:2:other"),
               change("api", subject(1), endpoint="GET /x", endpoint_id="11"),
               change("api", subject(2), endpoint="GET /x", endpoint_id="11"),
               change("api", subject(2), REVOKE, endpoint="GET /y", endpoint_id="12")]
    calls = covered_once(changes)
    assert [(call.action, call.client, call.by, call.size) for call in calls] == [
        (GRANT, CLIENT, "service", 2), (GRANT, CLIENT, "endpoint", 2),
        (GRANT, "KG:GOV:2:other", "service", 1),
        (REVOKE, CLIENT, "endpoint", 1), (REVOKE, CLIENT, "subject", 2)]
    assert calls[0].describe() == "grant 2 subjects access to a.v1"
    assert calls[4].describe() == f"revoke the access of {subject(1)} to 2 services"
    assert calls[1].describe() == "grant 2 subjects access to api.v1 GET /x"


def test_the_grouping_is_the_same_every_time() -> None:
    changes = [change(f"s{s}", subject(n)) for s in range(30) for n in range(30) if (s * n) % 7 < 3]
    first = batch_calls(changes)
    shuffled = list(changes)
    random.Random(1).shuffle(shuffled)
    assert batch_calls(shuffled) == first


def test_matching_and_cover_on_a_long_chain() -> None:
    # a path graph of 3,000 vertices: deep augmenting paths must not hit the recursion limit
    adjacency = {f"l{i}": [f"r{i}", f"r{i + 1}"] for i in range(1500)}
    assert len(max_matching(adjacency)) == 1500
    left, right = min_vertex_cover(adjacency)
    assert len(left) + len(right) == 1500
    assert all(a in left or any(b in right for b in adjacency[a]) for a in adjacency)


def test_revocations_on_services_with_endpoints_go_by_service() -> None:
    # X-Road's by-subject revocation would also take the subject's endpoint rights on "api"
    changes = [change(name, subject(n), REVOKE, by_subject=name != "api")
               for name in ("a", "b", "api") for n in (1,)]
    calls = covered_once(changes)
    assert sorted((call.by, call.key) for call in calls) == [
        ("service", f"{CLIENT}:api.v1"), ("subject", subject(1))]
    assert next(call for call in calls if call.by == "subject").size == 2
    # the minimum is kept for the rest: 3 forced services plus 1 subject call for 50 others
    changes = [change(f"rest{s}", subject(n), REVOKE, by_subject=False) for s in range(3)
               for n in range(5)]
    changes += [change(f"soap{s}", subject(9), REVOKE) for s in range(50)]
    assert len(covered_once(changes)) == 4


def test_a_call_over_the_request_size_limit_is_split() -> None:
    # 1,500 subjects with long ids for one service: ~100 KB as one body, X-Road takes 50 KB
    changes = [change("popular", f"KG:COM:{n:05d}:{'s' * 50}") for n in range(1500)]
    calls = covered_once(changes)
    assert len(calls) == 3 and {call.by for call in calls} == {"service"}
    for call in calls:
        body = json.dumps({"items": [{"id": c.subject_id} for c in call.changes]})
        assert len(body.encode()) <= MAX_BODY_BYTES
