"""The WSDL and OpenAPI readers, the URL checks, the description download and the TLS check,
against X-Road's own test files (``fixtures/wsdl``, ``fixtures/openapi``) and generated ones."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from backend.sandbox.servicedesc import fetch as fetch_module
from backend.sandbox.servicedesc import tlsprobe
from backend.sandbox.servicedesc.fetch import fetch, fetch_sync
from backend.sandbox.servicedesc.openapi import (
    OpenApiParsingError,
    Operation,
    UnsupportedOpenApiVersion,
    parse_openapi,
)
from backend.sandbox.servicedesc.urls import is_https, is_valid_url
from backend.sandbox.servicedesc.wsdl import WsdlError, parse_wsdl
from tests.fixture_server import FIXTURES_DIR, DescriptionServer
from tests.sandbox.services_support import self_signed, tls_server, wsdl_document

URL = "http://127.0.0.1:8080/descriptions/service.yaml"


def fixture(name: str) -> bytes:
    return (FIXTURES_DIR / name).read_bytes()


# -- WSDL --------------------------------------------------------------------------------------

def test_valid_wsdl_has_three_versioned_services_with_titles_and_url() -> None:
    result = parse_wsdl(fixture("wsdl/valid.wsdl"), URL)
    assert {(s.name, s.version, s.full_code) for s in result.services} == {
        ("xroadGetRandom", "v1", "xroadGetRandom.v1"),
        ("xroadSmallAttachment", "v1", "xroadSmallAttachment.v1"),
        ("xroadBigAttachment", "v1", "xroadBigAttachment.v1"),
    }
    titles = {s.name: s.title for s in result.services}
    assert titles["xroadGetRandom"] == "Suvaline sisend document/literal stiilis"
    assert titles["xroadSmallAttachment"] == "Väikese manusega päring document/literal stiilis"
    assert {s.url for s in result.services} == {"http://iks2-testhost:8080/testservice-0.1/xroad"}
    assert result.warnings == []


def test_getrandom_and_invalid_service_url_fixtures() -> None:
    [service] = parse_wsdl(fixture("wsdl/valid-getrandom.wsdl"), URL).services
    assert (service.name, service.version) == ("xroadGetRandom", "v1")
    assert service.url == "http://iks2-testhost:8080/testservice-0.1/xroad"
    [sftp] = parse_wsdl(fixture("wsdl/invalid-serviceurl.wsdl"), URL).services
    assert sftp.url == "sftp://iks2-testhost:8080/testservice-0.1/xroad"


def test_invalid_wsdl_fixture_is_refused_with_a_reason() -> None:
    with pytest.raises(WsdlError) as error:
        parse_wsdl(fixture("wsdl/invalid.wsdl"), URL)
    assert URL in error.value.message and "line 1" in error.value.message


def test_xml_that_is_not_a_wsdl_is_refused() -> None:
    with pytest.raises(WsdlError, match="Expected element"):
        parse_wsdl(b"<definitions xmlns='urn:other'/>", URL)


def test_unversioned_soap12_and_non_http_bindings() -> None:
    soap12 = parse_wsdl(wsdl_document([("getPerson", None), ("listPeople", "v2")], soap12=True),
                        URL)
    assert {(s.name, s.version, s.full_code) for s in soap12.services} == {
        ("getPerson", None, "getPerson"), ("listPeople", "v2", "listPeople.v2")}
    smtp = wsdl_document([("mailIt", "v1")]).replace(b"schemas.xmlsoap.org/soap/http",
                                                     b"schemas.xmlsoap.org/soap/smtp")
    assert parse_wsdl(smtp, URL).services == []


def test_same_operation_in_two_versions_gives_two_services() -> None:
    document = wsdl_document([("getPerson", "v1")]).replace(
        b"</wsdl:binding>", b'</wsdl:binding><wsdl:binding name="b2" type="tns:ports">'
        b'<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
        b'<wsdl:operation name="getPerson"><xrd:version>v2</xrd:version></wsdl:operation>'
        b'</wsdl:binding>').replace(
        b"</wsdl:service>", b'<wsdl:port binding="tns:b2" name="p2"><soap:address '
        b'location="http://other/"/></wsdl:port></wsdl:service>')
    result = parse_wsdl(document, URL)
    assert sorted((s.full_code, s.url) for s in result.services) == [
        ("getPerson.v1", "http://is.example.org:8080/soap"), ("getPerson.v2", "http://other/")]


def test_service_code_with_a_colon_is_read_as_written() -> None:
    [service] = parse_wsdl(wsdl_document([("get:Person", "v1")]), URL).services
    assert service.name == "get:Person"  # the sandbox refuses it: invalid_wsdl_service_identifier


def test_rpc_style_and_encoded_bodies_are_validation_warnings() -> None:
    result = parse_wsdl(wsdl_document([("getPerson", "v1")], style="rpc", use="encoded"), URL)
    assert [s.name for s in result.services] == ["getPerson"]
    assert len(result.warnings) == 3
    assert "rpc style" in result.warnings[0]
    assert all("encoded" in w for w in result.warnings[1:])


def test_entities_and_external_documents_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = wsdl_document([("getPerson", "v1")]).replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
    ).replace(b"Title of getPerson", b"&x;")
    [service] = parse_wsdl(document, URL).services
    assert "TOP-SECRET" not in (service.title or "")


def test_five_hundred_services() -> None:
    result = parse_wsdl(wsdl_document([(f"service{i:03}", "v1") for i in range(500)]), URL)
    assert len(result.services) == 500


# -- OpenAPI -----------------------------------------------------------------------------------

def test_openapi_302_fixture() -> None:
    result = parse_openapi(fixture("openapi/valid.yaml"), URL)
    assert result.base_url == "https://example.org/api"
    assert result.operations == [Operation("GET", "/test"), Operation("POST", "/test")]
    assert result.warnings == []


def test_openapi_310_fixture_has_three_operations_without_warnings() -> None:
    result = parse_openapi(fixture("openapi/v310.yaml"), URL)
    assert result.base_url == "https://example.org/api"
    assert len(result.operations) == 3
    assert result.warnings == []


def test_openapi_311_fixture_is_unsupported() -> None:
    with pytest.raises(UnsupportedOpenApiVersion) as error:
        parse_openapi(fixture("openapi/invalid_version.yaml"), URL)
    assert error.value.version == "3.1.1"
    assert str(error.value) == "OpenAPI version 3.1.1 not supported"


def test_json_description_and_path_templates() -> None:
    document = {"openapi": "3.0.1", "info": {"title": "t", "version": "1"},
                "servers": [{"url": "/api/v2"}],
                "paths": {"/people/{id}/addresses/{kind}": {
                    "parameters": [{"name": "id", "in": "path", "required": True},
                                   {"name": "kind", "in": "path", "required": True}],
                    "get": {"responses": {"200": {"description": "ok"}}},
                    "delete": {"responses": {"204": {"description": "gone"}}}}}}
    result = parse_openapi(json.dumps(document).encode(), URL)
    assert result.base_url == "http://127.0.0.1:8080/api/v2"
    assert result.operations == [Operation("GET", "/people/*/addresses/*"),
                                 Operation("DELETE", "/people/*/addresses/*")]
    assert result.warnings == []


def test_server_url_with_a_variable_is_kept_and_no_server_means_the_host_root() -> None:
    variable = b"openapi: 3.0.0\ninfo: {title: t, version: '1'}\nservers:\n" \
               b"  - url: 'https://{host}/r1'\npaths: {}\n"
    assert parse_openapi(variable, URL).base_url == "https://{host}/r1"
    bare = b"openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    assert parse_openapi(bare, URL).base_url == "http://127.0.0.1:8080/"


def test_validation_warnings_have_swagger_parsers_wording() -> None:
    document = (b"openapi: 3.0.0\ninfo: {title: t}\npaths:\n"
                b"  /a/{instanceId}:\n    get:\n      operationId: one\n"
                b"    post:\n      operationId: one\n      responses: {'200': {description: x}}\n")
    assert parse_openapi(document, URL).warnings == [
        "attribute info.version is missing",
        "attribute paths.'/a/{instanceId}'(get).responses is missing",
        "attribute paths.'/a/{instanceId}'(post).operationId is repeated",
        "paths.'/a/{instanceId}'. Declared path parameter instanceId needs to be defined as a "
        "path parameter in path or operation level",
    ]


def test_referenced_path_parameters_count_as_declared() -> None:
    document = (b"openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n"
                b"    get:\n      parameters: [{$ref: '#/components/parameters/id'}]\n"
                b"      responses: {'200': {description: x}}\ncomponents:\n  parameters:\n"
                b"    id: {name: id, in: path, required: true}\n")
    assert parse_openapi(document, URL).warnings == []


@pytest.mark.parametrize("document", [b"openapi: [unclosed", b"swagger: '2.0'\n", b"- a list\n",
                                      b"openapi: true\n"])
def test_unreadable_descriptions_are_parsing_errors(document: bytes) -> None:
    with pytest.raises(OpenApiParsingError) as error:
        parse_openapi(document, URL)
    assert error.value.message == f"Unable to parse OpenAPI description from {URL}"


@pytest.mark.parametrize("version", ["3.0.0", "3.0.3", "3.1.0"])
def test_supported_versions(version: str) -> None:
    parse_openapi(f"openapi: {version}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n"
                  .encode(), URL)


@pytest.mark.parametrize("version", ["3.1.1", "3.2.0", "2.0"])
def test_unsupported_versions(version: str) -> None:
    with pytest.raises(UnsupportedOpenApiVersion):
        parse_openapi(f"openapi: '{version}'\npaths: {{}}\n".encode(), URL)


# -- URLs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://iks2-testhost:8080/testservice-0.1/xroad",
                                 "https://127.0.0.1/x.wsdl", "http://[::1]:8080/",
                                 "https://api.example.org/v1?x=1"])
def test_valid_urls(url: str) -> None:
    assert is_valid_url(url)


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://host/x", "sftp://h/x",
                                 "http://", "http:///path", "http://host:99999/", "not a url",
                                 "http://bad host/", "http://under_score/"])
def test_malformed_urls(url: str) -> None:
    assert not is_valid_url(url)


def test_https_is_decided_by_the_prefix() -> None:
    assert is_https("https://x") and not is_https("http://x") and not is_https(None)


# -- downloading -------------------------------------------------------------------------------

async def test_fetch_reads_the_document(description_server: DescriptionServer) -> None:
    fetched = await fetch(description_server.url("wsdl/valid.wsdl"))
    assert fetched.ok and fetched.content == fixture("wsdl/valid.wsdl")
    assert fetch_sync(description_server.url("openapi/v310.yaml")).content == \
        fixture("openapi/v310.yaml")


async def test_fetch_failures_say_why(description_server: DescriptionServer) -> None:
    missing = await fetch(description_server.url("nothing/here.wsdl"))
    assert not missing.ok and missing.failure == description_server.url("nothing/here.wsdl")
    broken = await fetch(description_server.fail("broken.yaml", 500))
    assert broken.failure == f"Server returned HTTP response code: 500 for URL: {broken.url}"
    refused = await fetch(description_server.unreachable_url("x.wsdl"))
    assert refused.failure == "Connection refused" and not refused.unknown_host


async def test_fetch_refuses_documents_over_the_limit(
    description_server: DescriptionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "MAX_DESCRIPTION_SIZE", 1000)
    url = description_server.url("wsdl/valid.wsdl")
    for fetched in (await fetch(url), fetch_sync(url)):
        assert fetched.too_large and fetched.content is None
        assert fetched.failure == "Size exceeds 1000 bytes."


async def test_fetch_gives_up_on_a_slow_server(
    description_server: DescriptionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "TOTAL_TIMEOUT", 0.2)
    url = description_server.delay("wsdl/valid.wsdl", 1.0)
    slow = await fetch(url)
    assert (slow.content, slow.failure) == (None, "Read timed out")


def test_unknown_host_is_recognised() -> None:
    error = OSError("wrapped")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    failed = fetch_module._failure("http://nowhere.invalid/x", error)
    assert failed.unknown_host and failed.failure == "Unknown host: nowhere.invalid"


# -- the TLS check -----------------------------------------------------------------------------

def test_tls_check(tmp_path: Path, description_server: DescriptionServer) -> None:
    cert, key, der = self_signed(tmp_path)
    assert tlsprobe.probe(description_server.unreachable_url().replace("http:", "https:"),
                          [der]) == tlsprobe.SSL_ERROR
    plain = description_server.base_url.replace("http:", "https:")  # speaks HTTP, not TLS
    assert tlsprobe.probe(plain, [der], timeout=5) == tlsprobe.SSL_ERROR
    with tls_server(cert, key) as port:
        url = f"https://127.0.0.1:{port}/service"
        assert tlsprobe.probe(url, [der]) is None
        assert tlsprobe.probe(url, []) == tlsprobe.HANDSHAKE_ERROR
