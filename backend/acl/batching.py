"""The fewest batch calls that make a set of changes.

X-Road changes many rights in one call in two ways: one subject with many services of a client
(``/clients/{id}/service-clients/{subject}/access-rights``), or one service with many subjects
(``/services/{id}/service-clients``). Each right must be in exactly one call. Seen as a bipartite
graph (services on one side, subjects on the other, a change an edge), a set of calls is a vertex
cover, and the fewest calls is a *minimum* vertex cover: by König's theorem as large as a maximum
matching (Hopcroft–Karp), and read off it. So 2,000 grants of 10 subjects to 200 services take 10
calls, and one subject to 100 services plus 100 subjects to one service take 2, not 101.

A right on one REST endpoint has only the by-endpoint call: one call per endpoint. A revocation
on a service with REST endpoints goes by service (``Change.by_subject`` False), because X-Road's
by-subject revocation also takes away the subject's rights on that service's endpoints: such
services are in the cover from the start, and the rest is covered as above. Endpoint revocations
go before the service-level ones for the same reason.

X-Road refuses request bodies over 50 KB: a call whose items would not fit is split in parts.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from backend.acl.changes import GRANT, REVOKE, Action, Call, Change
from backend.acl.subjects import subject_sort_key

L = TypeVar("L", bound=Hashable)
R = TypeVar("R", bound=Hashable)

_INFINITY = float("inf")
#: the largest request body sent, with a margin under X-Road's 50 KB limit
MAX_BODY_BYTES = 45 * 1024
_BODY_OVERHEAD = len('{"items": []}')


def max_matching(adjacency: Mapping[L, Sequence[R]]) -> dict[L, R]:
    """A maximum matching of a bipartite graph (Hopcroft–Karp), left vertex → right vertex."""
    match_left: dict[L, R] = {}
    match_right: dict[R, L] = {}
    while True:
        distance: dict[L, float] = {}
        queue: deque[L] = deque()
        for left in adjacency:
            if left not in match_left:
                distance[left] = 0
                queue.append(left)
        found = False
        while queue:
            left = queue.popleft()
            for right in adjacency[left]:
                partner = match_right.get(right)
                if partner is None:
                    found = True
                elif partner not in distance:
                    distance[partner] = distance[left] + 1
                    queue.append(partner)
        if not found:
            return match_left
        for left in adjacency:
            if left not in match_left:
                _augment(left, adjacency, distance, match_left, match_right)


def _augment(root: L, adjacency: Mapping[L, Sequence[R]], distance: dict[L, float],
             match_left: dict[L, R], match_right: dict[R, L]) -> bool:
    """One augmenting path from ``root`` along the BFS layers (a loop, not recursion)."""
    stack: list[L] = [root]
    choices = [iter(adjacency[root])]
    via: list[R] = []
    while stack:
        left = stack[-1]
        for right in choices[-1]:
            partner = match_right.get(right)
            if partner is None:
                for a, b in zip(stack, [*via, right], strict=True):
                    match_left[a] = b
                    match_right[b] = a
                return True
            if distance.get(partner) == distance[left] + 1:
                stack.append(partner)
                choices.append(iter(adjacency[partner]))
                via.append(right)
                break
        else:
            distance[left] = _INFINITY  # no path through here: leave it out from now on
            stack.pop()
            choices.pop()
            if via:
                via.pop()
    return False


def min_vertex_cover(adjacency: Mapping[L, Sequence[R]]) -> tuple[set[L], set[R]]:
    """A minimum vertex cover (König): left vertices not reached, right vertices reached by
    alternating paths from the unmatched left vertices."""
    match_left = max_matching(adjacency)
    match_right = {right: left for left, right in match_left.items()}
    reached_left = {left for left in adjacency if left not in match_left}
    reached_right: set[R] = set()
    queue = deque(reached_left)
    while queue:
        left = queue.popleft()
        for right in adjacency[left]:
            if right in reached_right or match_left.get(left) == right:
                continue
            reached_right.add(right)
            partner = match_right.get(right)
            if partner is not None and partner not in reached_left:
                reached_left.add(partner)
                queue.append(partner)
    return set(adjacency) - reached_left, reached_right


def _service_level_calls(action: Action, client: str, changes: list[Change]) -> list[Call]:
    by_edge = {(change.rights_code, change.subject_id): change for change in changes}
    forced = {change.rights_code for change in changes if not change.by_subject}
    adjacency: dict[str, list[str]] = defaultdict(list)
    for code, subject in sorted(by_edge):
        if code not in forced:
            adjacency[code].append(subject)
    services, subjects = min_vertex_cover(adjacency)
    services |= forced
    by_subject: dict[str, list[Change]] = defaultdict(list)
    by_service: dict[str, list[Change]] = defaultdict(list)
    for (code, subject), change in by_edge.items():
        if subject in subjects and code not in forced:
            by_subject[subject].append(change)
        else:
            assert code in services
            by_service[code].append(change)
    calls: list[Call] = []
    for subject_id, items in sorted(by_subject.items(),
                                    key=lambda item: subject_sort_key(item[1][0].subject)):
        calls.append(Call(action, "subject", client, subject_id, _ordered(items)))
    for _code, items in sorted(by_service.items()):
        ordered = _ordered(items)
        calls.append(Call(action, "service", client, ordered[0].service_id, ordered))
    return calls


def _ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=lambda change: change.sort_key))


def _item_bytes(call: Call, change: Change) -> int:
    item = ({"service_code": change.rights_code} if call.by == "subject"
            else {"id": change.subject_id})
    return len(json.dumps(item, ensure_ascii=False).encode("utf-8")) + 2  # and ", "


def split_large(call: Call, limit: int = MAX_BODY_BYTES) -> list[Call]:
    """The call, or parts of it whose request bodies each fit in ``limit`` bytes."""
    parts: list[list[Change]] = [[]]
    size = _BODY_OVERHEAD
    for change in call.changes:
        grows = _item_bytes(call, change)
        if parts[-1] and size + grows > limit:
            parts.append([])
            size = _BODY_OVERHEAD
        parts[-1].append(change)
        size += grows
    if len(parts) == 1:
        return [call]
    return [Call(call.action, call.by, call.client, call.key, tuple(part)) for part in parts]


def batch_calls(changes: Iterable[Change]) -> list[Call]:
    """The calls that make ``changes``: grants first (no caller loses access halfway through a
    change that moves rights), then revocations; per client, the fewest calls."""
    grouped: dict[tuple[Action, str], list[Change]] = defaultdict(list)
    for change in changes:
        grouped[(change.action, change.target.client)].append(change)
    calls: list[Call] = []
    for action in (GRANT, REVOKE):
        for client in sorted(client for act, client in grouped if act == action):
            items = grouped[(action, client)]
            services = _service_level_calls(action, client,
                                            [c for c in items if c.endpoint_id is None])
            by_endpoint: dict[str, list[Change]] = defaultdict(list)
            for change in items:
                if change.endpoint_id is not None:
                    by_endpoint[change.endpoint_id].append(change)
            endpoints = [Call(action, "endpoint", client, endpoint_id, _ordered(group))
                         for endpoint_id, group in sorted(by_endpoint.items(),
                                                          key=lambda item: item[1][0].target.sort_key)]
            ordered = services + endpoints if action == GRANT else endpoints + services
            calls += [part for call in ordered for part in split_large(call)]
    return calls
