"""What a container's message.xml says: the fast SOAP path against lxml, REST lines, damaged input."""

from __future__ import annotations

import pytest

from backend.archive.files import open_archive
from backend.archive.records import (
    _soap_lxml,
    parse_message,
    parse_rest,
    parse_soap,
    read_message,
    record_info,
)
from tests.archive.builder import START, container, rest_request, rest_response, soap_message
from tests.conftest import REFERENCE_DIR

ARCHIVES = REFERENCE_DIR / "fixtures" / "messagelog" / "archives"
ASICE = REFERENCE_DIR / "fixtures" / "messagelog" / "asice"


def fields(info: object) -> tuple:
    return tuple(getattr(info, name) for name in ("kind", "query_id", "client", "service", "user_id",
                                                  "protocol_version", "issue"))


def test_the_real_7x_record_reads_its_header_not_its_body() -> None:
    # its body holds another xroad:client (a SUBSYSTEM); the header's client is the MEMBER
    with open_archive(ARCHIVES / "message-archive-0.zip") as archive:
        info = record_info(archive.read(archive.containers()[0]))
    assert fields(info) == ("soap", "3a2a743f-56da-4085-b643-79e335341eb3", "CS/GOV/0245437-2",
                            "CS/ORG/2908758-4/Management/clientReg", None, "4.0", None)


def test_the_real_6x_record() -> None:
    with open_archive(ARCHIVES / "logarchive" / "mlog-WITH_LINKINGINFO.zip") as archive:
        info = record_info(archive.read(archive.containers()[0]))
    assert fields(info) == ("soap", "1234567890", "EE/GOV/PERFORMANCETEST_CLIENT",
                            "EE/GOV/PERFORMANCETEST_SERVICE_PROVIDER/xroadGetRandom/v1", "EE37702211234",
                            None, None)


@pytest.mark.parametrize("name", ["asic-verifier-cli/valid-batch-ts.asice",
                                  "asic-verifier-cli/valid-signed-message.asice",
                                  "asic-core/valid-signed-message-with-attachments.asice"])
def test_real_containers_agree_with_lxml(name: str) -> None:
    data = (ASICE / name).read_bytes()
    message = read_message(data)
    assert message is not None
    assert fields(record_info(data)) == fields(_soap_lxml(message))
    assert record_info(data).query_id


VARIANTS = {
    "other prefixes": soap_message("q-1", "CS/GOV/1", "CS/GOV/2/sub/svc", prefixes=("xrd", "iden")),
    "comment in header": soap_message("q-2", "CS/GOV/1", "CS/GOV/2/sub/svc").replace(
        b"<SOAP-ENV:Header>", b"<SOAP-ENV:Header><!-- <xroad:id>fake</xroad:id> -->"),
    "entity in a value": soap_message("q-&amp;-3", "CS/GOV/1", "CS/GOV/2/sub/svc"),
    "CDATA value": soap_message("<![CDATA[q-4]]>", "CS/GOV/1", "CS/GOV/2/sub/svc"),
    "prefix bound twice": soap_message("q-5", "CS/GOV/1", "CS/GOV/2/sub/svc").replace(
        b"<SOAP-ENV:Header>", b'<SOAP-ENV:Header xmlns:xroad="urn:other">'),
    "latin-1": soap_message("q-6", "CS/GOV/1", "CS/GOV/Müller/svc").replace(
        b'encoding="utf-8"', b'encoding="ISO-8859-1"').replace("ü".encode(), b"\xfc"),
    "whitespace": soap_message("q-7", "CS/GOV/1", "CS/GOV/2/sub/svc").replace(b"><", b">\n  <"),
    "padded values": soap_message("q-8", "CS/GOV/1", "CS/GOV/2/sub/svc").replace(b">CS</", b">\n CS \t</"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_unusual_soap_reads_as_lxml_reads_it(variant: str) -> None:
    message = VARIANTS[variant]
    assert fields(parse_soap(message)) == fields(_soap_lxml(message))


def test_unusual_soap_values() -> None:
    assert parse_soap(VARIANTS["entity in a value"]).query_id == "q-&-3"
    assert parse_soap(VARIANTS["CDATA value"]).query_id == "q-4"
    assert parse_soap(VARIANTS["comment in header"]).query_id == "q-2"
    assert parse_soap(VARIANTS["latin-1"]).service == "CS/GOV/Müller/svc"
    assert parse_soap(VARIANTS["other prefixes"]).client == "CS/GOV/1"
    assert parse_soap(VARIANTS["padded values"]).service == "CS/GOV/2/sub/svc"


def test_a_prefix_bound_to_another_namespace_is_not_taken_for_x_road() -> None:
    message = soap_message("q-1", "CS/GOV/1", "CS/GOV/2/sub/svc", prefixes=("xroad", "id")).replace(
        b'xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"',
        b'xmlns:xroad="urn:not-x-road" xmlns:x="http://x-road.eu/xsd/xroad.xsd"')
    assert fields(parse_soap(message))[1:4] == (None, None, None)


def test_non_utf8_bytes_in_a_query_id_are_kept_as_escapes() -> None:
    message = soap_message("qXX-1", "CS/GOV/1", "CS/GOV/2/sub/svc").replace(b"qXX", b"q\xff\xfe")
    info = parse_soap(message)
    assert info.query_id == "q\\xff\\xfe-1" and info.client == "CS/GOV/1"


def test_a_big_body_is_not_inflated_for_the_index() -> None:
    body = "<big>" + "x" * (4 << 20) + "</big>"
    data = container(soap_message("q-big", "CS/GOV/1", "CS/GOV/2/sub/svc", body=body), START)
    head = read_message(data, head_only=True)
    assert head is not None and len(head) < 64 << 10
    assert record_info(data).query_id == "q-big"
    assert len(read_message(data) or b"") > 4 << 20


def test_damaged_and_missing_messages_are_issues_not_crashes() -> None:
    assert parse_message(None).issue == "no_message"
    assert parse_soap(b"<SOAP-ENV:Envelope xmlns:SOAP-ENV='x'><unclosed").issue == "not_xml"
    no_header = (b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
                 b"<SOAP-ENV:Body/></SOAP-ENV:Envelope>")
    assert parse_soap(no_header).issue == "no_header"
    assert parse_message(b"just some text").issue == "not_rest"
    assert record_info(b"not a zip").issue == "no_message"
    assert parse_message(None).issue_message is not None


def test_rest_request() -> None:
    message = rest_request("q-9", "CS/COM/2002/billing", "CS/GOV/5005/reg%2Fistry/getPerson",
                           method="POST", path="/items/1?x=%2F", request_id="req-77")
    info = parse_message(message)
    assert fields(info) == ("rest", "q-9", "CS/COM/2002/billing", "CS/GOV/5005/reg/istry/getPerson", None,
                            None, None)
    assert (info.method, info.request_id) == ("POST", "req-77")
    assert info.summary == "POST /r1/CS/GOV/5005/reg%2Fistry/getPerson/items/1?x=%2F"
    assert ("accept", "application/json") in info.headers


def test_rest_response() -> None:
    info = parse_message(rest_response("q-9", "CS/COM/2002/billing", "CS/GOV/5005/registry/getPerson",
                                       status=404, reason="Not Found"))
    assert fields(info)[:4] == ("rest", "q-9", "CS/COM/2002/billing", "CS/GOV/5005/registry/getPerson")
    assert (info.status, info.reason, info.summary) == (404, "Not Found", "404 Not Found")


def test_rest_with_only_x_road_headers_and_lf_lines() -> None:
    # body logging off: X-Road keeps only the service part of the path and the x-road-* headers
    info = parse_rest(b"GET\n/r1/CS/GOV/5005/registry/getPerson\nx-road-id:q-1\nX-Road-Client:CS/GOV/1\n",
                      full=False)
    assert (info.query_id, info.client, info.service, info.headers) == (
        "q-1", "CS/GOV/1", "CS/GOV/5005/registry/getPerson", ())
