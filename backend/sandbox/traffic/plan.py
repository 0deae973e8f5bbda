"""What happened: the calls of generated traffic, their messages and the message-log records.

Each exchange is a request and its response between a client and a service among the seed's
subsystems, at least one of them local to this server. X-Road logs a message on the side where it
is local, with the local party as the record's member (the client on the consumer side, the service
owner on the provider side): an outgoing or incoming call gives two records, a call between two
local subsystems four (``2200-ss-messagelog.feature``). Calls are spread over the period with more
of them in Bishkek's working hours; record ids follow the records' times, as X-Road's sequence does.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass

from backend.sandbox.traffic.catalogue import services_of
from backend.sandbox.traffic.messages import Exchange, Party, Service, query_id

#: Bishkek's offset from UTC, for the daily rhythm of the traffic
LOCAL_OFFSET_MS = 6 * 3_600_000
_OUT, _IN, _BOTH = "out", "in", "both"


class Message:
    """A request or a response as it was signed; the records that logged it refer to it."""

    __slots__ = ("batch", "exchange", "index", "response", "sign_ms", "signer_member")

    def __init__(self, exchange: Exchange, response: bool, sign_ms: int, signer_member: Party) -> None:
        self.exchange = exchange
        self.response = response
        self.sign_ms = sign_ms
        self.signer_member = signer_member
        self.batch: object = None
        self.index = 0


class Record:
    """One message-log record: a message logged at one security server."""

    __slots__ = ("id", "local", "message", "signature", "time_ms", "ts", "ts_index", "ts_ms")

    def __init__(self, message: Message, local: Party, time_ms: int) -> None:
        self.id = 0
        self.message: Message | None = message
        self.local = local
        self.time_ms = time_ms
        self.ts: object = None
        self.ts_index = 0
        self.ts_ms = 0
        #: ``signatures.xml`` with a single timestamp in it (else the batch's signature is used)
        self.signature: bytes | None = None


@dataclass(frozen=True)
class Participants:
    instance: str
    local: tuple[Party, ...]
    remote: tuple[Party, ...]

    def services(self, parties: tuple[Party, ...]) -> list[Service]:
        return [Service(party, spec) for party in parties if party.subsystem
                for spec in services_of(party.subsystem)]


def _activity(moment_ms: int) -> float:
    hour = (moment_ms + LOCAL_OFFSET_MS) // 3_600_000 % 24
    weekday = (moment_ms + LOCAL_OFFSET_MS) // 86_400_000 % 7  # 0 is a Thursday
    level = 1.0 if 8 <= hour < 18 else 0.35 if 18 <= hour < 23 else 0.12
    return level * (0.3 if weekday in (2, 3) else 1.0)


def _times(rng: random.Random, count: int, start_ms: int, end_ms: int) -> list[int]:
    span = max(end_ms - start_ms, 1)
    times: list[int] = []
    while len(times) < count:
        moment = start_ms + int(rng.random() * span)
        if span < 86_400_000 or rng.random() < _activity(moment):
            times.append(moment)
    times.sort()
    return times


def _kinds(rng: random.Random, people: Participants, records: int) -> list[str]:
    local_services = people.services(people.local)
    options = []
    if people.remote:
        options.append((_OUT, 0.45))
    if people.remote and local_services:
        options.append((_IN, 0.45))
    if len(people.local) > 1 and local_services:
        options.append((_BOTH, 0.10))
    if not options:
        options.append((_BOTH if local_services else _OUT, 1.0))
    kinds: list[str] = []
    total = 0
    names = [name for name, _weight in options]
    weights = [weight for _name, weight in options]
    while total < records:
        kind = rng.choices(names, weights)[0]
        kinds.append(kind)
        total += 4 if kind == _BOTH else 2
    return kinds


def _pick(rng: random.Random, people: Participants, kind: str) -> tuple[Party, Service]:
    if kind == _OUT:
        services = people.services(people.remote)
        return rng.choice(people.local), rng.choice(services)
    if kind == _IN:
        return rng.choice(people.remote), rng.choice(people.services(people.local))
    service = rng.choice(people.services(people.local))
    clients = [party for party in people.local if party != service.owner] or list(people.local)
    return rng.choice(clients), service


def plan(rng: random.Random, people: Participants, records: int, start_ms: int,
         end_ms: int) -> tuple[list[Message], list[Record]]:
    """Messages in signing order and exactly ``records`` records in time order (ids unset)."""
    kinds = _kinds(rng, people, records)
    starts = _times(rng, len(kinds), start_ms, end_ms)
    messages: list[Message] = []
    logged: list[Record] = []
    for kind, start in zip(kinds, starts, strict=True):
        client, service = _pick(rng, people, kind)
        latency = min(max(int(rng.lognormvariate(math.log(180), 0.8)), 20), 9000)
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        user_id = f"KG{rng.randint(10**13, 10**14 - 1)}"
        exchange = Exchange(people.instance, client, service, query_id(rng, start), request_id,
                            user_id, rng.getrandbits(64), start, latency)
        request = Message(exchange, False, start + rng.randint(2, 12), client.member)
        response = Message(exchange, True, start + latency - rng.randint(1, 8),
                           service.owner.member)
        response.sign_ms = max(response.sign_ms, request.sign_ms + 1)
        transit = max(1, min(rng.randint(4, 40), (response.sign_ms - request.sign_ms) // 2))
        found: list[Record] = []
        if kind in (_OUT, _BOTH):
            found += [Record(request, client, request.sign_ms + rng.randint(1, 4)),
                      Record(response, client, response.sign_ms + transit)]
        if kind in (_IN, _BOTH):
            found += [Record(request, service.owner, request.sign_ms + transit),
                      Record(response, service.owner, response.sign_ms + rng.randint(1, 4))]
        found.sort(key=lambda record: record.time_ms)
        found = found[:records - len(logged)]
        logged += found
        messages += [message for message in (request, response)
                     if any(record.message is message for record in found)]
    messages.sort(key=lambda message: message.sign_ms)
    logged.sort(key=lambda record: record.time_ms)
    return messages, logged
