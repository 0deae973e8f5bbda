"""The import check against the sandbox in-process: it passes what X-Road imports, refuses what
X-Road refuses, and sends nothing but reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.errors import ApiError
from backend.api.models import ROLES
from backend.api.transport import ApiTransport
from backend.api.writes import WriteEvent
from backend.pki.certfile import read_certificate
from backend.pki.importcheck import CertificateRejected, check_certificate_for_import
from backend.sandbox.app import create_app
from backend.sandbox.ca import SandboxCA
from backend.sandbox.pki import BOTH, NEITHER, SIGNING, issue_certificate
from backend.sandbox.state import SandboxState
from tests.pki.pkitools import REFERENCE_DIR, issue, make_ca, pem
from tests.sandboxes import OWNER_ID

BASE = "https://127.0.0.1:4000/api/v1"
FIXTURES = REFERENCE_DIR / "fixtures" / "certs"


@dataclass
class Recorder:
    """Every request the client sends, and every write the transport reports."""

    methods: list[str] = field(default_factory=list)
    writes: list[WriteEvent] = field(default_factory=list)

    def record(self, event: WriteEvent) -> None:
        self.writes.append(event)


class RecordingTransport(httpx.ASGITransport):
    def __init__(self, recorder: Recorder, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.methods.append(request.method)
        return await super().handle_async_request(request)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(populated_state: SandboxState,
                 recorder: Recorder) -> AsyncIterator[SecurityServerClient]:
    key = populated_state.create_api_key(list(ROLES))[1]
    transport = ApiTransport(
        BASE, api_key=Secret(key), observer=recorder,
        http_transport=RecordingTransport(recorder, app=create_app(populated_state)))
    made = SecurityServerClient(transport)
    yield made
    await made.aclose()


@pytest.fixture
def ca(populated_state: SandboxState) -> Iterator[SandboxCA]:
    opened = SandboxCA.open(populated_state.data_dir)
    yield opened
    opened.close()


def waiting_csr(state: SandboxState, usage: str, label: str) -> tuple[str, str, bytes]:
    key_id = state.generate_key(label)
    csr_id = state.create_csr(key_id, usage, OWNER_ID if usage == "SIGNING" else None)
    return key_id, csr_id, state.csr(csr_id)["der"]


def signed(ca: SandboxCA, csr: bytes, **kwargs: object) -> bytes:
    return ca.sign(csr, **kwargs).public_bytes(serialization.Encoding.PEM)  # type: ignore[arg-type]


async def refused(client: SecurityServerClient, data: bytes, **kwargs: object) -> str:
    with pytest.raises(CertificateRejected) as caught:
        await check_certificate_for_import(client, data, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


async def x_road_refuses(client: SecurityServerClient, data: bytes) -> None:
    with pytest.raises(ApiError):
        await client.certificates.import_file(data)


async def test_a_certificate_for_a_waiting_authentication_key_passes_and_imports(
        client, populated_state, ca, recorder) -> None:
    key_id, csr_id, csr = waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    data = signed(ca, csr)
    checked = await check_certificate_for_import(client, data)
    assert (checked.key_id, checked.csr_id, checked.usage, checked.member_id) == \
        (key_id, csr_id, "AUTHENTICATION", None)
    authorities = await client.keys.certificate_authorities()
    assert checked.ca_name in {authority.name for authority in authorities}
    assert set(recorder.methods) == {"GET"} and recorder.writes == []
    imported = await client.certificates.import_file(checked.certificate.der)
    assert imported.certificate_details.hash == checked.certificate.hash
    assert imported.status == "SAVED"


async def test_a_signing_certificate_names_the_member(client, populated_state, ca) -> None:
    key_id, csr_id, csr = waiting_csr(populated_state, "SIGNING", "new-sign")
    checked = await check_certificate_for_import(client, signed(ca, csr))
    assert (checked.key_id, checked.csr_id, checked.usage, checked.member_id) == \
        (key_id, csr_id, "SIGNING", OWNER_ID)
    assert (await client.certificates.import_file(checked.certificate.der)).status == \
        "REGISTERED"


async def test_fixtures_and_unrelated_keys_are_refused_and_nothing_is_sent(
        client, populated_state, recorder) -> None:
    waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    unrelated = issue(make_ca(), ec.generate_private_key(ec.SECP256R1()).public_key(),
                      not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    cases = {
        "google-cert.pem": "no_key_usage",
        "google-cert.der": "no_key_usage",
        "validchain.crt": "no_key_usage",
        "invalidchain.crt": "unrelated_bundle",
    }
    for name, reason in cases.items():
        assert await refused(client, (FIXTURES / name).read_bytes(), source=name) == reason
    assert await refused(client, pem(unrelated)) == "no_matching_key"
    assert set(recorder.methods) <= {"GET"} and recorder.writes == []
    await x_road_refuses(client, pem(unrelated))  # and X-Road agrees


@pytest.mark.parametrize(("usage", "reason"), [(SIGNING, "wrong_usage"),
                                               (BOTH, "both_usages"),
                                               (NEITHER, "no_usage")])
async def test_usages_the_server_refuses_too(client, populated_state, ca, usage,
                                             reason) -> None:
    _key, _csr, csr = waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    data = signed(ca, csr, usage=usage)
    assert await refused(client, data) == reason
    await x_road_refuses(client, data)


async def test_validity_is_checked_with_the_dates(client, populated_state, ca) -> None:
    _key, _csr, csr = waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    data = signed(ca, csr, not_before=later)
    assert await refused(client, data) == "not_yet_valid"
    cert = read_certificate(data)
    assert await refused(client, data, now=cert.not_after + dt.timedelta(days=1)) == "expired"


async def test_already_imported_and_a_renewal_with_the_same_key(
        client, populated_state, populated_ids, ca) -> None:
    existing = populated_state.certificate(populated_ids["auth_hash"])["der"]
    assert await refused(client, existing) == "already_imported"
    await x_road_refuses(client, existing)
    # the CA certifies the same key again: the key is found through its certificate
    public_key = x509.load_der_x509_certificate(existing).public_key()
    issuer = ca.issuer(None)
    renewed = issue_certificate(
        issuer.ca, public_key, x509.load_der_x509_certificate(existing).subject,
        "AUTHENTICATION", not_before=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=400),
        ocsp_url="https://127.0.0.1:4000/sandbox/ocsp")
    checked = await check_certificate_for_import(client, pem(renewed))
    assert checked.key_id == populated_ids["auth_key"] and checked.csr_id is None


async def test_a_certificate_from_an_unapproved_ca(client, populated_state) -> None:
    _key, _csr, csr = waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    request = x509.load_der_x509_csr(csr)
    stranger = issue(make_ca("Stranger CA"), request.public_key(),
                     not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert await refused(client, pem(stranger)) == "unknown_ca"
    await x_road_refuses(client, pem(stranger))


async def test_a_logged_out_token_keeps_its_csrs(client, populated_state, ca) -> None:
    _key, _csr, csr = waiting_csr(populated_state, "AUTHENTICATION", "new-auth")
    data = signed(ca, csr)
    populated_state.logout_token()
    assert await refused(client, data) == "cannot_compare"
