"""Container entry names inside an archive → query id, request/response and record id.

X-Road names each container (``AsicContainerNameGenerator``)::

    <URLEncoder.encode(queryId, UTF-8), cut to 226 chars>-request|response-<id>.asice

where ``<id>`` is the log record's database id as an unsigned base-32 number (7.x) or 10 random
letters and digits (6.x and older, query id cut to 225). The last entry of an archive is
``linkinginfo``. Query ids are decoded as Java's ``URLDecoder`` would; bytes that are not UTF-8
(a cut in the middle of a character, or a crafted name) are kept as ``\\xNN`` so nothing is lost
and nothing breaks the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote_to_bytes

LINKINGINFO = "linkinginfo"
CONTAINER_SUFFIX = ".asice"
MAX_QUERY_LENGTH = 226
LEGACY_MAX_QUERY_LENGTH = 225
REQUEST, RESPONSE = "request", "response"
BASE32_DIGITS = "0123456789abcdefghijklmnopqrstuv"

_SUFFIX = re.compile(r"[A-Za-z0-9]+\Z")
_BASE32 = re.compile(r"^[0-9a-v]{1,13}$")


@dataclass(frozen=True, slots=True)
class EntryName:
    """What a container's entry name says."""

    name: str
    query_id: str
    response: bool
    suffix: str
    record_id: int | None
    #: the encoded query id filled X-Road's length limit, so the real one may be longer
    truncated: bool
    #: the decoded query id was valid UTF-8 (otherwise it holds ``\\xNN`` escapes)
    utf8: bool

    @property
    def direction(self) -> str:
        return RESPONSE if self.response else REQUEST


def encode_query_id(query_id: str) -> str:
    """Java's ``URLEncoder.encode(q, UTF-8)``: keeps ``A-Za-z0-9.-*_``, space → ``+``, rest %XX."""
    data = query_id.encode("utf-8", "replace")  # Java writes '?' for a lone surrogate
    return quote_plus(data, safe="*").replace("~", "%7E")


def decode_query_id(encoded: str) -> tuple[str, bool]:
    """The query id an encoded name part stands for, and whether its bytes were valid UTF-8."""
    raw = unquote_to_bytes(encoded.replace("+", " "))
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def to_base32(number: int) -> str:
    """Java's ``Long.toUnsignedString(number, 32)``."""
    number &= (1 << 64) - 1
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 32)
        digits.append(BASE32_DIGITS[rest])
    return "".join(reversed(digits))


def from_base32(text: str) -> int:
    return int(text, 32)


def container_entry_name(query_id: str, response: bool, record_id: int) -> str:
    """The 7.x entry name X-Road gives a record's container."""
    kind = RESPONSE if response else REQUEST
    return f"{encode_query_id(query_id)[:MAX_QUERY_LENGTH]}-{kind}-{to_base32(record_id)}{CONTAINER_SUFFIX}"


def is_container_name(name: str) -> bool:
    return name.endswith(CONTAINER_SUFFIX)


def parse_entry_name(name: str, *, legacy: bool | None = None) -> EntryName | None:
    """Parse a container entry name; ``None`` when it is not one (``linkinginfo``, other files).

    ``legacy`` is what the archive's file name says (True: 6.x random suffixes, False: 7.x ids,
    None: unknown, decided by the suffix: base-32 of at most 9 digits is an id).
    """
    if not name.endswith(CONTAINER_SUFFIX):
        return None
    encoded, dash, rest = name[:-6].rpartition("-")  # rsplit by hand: query ids contain "-"
    encoded, dash2, kind = encoded.rpartition("-")
    if not dash or not dash2 or kind not in (REQUEST, RESPONSE) or not _SUFFIX.match(rest):
        return None
    suffix = rest
    record_id: int | None = None
    if _BASE32.match(suffix) and (legacy is False or (legacy is None and len(suffix) < 10)):
        record_id = from_base32(suffix)
    plain = "%" not in encoded and "+" not in encoded
    query_id, utf8 = (encoded, True) if plain else decode_query_id(encoded)
    limit = LEGACY_MAX_QUERY_LENGTH if record_id is None else MAX_QUERY_LENGTH
    return EntryName(name, query_id, kind == RESPONSE, suffix, record_id, len(encoded) >= limit, utf8)
