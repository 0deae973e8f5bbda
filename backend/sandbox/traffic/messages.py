"""The messages of generated traffic: SOAP envelopes with X-Road headers, REST requests and responses.

A SOAP ``message.xml`` is the envelope with ``xroad:client``, ``xroad:service``, ``xroad:id``,
``xroad:userId`` and ``xroad:protocolVersion`` 4.0 (a response adds ``xroad:requestHash``). A REST
``message.xml`` is what X-Road's ``RestRequest``/``RestResponse.toByteArray`` write: the verb and the
``/r1/…`` path, or the status code and reason, then ``Name:value`` header lines, all ending in CR LF;
the body is ``attachment1``. Everything is rendered from an exchange's seed, so a message can be
made again, byte for byte, when its container is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import quote
from xml.sax.saxutils import escape

from backend.sandbox.traffic.catalogue import GENERATORS, ServiceSpec

_SOAP_NS = ('xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:id="http://x-road.eu/xsd/identifiers" xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"')
_SHA512_URI = "http://www.w3.org/2001/04/xmlenc#sha512"
_CRLF = "\r\n"
_RESPONSE_SALT = 0x5EED


@dataclass(frozen=True, slots=True)
class Party:
    """A client identifier: a member, or a member's subsystem."""

    member_class: str
    member_code: str
    subsystem: str | None = None

    @property
    def member(self) -> Party:
        return Party(self.member_class, self.member_code)

    def parts(self) -> tuple[str, ...]:
        return (self.member_class, self.member_code) + ((self.subsystem,) if self.subsystem else ())

    def short(self, instance: str) -> str:
        """``INSTANCE/CLASS/CODE[/SUBSYSTEM]`` (X-Road's ``toShortString``)."""
        return "/".join((instance, *self.parts()))

    def sort_key(self) -> tuple[str, str, bool, str]:
        """The archiver's order: member class, member code, subsystem code (NULL last, as in
        PostgreSQL)."""
        return (self.member_class, self.member_code, self.subsystem is None, self.subsystem or "")


@dataclass(frozen=True, slots=True)
class Service:
    owner: Party
    spec: ServiceSpec


@dataclass(slots=True)
class Exchange:
    """One call: a request and its response, rendered from ``seed``."""

    instance: str
    client: Party
    service: Service
    query_id: str
    request_id: str
    user_id: str
    seed: int
    start_ms: int
    latency_ms: int
    request_hash: bytes | None = None


def _fields(rng: random.Random, fields: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name, GENERATORS[kind](rng)) for name, kind in fields]


def _identifier(tag: str, kind: str, instance: str, party: Party, extra: str = "") -> str:
    names = ("memberClass", "memberCode", "subsystemCode")
    lines = [f"            <id:xRoadInstance>{escape(instance)}</id:xRoadInstance>\n"]
    lines += [f"            <id:{name}>{escape(value)}</id:{name}>\n"
              for name, value in zip(names, party.parts(), strict=False)]
    return f'        <xroad:{tag} id:objectType="{kind}">\n{"".join(lines)}{extra}        </xroad:{tag}>\n'


def _soap(exchange: Exchange, body: str, request_hash: bytes | None) -> bytes:
    spec = exchange.service.spec
    extra = f"            <id:serviceCode>{escape(spec.code)}</id:serviceCode>\n"
    if spec.version:
        extra += f"            <id:serviceVersion>{escape(spec.version)}</id:serviceVersion>\n"
    client_kind = "SUBSYSTEM" if exchange.client.subsystem else "MEMBER"
    header = (_identifier("client", client_kind, exchange.instance, exchange.client)
              + _identifier("service", "SERVICE", exchange.instance, exchange.service.owner, extra)
              + f"        <xroad:id>{escape(exchange.query_id)}</xroad:id>\n"
              + f"        <xroad:userId>{escape(exchange.user_id)}</xroad:userId>\n"
              + "        <xroad:protocolVersion>4.0</xroad:protocolVersion>\n")
    if request_hash is not None:
        header += (f'        <xroad:requestHash algorithmId="{_SHA512_URI}">'
                   f"{base64.b64encode(request_hash).decode()}</xroad:requestHash>\n")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope {_SOAP_NS}>\n'
            f"    <SOAP-ENV:Header>\n{header}    </SOAP-ENV:Header>\n"
            f"    <SOAP-ENV:Body>\n{body}    </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n").encode()


def _producer_ns(service: Service) -> str:
    owner = service.owner
    return (f"http://{(owner.subsystem or 'member').lower()}.{owner.member_class.lower()}-"
            f"{owner.member_code}.sandbox.test/producer")


def _soap_element(name: str, ns: str, groups: list[tuple[str, list[tuple[str, str]]]]) -> str:
    inner = "".join(
        f"            <prod:{group}>\n"
        + "".join(f"                <prod:{key}>{escape(value)}</prod:{key}>\n" for key, value in values)
        + f"            </prod:{group}>\n" for group, values in groups)
    return f'        <prod:{name} xmlns:prod="{ns}">\n{inner}        </prod:{name}>\n'


def _response_rng(exchange: Exchange) -> random.Random:
    return random.Random(exchange.seed ^ _RESPONSE_SALT)


def render_request(exchange: Exchange) -> tuple[bytes, bytes | None]:
    """``(message.xml, body or None)`` of the request; remembers its hash for the response."""
    rng = random.Random(exchange.seed)
    spec = exchange.service.spec
    values = _fields(rng, spec.request)
    if spec.rest:
        message, body = _rest_request(exchange, rng, values)
    else:
        body = None
        message = _soap(exchange, _soap_element(spec.code, _producer_ns(exchange.service),
                                                [("request", values)]), None)
    exchange.request_hash = hashlib.sha512(message).digest()
    return message, body


def render_response(exchange: Exchange) -> tuple[bytes, bytes | None]:
    """``(message.xml, body or None)`` of the response."""
    if exchange.request_hash is None:
        render_request(exchange)
    assert exchange.request_hash is not None
    rng = _response_rng(exchange)
    spec = exchange.service.spec
    failed = rng.random() < 0.03
    values = _fields(rng, spec.response)
    if spec.rest:
        return _rest_response(exchange, rng, values, failed)
    request_values = _fields(random.Random(exchange.seed), spec.request)
    if failed:  # a non-technical error: a normal response carrying faultCode and faultString
        values = [("faultCode", "NOT_FOUND"),
                  ("faultString", "Маалымат табылган жок (record not found)")]
    body = _soap_element(f"{spec.code}Response", _producer_ns(exchange.service),
                         [("request", request_values), ("response", values)])
    return _soap(exchange, body, exchange.request_hash), None


def _json(values: list[tuple[str, str]]) -> bytes:
    return json.dumps(dict(values), ensure_ascii=False, separators=(",", ":")).encode()


def _headers(lines: list[tuple[str, str]]) -> str:
    return "".join(f"{name}:{value}{_CRLF}" for name, value in lines)


def _rest_request(exchange: Exchange, rng: random.Random,
                  values: list[tuple[str, str]]) -> tuple[bytes, bytes | None]:
    spec = exchange.service.spec
    path = spec.path
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        value = GENERATORS[path[start + 1:end]](rng)
        path = path[:start] + quote(value, safe="") + path[end + 1:]
    owner = exchange.service.owner
    segments = [quote(part, safe="") for part in (exchange.instance, *owner.parts(), spec.code)]
    target = "/r1/" + "/".join(segments) + "/" + path
    body = _json(values) if spec.method in ("POST", "PUT") else None
    headers = [("Accept", "application/json"), ("User-Agent", rng.choice(
        ("Apache-HttpClient/4.5.14 (Java/21.0.5)", "python-httpx/0.28.1", "okhttp/4.12.0")))]
    if body is not None:
        headers.append(("Content-Type", "application/json; charset=UTF-8"))
    headers += [("X-Road-Client", exchange.client.short(exchange.instance)),
                ("X-Road-Id", exchange.query_id), ("X-Road-Request-Id", exchange.request_id)]
    return f"{spec.method}{_CRLF}{target}{_CRLF}{_headers(headers)}".encode(), body


def _rest_response(exchange: Exchange, rng: random.Random, values: list[tuple[str, str]],
                   failed: bool) -> tuple[bytes, bytes | None]:
    spec = exchange.service.spec
    if failed:
        status, reason = rng.choice(((404, "Not Found"), (500, "Internal Server Error")))
        body: bytes = json.dumps({"error": reason}).encode()
        content_type = "application/json"
    elif spec.binary_response:
        status, reason, content_type = 200, "OK", "image/png"
        body = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(200, 3000))
    else:
        status, reason = (201, "Created") if spec.method == "POST" else (200, "OK")
        body, content_type = _json(values), "application/json; charset=UTF-8"
    assert exchange.request_hash is not None
    owner = exchange.service.owner
    service_id = "/".join((exchange.instance, *owner.parts(), spec.code))
    headers = [("Content-Type", content_type),
               ("Date", formatdate((exchange.start_ms + exchange.latency_ms) / 1000, usegmt=True)),
               ("X-Road-Id", exchange.query_id),
               ("X-Road-Client", exchange.client.short(exchange.instance)),
               ("X-Road-Service", service_id),
               ("X-Road-Request-Id", exchange.request_id),
               ("X-Road-Request-Hash", base64.b64encode(exchange.request_hash).decode())]
    return f"{status}{_CRLF}{reason}{_CRLF}{_headers(headers)}".encode(), body


def query_id(rng: random.Random, when_ms: int) -> str:
    """A query id as client systems make them: mostly UUIDs, some with ``/``, non-ASCII
    characters, characters that need escaping, or longer than a container name keeps."""
    roll = rng.random()
    if roll < 0.85:
        return GENERATORS["uuid"](rng)
    number = rng.randint(1, 999999)
    year = time.gmtime(when_ms // 1000).tm_year
    if roll < 0.91:
        return f"{rng.choice(('REQ', 'GOV', 'ISS'))}/{year}/{number:06d}"
    if roll < 0.96:
        return rng.choice((f"сурам/{year}/{number}", f"запрос-№{number}", f"Ала-Тоо_{number}-ü"))
    if roll < 0.98:
        return rng.choice((f"id {number} + x&y", f"q~{number}<{year}>", f"#{number}?a=b;c"))
    return f"batch/{year}/" + "-".join(GENERATORS["uuid"](rng) for _ in range(7))
