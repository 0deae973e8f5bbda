"""Message-log archives in X-Road's layout, made for tests and benchmarks.

Containers hold ``mimetype``, ``message.xml``, ``META-INF/signatures.xml`` and a manifest, all
deflated, with the record's time as their mtime and X-Road's zip comment; the archive holds the
containers deflated at level 0 (as ``ZipOutputStream.setLevel(0)`` writes them) and a last
``linkinginfo`` entry chaining their digests (reference §2.1–§2.2). The signatures are filler of a
realistic size, not real XAdES: these archives exercise reading and indexing, not verification.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.archive.entries import container_entry_name
from backend.archive.names import archive_file_name

MIMETYPE = b"application/vnd.etsi.asic-e+zip"
COMMENT = b"mimetype=application/vnd.etsi.asic-e+zip"
START = datetime(2024, 3, 1, 8, 0, 0, tzinfo=UTC)


def soap_message(query_id: str, client: str, service: str, *, user_id: str = "EE12345678901",
                 prefixes: tuple[str, str] = ("xroad", "id"), body: str = "<ns1:getRandom/>") -> bytes:
    """A SOAP envelope as X-Road logs it; ``client``/``service`` are short ids (a/b/c[/d]…)."""
    x, i = prefixes

    def identifier(tag: str, value: str, fields: Sequence[str]) -> str:
        parts = value.split("/")
        kind = {"client": "SUBSYSTEM" if len(parts) == 4 else "MEMBER", "service": "SERVICE"}[tag]
        inner = "".join(f"<{i}:{field}>{part}</{i}:{field}>"
                        for field, part in zip(fields, parts, strict=False))
        return f'<{x}:{tag} {i}:objectType="{kind}">{inner}</{x}:{tag}>'

    client_fields = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
    service_parts = service.split("/")
    service_fields = (("xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode")
                      if len(service_parts) >= 5 else ("xRoadInstance", "memberClass", "memberCode",
                                                       "serviceCode"))
    return (f'<?xml version="1.0" encoding="utf-8" ?><SOAP-ENV:Envelope '
            f'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:{i}="http://x-road.eu/xsd/identifiers" xmlns:{x}="http://x-road.eu/xsd/xroad.xsd">'
            f"<SOAP-ENV:Header>{identifier('client', client, client_fields)}"
            f"{identifier('service', service, service_fields)}"
            f"<{x}:id>{query_id}</{x}:id><{x}:userId>{user_id}</{x}:userId>"
            f"<{x}:protocolVersion>4.0</{x}:protocolVersion></SOAP-ENV:Header>"
            f'<SOAP-ENV:Body xmlns:ns1="http://test.x-road.global/producer">{body}</SOAP-ENV:Body>'
            f"</SOAP-ENV:Envelope>").encode()


def rest_request(query_id: str, client: str, service: str, *, method: str = "GET", path: str = "/items",
                 request_id: str = "req-1") -> bytes:
    lines = [method, f"/r1/{service}{path}", f"x-road-client:{client}", f"x-road-id:{query_id}",
             "accept:application/json", f"x-road-request-id:{request_id}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def rest_response(query_id: str, client: str, service: str, *, status: int = 200, reason: str = "OK",
                  request_id: str = "req-1") -> bytes:
    lines = [str(status), reason, "content-type:application/json", f"x-road-id:{query_id}",
             f"x-road-client:{client}", f"x-road-service:{service}", f"x-road-request-id:{request_id}",
             "x-road-request-hash:aGFzaA=="]
    return ("\r\n".join(lines) + "\r\n").encode()


def _info(name: str, moment: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def container(message: bytes, moment: datetime, *, signature_size: int = 6000,
              attachments: Sequence[bytes] = ()) -> bytes:
    """An ASiC-E container as X-Road's ``AsicHelper.write`` lays it out."""
    filler = random.Random(len(message)).randbytes(signature_size * 3 // 4)
    signature = (b'<?xml version="1.0" encoding="UTF-8"?><asic:XAdESSignatures>'
                 + base64.b64encode(filler) + b"</asic:XAdESSignatures>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        inner.comment = COMMENT
        inner.writestr(_info("mimetype", moment), MIMETYPE)
        inner.writestr(_info("message.xml", moment), message)
        inner.writestr(_info("META-INF/signatures.xml", moment), signature)
        for number, attachment in enumerate(attachments, 1):
            inner.writestr(_info(f"attachment{number}", moment), attachment)
        inner.writestr(_info("META-INF/manifest.xml", moment), b'<manifest:manifest version="1.2"/>')
    return buffer.getvalue()


@dataclass
class Record:
    query_id: str
    response: bool
    record_id: int
    time: datetime
    message: bytes
    entry_name: str | None = None  # None: X-Road's 7.x name

    @property
    def name(self) -> str:
        return self.entry_name or container_entry_name(self.query_id, self.response, self.record_id)


def linkinginfo(entries: Iterable[tuple[str, bytes]], previous_digest: str = "-", previous_name: str = "-",
                algorithm: str = "SHA-512") -> tuple[bytes, str]:
    """The ``linkinginfo`` text for (name, container bytes) pairs, and the last digest."""
    digest = hashlib.new(algorithm.replace("-", "").lower()).name
    last = "" if previous_digest == "-" else previous_digest
    lines = [f"{previous_digest} {previous_name} {algorithm}"]
    for name, data in entries:
        own = hashlib.new(digest, data).hexdigest()
        last = hashlib.new(digest, (last + own).encode()).hexdigest()
        lines.append(f"{last} {name}")
    return ("\n".join(lines) + "\n").encode(), last


def write_archive(directory: Path, records: Sequence[Record], *, group: str | None = None,
                  previous: tuple[str, str] = ("-", "-"), name: str | None = None,
                  signature_size: int = 6000) -> tuple[Path, str]:
    """One archive file with X-Road's name; returns its path and last linkinginfo digest."""
    containers = [(record.name, container(record.message, record.time, signature_size=signature_size),
                   record.time) for record in records]
    info, last = linkinginfo([(n, data) for n, data, _t in containers], *previous)
    start = min(record.time for record in records)
    end = max(record.time for record in records)
    file_name = name or archive_file_name(start, end, last, group=group)
    path = directory / file_name
    with zipfile.ZipFile(path, "w") as archive:  # deflated at level 0, as X-Road writes
        for entry_name, data, moment in containers:
            archive.writestr(_info(entry_name, moment), data, compresslevel=0)
        archive.writestr(_info("linkinginfo", end), info, compresslevel=0)
    return path, last


CLIENTS = ("CS/GOV/1001", "CS/GOV/1001/portal", "CS/COM/2002/billing", "CS/ORG/3003-x_y/app")
SERVICES = ("CS/GOV/5005/registry/getPerson", "CS/COM/6006/shop/orders", "CS/ORG/7007/stats/getData/v2")


def traffic(count: int, *, start: datetime = START, first_id: int = 1, seed: int = 7,
            rest_share: float = 0.3) -> list[Record]:
    """``count`` records: request/response pairs, SOAP and REST, a few seconds apart."""
    generator = random.Random(seed)
    records = []
    for number in range(count):
        pair, response = divmod(number, 2)
        query_id = f"q{seed}-{pair:08d}-{generator.getrandbits(32):08x}" if not response \
            else records[-1].query_id
        client = CLIENTS[pair % len(CLIENTS)]
        service = SERVICES[pair % len(SERVICES)]
        moment = start + timedelta(seconds=pair * 3 + response)
        rest = (pair * 7919 % 100) < rest_share * 100
        if rest:
            service = "/".join(service.split("/")[:5])
            message = (rest_response(query_id, client, service) if response
                       else rest_request(query_id, client, service, request_id=f"r-{pair}"))
        else:
            message = soap_message(query_id, client, service)
        records.append(Record(query_id, bool(response), first_id + number, moment, message))
    return records


def write_traffic(directory: Path, count: int, *, per_file: int = 2000, seed: int = 7,
                  signature_size: int = 6000) -> list[Path]:
    """``count`` records in files of ``per_file`` records, one chain, no grouping."""
    directory.mkdir(parents=True, exist_ok=True)
    paths, previous = [], ("-", "-")
    for offset in range(0, count, per_file):
        records = traffic(min(per_file, count - offset), first_id=offset + 1, seed=seed + offset,
                          start=START + timedelta(seconds=offset * 2))
        path, last = write_archive(directory, records, previous=previous, signature_size=signature_size)
        previous = (last, path.name)
        paths.append(path)
    return paths
