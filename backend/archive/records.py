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

from backend.i18n import N_, _

SOAP, REST, UNKNOWN = "soap", "rest", "unknown"
XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
ID_NS = "http://x-road.eu/xsd/identifiers"
SOAP_NAMESPACES = ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
MESSAGE = b"message.xml"
ASIC_COMMENT = b"mimetype=application/vnd.etsi.asic-e+zip"
HEAD_CHUNK = 16 << 10  # SOAP headers are a few KB; the body is not needed for the index
HEAD_LIMIT = 1 << 20  # give up looking for the header end after 1 MiB
REST_LIMIT = 1 << 20
HTTP_VERBS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
CLIENT_FIELDS = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
SERVICE_FIELDS = (*CLIENT_FIELDS, "serviceCode", "serviceVersion")

#: what an unreadable message means (stored as codes in the index, shown translated)
ISSUES = {
    "no_message": N_("The container has no readable message.xml: it is damaged or not an X-Road "
                     "container."),
    "not_xml": N_("message.xml starts like XML but is not well-formed: the container is damaged."),
    "no_header": N_("message.xml has no SOAP header, so its query id, client and service are unknown."),
    "not_rest": N_("message.xml is neither a SOAP message nor an X-Road REST request or response."),
}

_EOCD = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s6xH8xLLHHH8xL")  # signature, method, sizes, name/extra/comment lengths, offset
_LOCAL_LENGTHS = struct.Struct("<2H")
_HEADER_END = re.compile(r"</(?:[\w.-]+:)?Header\s*>")
_NAME = re.compile(r"[\w.-]+")
_HEADER_END_BYTES = re.compile(rb"</(?:[\w.-]+:)?Header\s*>")
_XROAD_PREFIX = re.compile(r"""xmlns:([\w.-]+)\s*=\s*["']http://x-road\.eu/xsd/xroad\.xsd["']""")
_ID_PREFIX = re.compile(r"""xmlns:([\w.-]+)\s*=\s*["']http://x-road\.eu/xsd/identifiers["']""")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")


@dataclass(slots=True)
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
    #: why the message could not be read: a code of ``ISSUES``
    issue: str | None = None

    @property
    def issue_message(self) -> str | None:
        return issue_message(self.issue)

    @property
    def summary(self) -> str | None:
        """"GET /r1/…", "200 OK" for REST; ``None`` for SOAP."""
        if self.method:
            return f"{self.method} {self.path or ''}".strip()[:300]
        if self.status is not None:
            return f"{self.status} {self.reason or ''}".strip()[:300]
        return None


def issue_message(code: str | None) -> str | None:
    """The translated text of an issue code (``None`` for none)."""
    if code is None:
        return None
    return _(ISSUES[code]) if code in ISSUES else code


def member_offsets(container: bytes | memoryview, name: bytes = MESSAGE) -> tuple[int, int, int, int] | None:
    """(method, data offset, compressed size, size) of one entry of a container zip, or ``None``."""
    length = len(container)
    end = -1
    for candidate in (length - _EOCD.size - len(ASIC_COMMENT), length - _EOCD.size):  # X-Road's, none
        if candidate >= 0 and container[candidate:candidate + 4] == b"PK\x05\x06":
            end = candidate
            break
    else:
        low = max(0, length - 0xFFFF - _EOCD.size)
        end = bytes(container[low:]).rfind(b"PK\x05\x06")
        if end < 0:
            return None
        end += low
    if end + _EOCD.size > length:
        return None
    _sig, _d1, _d2, _n1, count, cd_size, position, _c = _EOCD.unpack_from(container, end)
    if position + cd_size > end:
        return None
    unpack = _CENTRAL.unpack_from
    for _index in range(count):
        if position + _CENTRAL.size > end:
            return None
        signature, method, compressed, size, name_length, extra_length, comment_length, offset = unpack(
            container, position)
        if signature != b"PK\x01\x02":
            return None
        start = position + _CENTRAL.size
        if container[start:start + name_length] == name:
            if offset + 30 > length or container[offset:offset + 4] != b"PK\x03\x04":
                return None
            local_name, local_extra = _LOCAL_LENGTHS.unpack_from(container, offset + 26)
            data = offset + 30 + local_name + local_extra
            if data + compressed > length:
                return None
            return method, data, compressed, size
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
        if len(data) == size:  # the whole message (the usual case)
            return data
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


def parse_message(data: bytes | None, *, full: bool = True) -> MessageInfo:
    """Read a (possibly head-only) ``message.xml``: SOAP if it starts with ``<``, else REST."""
    if data is None:
        return MessageInfo(UNKNOWN, issue="no_message")
    start = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] == b"<":
        return parse_soap(data)
    return parse_rest(data, full=full)


def record_info(container: bytes | memoryview) -> MessageInfo:
    """What the index keeps of a container."""
    return parse_message(read_message(container, head_only=True), full=False)


# -- SOAP -----------------------------------------------------------------------------------------


def _join(values: dict[str, str], fields: tuple[str, ...]) -> str | None:
    parts = [values[name] for name in fields if values.get(name)]
    return "/".join(parts) if parts else None


@dataclass(frozen=True, slots=True)
class _Patterns:
    client: tuple[str, str]
    service: tuple[str, str]
    field: re.Pattern[str]
    simple: re.Pattern[str]
    #: the identifiers in the order X-Road's schema prescribes, matched in one go
    client_strict: re.Pattern[str]
    service_strict: re.Pattern[str]


@lru_cache(maxsize=32)
def _patterns(xroad: str, ident: str) -> _Patterns:
    x, i = re.escape(xroad), re.escape(ident)

    def field(name: str, optional: bool = False) -> str:
        text = rf"<{i}:{name}\s*>([^<]*)</{i}:{name}\s*>\s*"
        return f"(?:{text})?" if optional else text

    identifier = (field("xRoadInstance") + field("memberClass") + field("memberCode")
                  + field("subsystemCode", True))
    return _Patterns((f"<{xroad}:client", f"</{xroad}:client>"), (f"<{xroad}:service", f"</{xroad}:service>"),
                     re.compile(rf"<{i}:(\w+)\s*>([^<]*)</{i}:\1\s*>"),
                     re.compile(rf"<{x}:(id|userId|protocolVersion)\s*>([^<]*)</{x}:\1\s*>"),
                     re.compile(rf"<{x}:client(?:\s[^>]*)?>\s*{identifier}</{x}:client\s*>"),
                     re.compile(rf"<{x}:service(?:\s[^>]*)?>\s*{identifier}{field('serviceCode')}"
                                rf"{field('serviceVersion', True)}</{x}:service\s*>"))


def _header_end(text: str) -> int:
    """Where the SOAP header ends (after ``</…Header>``), or -1."""
    position = text.find(":Header>")
    for _attempt in range(3):  # the first one is usually the start tag
        if position < 0:
            break
        opening = text.rfind("<", 0, position)
        if opening >= 0 and text[opening + 1:opening + 2] == "/" and _NAME.fullmatch(text, opening + 2,
                                                                                       position):
            return position + 8
        position = text.find(":Header>", position + 8)
    match = _HEADER_END.search(text)
    return match.end() if match else -1


def _element(head: str, tags: tuple[str, str], field: re.Pattern[str],
             fields: tuple[str, ...]) -> str | bool | None:
    """The identifier inside an X-Road element, ``None`` if absent, ``False`` if it is not simple."""
    start = head.find(tags[0])
    if start < 0:
        return None
    if head[start + len(tags[0]):start + len(tags[0]) + 1] not in (" ", ">", "\t", "\r", "\n"):
        return False
    end = head.find(tags[1], start)
    if end < 0:
        return False
    return _join({name: value.strip() for name, value in field.findall(head, start, end)}, fields)


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
    end = _header_end(text)
    if end < 0:
        return _soap_lxml(data)
    head = text[:end]
    body_start = head.find("?>") + 2 if head.startswith("<?xml") else 0
    # entities, comments, CDATA, a DTD or processing instructions: lxml knows them ("!" and "?" are
    # found much faster than "<!" and "<?" in text full of "<")
    if "&" in head or "!" in head or head.find("?", body_start) >= 0:
        return _soap_lxml(data)
    xroad_match, ident_match = _XROAD_PREFIX.search(head), _ID_PREFIX.search(head)
    if xroad_match is None or ident_match is None:
        return _soap_lxml(data)
    xroad, ident = xroad_match[1], ident_match[1]
    # each namespace named once (so not also as the default), each prefix bound once: then the
    # prefixes mean what they say everywhere in the header
    if (head.count(XROAD_NS) != 1 or head.count(ID_NS) != 1 or head.count("xmlns:" + xroad) != 1
            or head.count("xmlns:" + ident) != 1):
        return _soap_lxml(data)
    patterns = _patterns(xroad, ident)
    client = _identifier(head, patterns.client, patterns.client_strict, patterns.field, CLIENT_FIELDS)
    service = _identifier(head, patterns.service, patterns.service_strict, patterns.field, SERVICE_FIELDS)
    if client is False or service is False:
        return _soap_lxml(data)
    simple = dict(patterns.simple.findall(head))
    return MessageInfo(SOAP, _strip(simple.get("id")), client or None, service or None,
                       _strip(simple.get("userId")), _strip(simple.get("protocolVersion")))


def _identifier(head: str, tags: tuple[str, str], strict: re.Pattern[str], field: re.Pattern[str],
                fields: tuple[str, ...]) -> str | bool | None:
    """An X-Road identifier element: in one match when laid out as the schema says, else field by field."""
    start = head.find(tags[0])
    if start < 0:
        return None
    match = strict.match(head, start)
    if match is not None:
        joined = "/".join(filter(None, match.groups()))
        if " " not in joined and "\n" not in joined and "\t" not in joined and "\r" not in joined:
            return joined or None
        return "/".join(value.strip() for value in match.groups() if value and value.strip()) or None
    return _element(head, tags, field, fields)


def _strip(value: str | None) -> str | None:
    return value.strip() if value is not None else None


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
    except etree.XMLSyntaxError:
        return MessageInfo(SOAP, issue="not_xml")
    if header is None:
        return MessageInfo(SOAP, issue="no_header")

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


def parse_rest(data: bytes, *, full: bool = True) -> MessageInfo:
    """An X-Road REST request or response; ``full`` also keeps every header (for a record view)."""
    text = data[:REST_LIMIT].decode("utf-8", "backslashreplace")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    first = lines[0].strip()
    response = first.isdigit()
    if len(lines) < 2 or not (response or first in HTTP_VERBS):
        return MessageInfo(UNKNOWN, issue="not_rest")
    headers = []
    found: dict[str, str] = {}
    for line in lines[2:]:
        name, colon, value = line.partition(":")
        if colon:
            value = value.strip()
            found.setdefault(name.strip().lower(), value)
            if full:
                headers.append((name.strip(), value))
    info = MessageInfo(REST, query_id=found.get("x-road-id"), request_id=found.get("x-road-request-id"),
                       client=decode_identifier(found.get("x-road-client"), 4), headers=tuple(headers))
    if response:
        info.service = decode_identifier(found.get("x-road-service"), 5)
        info.status, info.reason = int(first), lines[1].strip()
    else:
        info.method = first
        info.path = lines[1].strip()
        info.service = _service_from_path(info.path)
    return info


def _service_from_path(path: str) -> str | None:
    """``/r1/INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/…]`` → the service id (X-Road's ``RestRequest``)."""
    parts = path.split("?", 1)[0].split("/", 7)
    if len(parts) < 7 or not re.fullmatch(r"r\d", parts[1]):
        return None
    return "/".join(_decode_segment(segment) for segment in parts[2:7])
