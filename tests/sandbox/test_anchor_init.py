"""The configuration anchor: parsing and hashing, ``/system/anchor*`` (previews, the initial upload,
replacing, viewing, downloading) and ``kapka sandbox anchor``, with X-Road's own test anchors.
``/initialization`` is in ``test_initialization.py``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from backend.errors import KapkaError
from backend.sandbox import cli
from backend.sandbox.anchor import anchor_hash, anchor_xml, parse_anchor
from backend.sandbox.errors import SandboxError
from backend.sandbox.state import SandboxState
from tests.conftest import REFERENCE_DIR
from tests.sandbox.conftest import unthrottled_client
from tests.sandboxes import PIN

ANCHORS = REFERENCE_DIR / "fixtures" / "anchors"
SS_ANCHOR = "ss-admin-internal-configuration-anchor.xml"  # instance CS, 1 source
CS_EXTERNAL_ANCHOR = "cs-inttest-external-configuration-anchor.xml"  # instance CS, external
EE_ANCHOR = "globalconf-configuration-anchor1.xml"  # instance EE, 3 sources, no generatedAt
# SHA-224 of the files, upper-case hex, as X-Road's SystemService.calculateAnchorHexHash computes
# it. The first is X-Road's own expectation (admin-service TestUtils.ANCHOR_HASH for this file);
# the other two are hashlib.sha224 of the unchanged upstream bytes.
EXPECTED_HASHES = {
    SS_ANCHOR: "B37E02C0B310497C05D938A8C4446DFA80722F97123852BA8BF20D57",
    CS_EXTERNAL_ANCHOR: "8B5939D04434C5215BE1CD03E9622A0EB5EDDF817C77EFC00D147F07",
    EE_ANCHOR: "CC2DDB130D5699A57A44B3A177F9784E778C50FD3DD7C0809E405881",
}
OCTETS = {"Content-Type": "application/octet-stream"}
INIT = "/api/v1/initialization"


def fixture_anchor(name: str) -> bytes:
    path = ANCHORS / name
    if not path.exists():
        pytest.skip(f"the X-Road fixture {path} is not available")
    return path.read_bytes()


def error_code(response: httpx.Response) -> str | None:
    return response.json().get("error", {}).get("code")


@pytest.fixture
async def anchored(sandbox_state: SandboxState, api_client: httpx.AsyncClient
                   ) -> AsyncIterator[httpx.AsyncClient]:
    """The fresh sandbox with its own anchor imported over the API."""
    response = await api_client.post("/api/v1/system/anchor", content=sandbox_state.central.anchor,
                                     headers=OCTETS)
    assert response.status_code == 201, response.text
    yield api_client


async def status_of(client: httpx.AsyncClient) -> dict:
    return (await client.get("/api/v1/initialization/status")).json()


# -- parsing and hashing ---------------------------------------------------------------------------


def test_fixture_anchors_parse_and_hash_as_in_x_road() -> None:
    for name, expected in EXPECTED_HASHES.items():
        data = fixture_anchor(name)
        assert anchor_hash(data) == expected == hashlib.sha224(data).hexdigest().upper()
    ss = parse_anchor(fixture_anchor(SS_ANCHOR))
    assert ss.instance_identifier == "CS"
    assert ss.generated_at == dt.datetime(2020, 3, 16, 14, 57, 48, 915000, tzinfo=dt.UTC)
    assert [s.download_url for s in ss.sources] == ["http://cs/internalconf"]
    ee = parse_anchor(fixture_anchor(EE_ANCHOR))
    assert (ee.instance_identifier, ee.generated_at) == ("EE", None)
    assert [len(s.verification_certs) for s in ee.sources] == [2, 1, 1]
    assert ee.sources[0].verification_certs[0][:2] == b"\x30\x82"  # base64 across lines: DER


@pytest.mark.parametrize("content", [
    b"",
    b"not xml at all",
    b'{"instanceIdentifier": "SANDBOX-KG"}',
    b"<configurationAnchor><instanceIdentifier>X</instanceIdentifier></configurationAnchor>",
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a/>',
])
def test_what_is_not_an_anchor(content: bytes) -> None:
    with pytest.raises(SandboxError) as error:
        parse_anchor(content)
    assert (error.value.code, error.value.status) == ("malformed_anchor", 400)


def test_schema_violations_are_malformed(sandbox_state: SandboxState) -> None:
    own = sandbox_state.central.anchor
    parse_anchor(own)
    for before, after in (
        (b"<instanceIdentifier>", b"<instanceIdentifier><x/>"),  # child in a simple type
        (b"<generatedAt>", b"<generatedAt>yesterday"),  # not an xs:dateTime
        (b"<verificationCert>", b"<verificationCert>!"),  # not base64
        (b"<downloadURL>", b'<downloadURL a="1">'),  # attribute the schema does not declare
        (b"    </source>", b"        <extra/>\n    </source>"),  # element not in the sequence
        (b"<source>", b"<source>text"),  # text in a complex type
    ):
        with pytest.raises(SandboxError):
            parse_anchor(own.replace(before, after, 1))
    truncated = own[: len(own) // 2]
    with pytest.raises(SandboxError):
        parse_anchor(truncated)


def test_the_central_server_keeps_its_anchor(sandbox_state: SandboxState) -> None:
    anchor = parse_anchor(sandbox_state.central.anchor)
    assert anchor.instance_identifier == "SANDBOX-KG"
    assert [s.download_url for s in anchor.sources] == ["http://127.0.0.1/sandbox/internalconf"]
    cert = sandbox_state.central.signing_cert
    assert cert.subject.rfc4514_string() == "CN=N/A"
    assert anchor.sources[0].verification_certs[0] == cert.public_bytes(Encoding.DER)
    key_file = sandbox_state.data_dir / "central-server" / "confsign.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    data_dir = sandbox_state.data_dir
    sandbox_state.close()
    again = SandboxState.open(data_dir)
    try:
        assert again.central.anchor == anchor_xml_bytes(data_dir)
    finally:
        again.close()


def anchor_xml_bytes(data_dir: Path) -> bytes:
    return (data_dir / "central-server" / "configuration-anchor.xml").read_bytes()


# -- previews ----------------------------------------------------------------------------------------


async def test_previews_of_the_fixture_anchors(api_client: httpx.AsyncClient) -> None:
    url = "/api/v1/system/anchor/previews?validate_instance=false"
    response = await api_client.post(url, content=fixture_anchor(SS_ANCHOR), headers=OCTETS)
    assert response.status_code == 200  # the spec says 201; SystemApiController answers 200
    assert response.json() == {"hash": EXPECTED_HASHES[SS_ANCHOR],
                               "created_at": "2020-03-16T14:57:48.915Z"}
    response = await api_client.post(url, content=fixture_anchor(CS_EXTERNAL_ANCHOR),
                                     headers=OCTETS)
    assert response.json()["created_at"] == "2021-03-10T07:40:57.411Z"
    # no generatedAt: X-Road's FormatUtils dereferences the null date (500 without a code)
    response = await api_client.post(url, content=fixture_anchor(EE_ANCHOR), headers=OCTETS)
    assert (response.status_code, response.json()) == (500, {"status": 500})
    assert not (await status_of(api_client))["is_anchor_imported"]  # a preview stores nothing


async def test_preview_before_the_initialisation_checks_no_instance(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    own = sandbox_state.central.anchor
    # validate_instance defaults to true, and before the initialisation there is no owner
    response = await api_client.post("/api/v1/system/anchor/previews", content=own)
    assert (response.status_code, error_code(response)) == (500, "malformed_server_conf")
    response = await api_client.post("/api/v1/system/anchor/previews?validate_instance=maybe",
                                     content=own)
    assert error_code(response) == "validation_failure"
    assert list(response.json()["error"]["validation_errors"]) == ["validate_instance"]


async def test_preview_checks_the_owner_instance(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    response = await populated_client.post("/api/v1/system/anchor/previews",
                                           content=fixture_anchor(SS_ANCHOR))
    assert (response.status_code, error_code(response)) == (
        400, "internal_anchor_upload_invalid_instance_id")
    response = await populated_client.post("/api/v1/system/anchor/previews?validate_instance=0",
                                           content=fixture_anchor(SS_ANCHOR))
    assert response.status_code == 200
    own = populated_state.central.anchor
    response = await populated_client.post("/api/v1/system/anchor/previews", content=own)
    assert response.json()["hash"] == anchor_hash(own)


@pytest.mark.parametrize("content", [b"not xml", b"", b"<a/>"])
async def test_preview_of_a_file_that_is_no_anchor(
    api_client: httpx.AsyncClient, content: bytes
) -> None:
    response = await api_client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                     content=content, headers=OCTETS)
    assert (response.status_code, error_code(response)) == (400, "malformed_anchor")


async def test_anchor_uploads_have_the_regular_size_limit(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    """Anchor endpoints are not among X-Road's file-upload endpoints: 50 KB, not 10 MB."""
    huge = b"x" * (50 * 1024 * 1024)
    for method in ("POST", "PUT"):
        response = await api_client.request(method, "/api/v1/system/anchor", content=huge,
                                            headers=OCTETS)
        assert (response.status_code, response.json()) == (413, {"status": 413})

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length
        for _ in range(20):
            yield b" " * 4096

    response = await api_client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                     content=chunks(), headers=OCTETS)
    assert response.status_code == 413
    padded = sandbox_state.central.anchor + b" " * (50 * 1024)
    response = await api_client.post("/api/v1/system/anchor", content=padded, headers=OCTETS)
    assert response.status_code == 413
    assert not (await status_of(api_client))["is_anchor_imported"]


# -- importing and replacing -------------------------------------------------------------------------


async def test_initial_anchor_of_another_instance_is_refused(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    for name in (SS_ANCHOR, CS_EXTERNAL_ANCHOR, EE_ANCHOR):
        response = await api_client.post("/api/v1/system/anchor", content=fixture_anchor(name),
                                         headers=OCTETS)
        assert (response.status_code, error_code(response)) == (
            500, "conf_verification.unreachable"), name
    # the sandbox's source, but a certificate that did not sign its configuration
    foreign = fixture_anchor(SS_ANCHOR).split(b"<verificationCert>")[1].split(b"<")[0]
    own = sandbox_state.central.anchor
    cert = own.split(b"<verificationCert>")[1].split(b"<")[0]
    response = await api_client.post("/api/v1/system/anchor", content=own.replace(cert, foreign))
    assert (response.status_code, error_code(response)) == (
        500, "conf_verification.signature_invalid")
    # the sandbox's source and certificate, but another instance named
    other = own.replace(b">SANDBOX-KG<", b">CS<")
    response = await api_client.post("/api/v1/system/anchor", content=other)
    assert (response.status_code, error_code(response)) == (500, "conf_verification.other")
    response = await api_client.post("/api/v1/system/anchor", content=b"<broken")
    assert (response.status_code, error_code(response)) == (400, "malformed_anchor")
    assert not (await status_of(api_client))["is_anchor_imported"]


async def test_initial_anchor_import_view_and_download(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    for path in ("/api/v1/system/anchor", "/api/v1/system/anchor/download"):
        response = await api_client.get(path)
        assert (response.status_code, error_code(response)) == (500, "anchor_file_not_found")
    own = sandbox_state.central.anchor
    response = await api_client.post("/api/v1/system/anchor", content=own, headers=OCTETS)
    assert response.status_code == 201 and response.content == b""
    assert response.headers["location"] == "https://127.0.0.1:4000/api/system/anchor"
    assert (await status_of(api_client))["is_anchor_imported"]
    generated = parse_anchor(own).generated_at
    assert generated is not None
    expected = {"hash": hashlib.sha224(own).hexdigest().upper(),
                "created_at": generated.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{generated.microsecond // 1000:03d}Z"}
    assert (await api_client.get("/api/v1/system/anchor")).json() == expected
    download = await api_client.get("/api/v1/system/anchor/download")
    assert download.content == own
    assert download.headers["content-type"] == "application/xml"
    assert download.headers["content-disposition"] == (
        'attachment; filename="configuration_anchor_UTC_'
        + generated.strftime("%Y-%m-%d_%H_%M_%S") + '.xml"')
    again = await api_client.post("/api/v1/system/anchor", content=own, headers=OCTETS)
    assert (again.status_code, error_code(again)) == (409, "anchor_already_exists")
    alerts = (await api_client.get("/api/v1/notifications/alerts")).json()
    assert alerts["global_conf_valid"] is True


async def test_replacing_the_anchor(
    sandbox_state: SandboxState, anchored: httpx.AsyncClient
) -> None:
    own = sandbox_state.central.anchor
    response = await anchored.put("/api/v1/system/anchor", content=own, headers=OCTETS)
    assert (response.status_code, error_code(response)) == (500, "malformed_server_conf")
    init = await anchored.post(INIT, json={
        "owner_member_class": "GOV", "owner_member_code": "70000001",
        "security_server_code": "SS1", "software_token_pin": PIN})
    assert init.status_code == 201, init.text
    response = await anchored.put("/api/v1/system/anchor", content=fixture_anchor(SS_ANCHOR))
    assert (response.status_code, error_code(response)) == (
        400, "internal_anchor_upload_invalid_instance_id")
    # a newer anchor of the same instance, as the central server makes after a key change
    cert = sandbox_state.central.signing_cert.public_bytes(Encoding.DER)
    newer = anchor_xml("SANDBOX-KG", dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
                       "http://localhost:4000/sandbox/internalconf", [cert])
    response = await anchored.put("/api/v1/system/anchor", content=newer, headers=OCTETS)
    assert response.status_code == 201, response.text
    assert (await anchored.get("/api/v1/system/anchor")).json() == {
        "hash": anchor_hash(newer), "created_at": "2030-01-02T03:04:05.000Z"}
    assert (await anchored.get("/api/v1/system/anchor/download")).content == newer
    assert (await anchored.post("/api/v1/system/anchor/previews", content=newer)).status_code == 200


async def test_anchor_permissions(sandbox_state: SandboxState) -> None:
    sandbox_state.import_own_anchor()
    own = sandbox_state.central.anchor
    expected = {
        # role: (view, download, preview, initial upload)
        "XROAD_SECURITYSERVER_OBSERVER": (200, 403, 403, 403),
        "XROAD_SECURITY_OFFICER": (200, 200, 200, 403),
        "XROAD_SYSTEM_ADMINISTRATOR": (200, 200, 200, 409),
        "XROAD_REGISTRATION_OFFICER": (403, 403, 403, 403),
        "XROAD_SERVICE_ADMINISTRATOR": (403, 403, 403, 403),
    }
    for role, statuses in expected.items():
        async with unthrottled_client(sandbox_state, [role]) as client:
            got = (
                (await client.get("/api/v1/system/anchor")).status_code,
                (await client.get("/api/v1/system/anchor/download")).status_code,
                (await client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                   content=own)).status_code,
                (await client.post("/api/v1/system/anchor", content=own)).status_code,
            )
        assert got == statuses, role


# -- kapka sandbox anchor ---------------------------------------------------------------------------


async def test_cli_writes_the_anchor_the_sandbox_accepts(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "anchor.xml"
    assert cli.main(["anchor", "-o", str(target), "--data", str(sandbox_state.data_dir)]) == 0
    written = target.read_bytes()
    assert written == sandbox_state.central.anchor
    hash_hex = anchor_hash(written)
    assert ":".join(hash_hex[i:i + 2] for i in range(0, 56, 2)) in capsys.readouterr().out
    response = await api_client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                     content=written)
    assert response.json()["hash"] == hash_hex
    assert (await api_client.post("/api/v1/system/anchor", content=written)).status_code == 201
    assert cli.main(["anchor", "-o", str(target), "--data", str(tmp_path / "none")]) == 1
    with pytest.raises(SystemExit):
        cli.main(["anchor"])  # -o is required


def test_an_existing_sandbox_without_the_anchor_file_gets_it(sandbox_state: SandboxState) -> None:
    """A data directory whose own anchor was imported before anchors were kept as files."""
    sandbox_state.import_own_anchor()
    sandbox_state.anchor_path().unlink()
    data_dir = sandbox_state.data_dir
    sandbox_state.close()
    state = SandboxState.open(data_dir)
    try:
        assert state.anchor_file() == state.central.anchor
    finally:
        state.close()


def test_anchor_xml_is_escaped_and_readable() -> None:
    der = base64.b64decode(b"MAA=")
    data = anchor_xml("A&B", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "http://x/?a=1&b=2", [der])
    anchor = parse_anchor(data)
    assert anchor.instance_identifier == "A&B"
    assert anchor.sources[0].download_url == "http://x/?a=1&b=2"
    assert anchor.sources[0].verification_certs == (der,)
    with pytest.raises(KapkaError):
        parse_anchor(data.replace(b"MAA=", b"MAB="))  # non-zero padding bits: not canonical
