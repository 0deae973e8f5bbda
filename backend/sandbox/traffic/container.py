"""ASiC-E containers as X-Road's ``AsicContainer`` writes them, and their names in an archive.

Entries in X-Road's order (``AsicContainerEntries``): ``mimetype``, ``message.xml``,
``META-INF/signatures.xml``, ``sig-hashchainresult.xml``, ``sig-hashchain.xml``,
``ts-hashchainresult.xml``, ``ts-hashchain.xml``, ``META-INF/manifest.xml``,
``META-INF/ASiCManifest.xml``, ``META-INF/timestamp.tst``, then ``attachment1``…; every entry
deflated (``mimetype`` too), stamped with the record's time, with the zip comment
``mimetype=application/vnd.etsi.asic-e+zip``, written as ``java.util.zip.ZipOutputStream`` writes
(:mod:`backend.sandbox.traffic.javazip`).

``manifest.xml`` lists the entries in the order of the Java ``HashMap`` X-Road builds it from
(:func:`java_hash_order`), which is what makes its bytes equal to a real container's.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote_plus

from backend.sandbox.traffic.javazip import ZipStream

MIMETYPE = "application/vnd.etsi.asic-e+zip"
COMMENT = f"mimetype={MIMETYPE}".encode()
MAX_QUERY_LENGTH = 226
_DEFAULT_LEVEL = 6  # java.util.zip.Deflater.DEFAULT_COMPRESSION
_XML_TYPE = "text/xml"
_BINARY_TYPE = "application/octet-stream"


def java_string_hash(text: str) -> int:
    value = 0
    for unit in struct.unpack(f">{len(text.encode('utf-16-be')) // 2}H", text.encode("utf-16-be")):
        value = (31 * value + unit) & 0xFFFFFFFF
    return value


@lru_cache(maxsize=64)
def java_hash_order(keys: tuple[str, ...], capacity: int = 16) -> list[str]:
    """``keys`` in the iteration order of a ``java.util.HashMap`` they were put into in order."""
    buckets: dict[int, list[str]] = {}
    for key in keys:
        value = java_string_hash(key)
        buckets.setdefault((value ^ (value >> 16)) & (capacity - 1), []).append(key)
    return [key for index in sorted(buckets) for key in buckets[index]]


def manifest(entry_names: Sequence[str], attachments: int) -> bytes:
    """``META-INF/manifest.xml`` (OpenDocument) for the container's entries."""
    lines = [f'    <manifest:file-entry manifest:media-type="{MIMETYPE}" manifest:full-path="/"/>\n']
    for name in java_hash_order(tuple(entry_names)):
        if name != "mimetype" and not name.startswith("META-INF"):
            lines.append(f'    <manifest:file-entry manifest:media-type="{_XML_TYPE}" '
                         f'manifest:full-path="{name}"/>\n')
    lines += [f'    <manifest:file-entry manifest:media-type="{_BINARY_TYPE}" '
              f'manifest:full-path="attachment{number}"/>\n' for number in range(1, attachments + 1)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            f'manifest:version="1.2">\n{"".join(lines)}</manifest:manifest>\n').encode()


def asic_manifest(ts_hash_chain_result: bytes) -> bytes:
    """``META-INF/ASiCManifest.xml`` of a batch-timestamped container."""
    digest = base64.b64encode(hashlib.sha512(ts_hash_chain_result).digest()).decode()
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/2918/v1.2.1#" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
            '<asic:SigReference URI="META-INF/timestamp.tst" MimeType="vnd.etsi.timestamp-token"/>\n'
            '<asic:DataObjectReference URI="ts-hashchainresult.xml" MimeType="text/xml">\n'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512" />\n'
            f"<ds:DigestValue>{digest}</ds:DigestValue>\n"
            "</asic:DataObjectReference>\n"
            "</asic:ASiCManifest>").encode()


@dataclass(frozen=True)
class BatchTimestamp:
    """What a batch timestamp puts into a container: the token and this record's hash chain."""

    token: bytes
    chain_result: bytes
    chain: bytes


def container(
    time_ms: int,
    message: bytes,
    signature: bytes,
    *,
    sig_chain: tuple[bytes, bytes] | None = None,
    timestamp: BatchTimestamp | None = None,
    attachments: Sequence[bytes] = (),
) -> bytes:
    """The bytes of one ASiC-E container.

    ``sig_chain`` is ``(sig-hashchainresult.xml, sig-hashchain.xml)`` of a batch signature;
    ``timestamp`` is absent when the token is inside ``signature`` (a single timestamp).
    """
    entries: list[tuple[str, bytes]] = [("mimetype", MIMETYPE.encode()), ("message.xml", message),
                                        ("META-INF/signatures.xml", signature)]
    if sig_chain is not None:
        entries += [("sig-hashchainresult.xml", sig_chain[0]), ("sig-hashchain.xml", sig_chain[1])]
    names = [name for name, _data in entries]
    if timestamp is not None:
        names += ["META-INF/timestamp.tst", "ts-hashchain.xml", "ts-hashchainresult.xml"]
        entries += [("ts-hashchainresult.xml", timestamp.chain_result),
                    ("ts-hashchain.xml", timestamp.chain)]
    entries.append(("META-INF/manifest.xml", manifest(names, len(attachments))))
    if timestamp is not None:
        entries += [("META-INF/ASiCManifest.xml", asic_manifest(timestamp.chain_result)),
                    ("META-INF/timestamp.tst", timestamp.token)]
    entries += [(f"attachment{number}", data) for number, data in enumerate(attachments, start=1)]
    chunks: list[bytes] = []
    archive = ZipStream(chunks.append, _DEFAULT_LEVEL)
    for name, data in entries:
        archive.add(name, data, time_ms)
    archive.finish(COMMENT)
    return b"".join(chunks)


def escape_query_id(query_id: str) -> str:
    """``AsicUtils.escapeString``: Java's ``URLEncoder`` (UTF-8), which also encodes ``/`` and ``~``."""
    return quote_plus(query_id, safe="*").replace("~", "%7E")


def _base32(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuv"
    text = ""
    while True:
        number, rest = divmod(number, 32)
        text = digits[rest] + text
        if not number:
            return text


def container_name(query_id: str, response: bool, record_id: int) -> str:
    """``AsicContainerNameGenerator``: ``<query id>-request|response-<record id, base 32>.asice``."""
    kind = "response" if response else "request"
    return f"{escape_query_id(query_id)[:MAX_QUERY_LENGTH]}-{kind}-{_base32(record_id)}.asice"
