"""What a container's ``message.xml`` says: query id, client, service and the rest, read fast.

A container is a zip inside the archive zip. Its central directory is read with ``struct`` and
only ``message.xml`` is inflated, and for SOAP only as far as the end of the SOAP header. The SOAP
header is read with regular expressions when that is exactly right (one prefix per X-Road
namespace, no comments, CDATA, DTD or entity references in the header); anything else goes to lxml
(no entities resolved, no network). REST records are the request line or status line and headers
that X-Road logs (``RestRequest``/``RestResponse.toByteArray``): CRLF lines, ``Name:value``.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from lxml import etree

SOAP, REST, UNKNOWN = "soap", "rest", "unknown"
XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
ID_NS = "http://x-road.eu/xsd/identifiers"
SOAP_NAMESPACES = ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
MESSAGE = b"message.xml"
HEAD_CHUNK = 16 << 10  # SOAP headers are a few KB; the body is not needed for the index
HEAD_LIMIT = 1 << 20  # give up looking for the header end after 1 MiB
REST_LIMIT = 1 << 20
HTTP_VERBS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
CLIENT_FIELDS = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
SERVICE_FIELDS = (*CLIENT_FIELDS, "serviceCode", "serviceVersion")

_EOCD = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL_LENGTHS = struct.Struct("<2H")
_HEADER_END = re.compile(r"</(?:[\w.-]+:)?Header\s*>")
_HEADER_END_BYTES = re.compile(rb"</(?:[\w.-]+:)?Header\s*>")
_XMLNS = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*(["'])(.*?)\2""", re.S)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """The record's message as far as the index and a record view need it."""

    kind: str  # "soap", "rest" or "unknown"
    query_id: str | None = None
    client: str | None = None  # INSTANCE/CLASS/CODE[/SUBSYSTEM]
    service: str | None = None  # INSTANCE/CLASS/CODE[/SUBSYSTEM]/SERVICE[/VERSION]
    user_id: str | None = None
    protocol_version: str | None = None
    request_id: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    #: why the message could not be read (missing, damaged, not SOAP or REST)
    issue: str | None = None

    @property
    def summary(self) -> str | None:
        """"GET /r1/…", "200 OK" for REST; ``None`` for SOAP."""
        if self.method:
            return f"{self.method} {self.path or ''}".strip()[:300]
        if self.status is not None:
            return f"{self.status} {self.reason or ''}".strip()[:300]
        return None


def member_offsets(container: bytes | memoryview, name: bytes = MESSAGE) -> tuple[int, int, int, int] | None:
    """(method, data offset, compressed size, size) of one entry of a container zip, or ``None``."""
    length = len(container)
    end = bytes(container[max(0, length - 0xFFFF - _EOCD.size):]).rfind(b"PK\x05\x06")
    if end < 0:
        return None
    end += max(0, length - 0xFFFF - _EOCD.size)
    if end + _EOCD.size > length:
        return None
    _sig, _d1, _d2, _n1, count, cd_size, position, _c = _EOCD.unpack_from(container, end)
    if position + cd_size > end:
        return None
    for _index in range(count):
        if position + _CENTRAL.size > end:
            return None
        fields = _CENTRAL.unpack_from(container, position)
        if fields[0] != b"PK\x01\x02":
            return None
        name_length, extra_length, comment_length, offset = fields[12], fields[13], fields[14], fields[18]
        start = position + _CENTRAL.size
        if container[start:start + name_length] == name:
            if offset + 30 > length or container[offset:offset + 4] != b"PK\x03\x04":
                return None
            local_name, local_extra = _LOCAL_LENGTHS.unpack_from(container, offset + 26)
            data = offset + 30 + local_name + local_extra
            if data + fields[10] > length:
                return None
            return fields[6], data, fields[10], fields[11]
        position = start + name_length + extra_length + comment_length
    return None


def read_message(container: bytes | memoryview, *, head_only: bool = False) -> bytes | None:
    """``message.xml`` of a container (``None`` if it has none or it is damaged).

    With ``head_only`` only enough for the index is inflated: a SOAP message up to the end of its
    header. Never inflates more than the entry declares.
    """
    found = member_offsets(container)
    if found is None:
        return None
    method, offset, compressed, size = found
    raw = container[offset:offset + compressed]
    if method == 0:
        return bytes(raw[:size])
    if method != 8:
        return None
    inflater = zlib.decompressobj(-15)
    try:
        if not head_only:
            data = inflater.decompress(raw, size + 1)
            return data if len(data) == size else None
        data = inflater.decompress(raw, min(size, HEAD_CHUNK))
        soap = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
        limit = min(size, HEAD_LIMIT if soap else REST_LIMIT)
        while len(data) < limit and not inflater.eof and not (soap and _has_header_end(data)):
            more = inflater.decompress(inflater.unconsumed_tail, min(limit - len(data), HEAD_CHUNK))
            if not more:
                break
            data += more
        return data
    except zlib.error:
        return None


def _has_header_end(data: bytes) -> bool:
    return _HEADER_END_BYTES.search(data) is not None


def parse_message(data: bytes | None) -> MessageInfo:
    """Read a (possibly head-only) ``message.xml``: SOAP if it starts with ``<``, else REST."""
    if data is None:
        return MessageInfo(UNKNOWN, issue="message.xml is missing or damaged")
    start = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] == b"<":
        return parse_soap(data)
    return parse_rest(data)


def record_info(container: bytes | memoryview) -> MessageInfo:
    """What the index keeps of a container."""
    return parse_message(read_message(container, head_only=True))


# -- SOAP -----------------------------------------------------------------------------------------


def _join(values: dict[str, str], fields: tuple[str, ...]) -> str | None:
    parts = [values[name] for name in fields if values.get(name)]
    return "/".join(parts) if parts else None


@lru_cache(maxsize=32)
def _patterns(xroad: str, ident: str) -> tuple[re.Pattern[str], ...]:
    x, i = re.escape(xroad), re.escape(ident)
    return (re.compile(rf"<{x}:client(?:\s[^>]*)?>(.*?)</{x}:client\s*>", re.S),
            re.compile(rf"<{x}:service(?:\s[^>]*)?>(.*?)</{x}:service\s*>", re.S),
            re.compile(rf"<{i}:(\w+)\s*>([^<]*)</{i}:\1\s*>"),
            re.compile(rf"<{x}:(id|userId|protocolVersion)\s*>([^<]*)</{x}:\1\s*>"))


def parse_soap(data: bytes) -> MessageInfo:
    match = _ENCODING.match(data)
    if match and match[1].lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return _soap_lxml(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a head-only read may end inside a character
            text = data[:exc.start].decode("utf-8", "backslashreplace")
        else:
            text = data.decode("utf-8", "backslashreplace")  # keeps bad bytes as \xNN
    end = _HEADER_END.search(text)
    if end is None:
        return _soap_lxml(data)
    head = text[:end.end()]
    body_start = head.find("?>") + 2 if head.lstrip().startswith("<?xml") else 0
    if "&" in head or "<!" in head or "<?" in head[body_start:]:
        return _soap_lxml(data)
    declared: dict[str | None, str] = {}
    for prefix, _quote, uri in _XMLNS.findall(head):
        key = prefix or None
        if declared.get(key, uri) != uri:
            return _soap_lxml(data)
        declared[key] = uri
    xroad = [prefix for prefix, uri in declared.items() if uri == XROAD_NS]
    ident = [prefix for prefix, uri in declared.items() if uri == ID_NS]
    if len(xroad) != 1 or len(ident) != 1 or None in xroad or None in ident:
        return _soap_lxml(data)
    client_re, service_re, field_re, simple_re = _patterns(xroad[0], ident[0])
    client = client_re.search(head)
    service = service_re.search(head)
    simple = {name: value.strip() for name, value in simple_re.findall(head)}
    return MessageInfo(
        SOAP, query_id=simple.get("id"),
        client=_join(_fields(field_re, client[1]), CLIENT_FIELDS) if client else None,
        service=_join(_fields(field_re, service[1]), SERVICE_FIELDS) if service else None,
        user_id=simple.get("userId"), protocol_version=simple.get("protocolVersion"))


def _fields(pattern: re.Pattern[str], text: str) -> dict[str, str]:
    return {name: value.strip() for name, value in pattern.findall(text)}


def _soap_lxml(data: bytes) -> MessageInfo:
    """The SOAP header read with lxml: the slow, exact way, for anything unusual."""
    events = etree.iterparse(io.BytesIO(data), events=("end",), resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_comments=True)
    header = None
    try:
        for _event, element in events:
            tag = element.tag if isinstance(element.tag, str) else ""
            if tag.endswith("}Header") and tag[1:-7] in SOAP_NAMESPACES:
                header = element
                break
            if tag.endswith("}Body") and tag[1:-5] in SOAP_NAMESPACES:
                break
    except etree.XMLSyntaxError as exc:
        return MessageInfo(SOAP, issue=f"message.xml is not well-formed XML: {exc}")
    if header is None:
        return MessageInfo(SOAP, issue="message.xml has no SOAP header")

    def identifier(name: str, fields: tuple[str, ...]) -> str | None:
        element = header.find(f"{{{XROAD_NS}}}{name}")
        if element is None:
            return None
        values = {field: (element.findtext(f"{{{ID_NS}}}{field}") or "").strip() for field in fields}
        return _join(values, fields)

    def text(name: str) -> str | None:
        value = header.findtext(f"{{{XROAD_NS}}}{name}")
        return value.strip() if value is not None else None

    return MessageInfo(SOAP, query_id=text("id"), client=identifier("client", CLIENT_FIELDS),
                       service=identifier("service", SERVICE_FIELDS), user_id=text("userId"),
                       protocol_version=text("protocolVersion"))


# -- REST -----------------------------------------------------------------------------------------


def _decode_segment(segment: str) -> str:
    return unquote(segment, errors="backslashreplace")


def decode_identifier(value: str | None, parts: int) -> str | None:
    """An ``x-road-client``/``x-road-service`` header value with its segments percent-decoded."""
    if not value:
        return None
    return "/".join(_decode_segment(segment) for segment in value.strip().split("/", parts))


def parse_rest(data: bytes) -> MessageInfo:
    text = data[:REST_LIMIT].decode("utf-8", "backslashreplace")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    if len(lines) < 2:
        return MessageInfo(UNKNOWN, issue="message.xml is neither SOAP nor an X-Road REST message")
    headers = []
    for line in lines[2:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip(), value.strip()))
    found: dict[str, str] = {}
    for name, value in headers:
        found.setdefault(name.lower(), value)
    first = lines[0].strip()
    common = {"query_id": found.get("x-road-id"), "request_id": found.get("x-road-request-id"),
              "client": decode_identifier(found.get("x-road-client"), 4), "headers": tuple(headers)}
    if first.isdigit():
        return MessageInfo(REST, service=decode_identifier(found.get("x-road-service"), 5),
                           status=int(first), reason=lines[1].strip(), **common)  # type: ignore[arg-type]
    if first in HTTP_VERBS:
        path = lines[1].strip()
        return MessageInfo(REST, service=_service_from_path(path), method=first, path=path,
                           **common)  # type: ignore[arg-type]
    return MessageInfo(UNKNOWN, issue="message.xml is neither SOAP nor an X-Road REST message")


def _service_from_path(path: str) -> str | None:
    """``/r1/INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/…]`` → the service id (X-Road's ``RestRequest``)."""
    parts = path.split("?", 1)[0].split("/", 7)
    if len(parts) < 7 or not re.fullmatch(r"r\d", parts[1]):
        return None
    return "/".join(_decode_segment(segment) for segment in parts[2:7])
