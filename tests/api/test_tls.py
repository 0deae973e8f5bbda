"""TLS against the sandbox over real loopback: trust a file, pin on first use, refuse changes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    FingerprintChanged,
    TlsTrustError,
)
from backend.api.models import ROLES
from backend.api.transport import ApiTransport
from backend.api.trust import (
    ServerCertificate,
    TlsTrust,
    fingerprint_sha256,
    normalise_fingerprint,
    probe_server_certificate,
)
from backend.sandbox.server import SandboxInfo, SandboxServer
from backend.sandbox.state import SandboxState

pytestmark = pytest.mark.tls


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxInfo, SandboxInfo, str]]:
    first_dir = tmp_path_factory.mktemp("sandbox-a")
    state = SandboxState.open(first_dir, admin_password="pw-a")
    _key_id, key = state.create_api_key(list(ROLES))
    state.close()
    first = SandboxServer(first_dir, admin_password="pw-a")
    second = SandboxServer(tmp_path_factory.mktemp("sandbox-b"), admin_password="pw-b")
    try:
        yield first.start(), second.start(), key
    finally:
        first.stop()
        second.stop()


def client_for(info: SandboxInfo, trust: TlsTrust, key: str) -> SecurityServerClient:
    return SecurityServerClient(ApiTransport(info.base_url, api_key=Secret(key), trust=trust,
                                             max_attempts=1))


async def test_trusting_the_servers_certificate_file(servers) -> None:
    info, _other, key = servers
    async with client_for(info, TlsTrust(info.certificate_path), key).transport as transport:
        version = await SecurityServerClient(transport).version()
    assert version.version.count(".") == 2


async def test_trust_on_first_use_pins_the_presented_certificate(servers, tmp_path: Path) -> None:
    info, _other, key = servers
    presented = await probe_server_certificate(info.base_url)
    assert isinstance(presented, ServerCertificate)
    assert presented.der == _der_of(info.certificate_path)
    pinned_file = tmp_path / "pinned.pem"
    pinned_file.write_text(presented.pem)
    trust = TlsTrust(pinned_file, fingerprint=presented.fingerprint)
    client = client_for(info, trust, key)
    try:
        assert (await client.node_type()) in {"STANDALONE", "PRIMARY", "SECONDARY"}
    finally:
        await client.aclose()


async def test_a_changed_certificate_is_refused_with_both_fingerprints(servers, tmp_path: Path) -> None:
    info, other, key = servers
    # the profile pinned server B's certificate, but this URL now presents server A's
    pinned = await probe_server_certificate(other.base_url)
    pinned_file = tmp_path / "pinned.pem"
    pinned_file.write_text(pinned.pem)
    client = client_for(info, TlsTrust(pinned_file, fingerprint=pinned.fingerprint), key)
    try:
        with pytest.raises(FingerprintChanged) as caught:
            await client.version()
    finally:
        await client.aclose()
    presented = fingerprint_sha256(_der_of(info.certificate_path))
    assert caught.value.expected == pinned.fingerprint
    assert caught.value.presented == presented
    assert pinned.fingerprint in caught.value.message and presented in caught.value.message


async def test_without_trust_the_self_signed_certificate_is_refused(servers) -> None:
    info, _other, key = servers
    client = SecurityServerClient(ApiTransport(info.base_url, api_key=Secret(key), max_attempts=1))
    try:
        with pytest.raises(TlsTrustError) as caught:
            await client.version()
    finally:
        await client.aclose()
    assert "no credentials" in caught.value.message


async def test_a_wrong_api_key_over_tls_is_a_clear_401(servers) -> None:
    info, _other, _key = servers
    client = client_for(info, TlsTrust(info.certificate_path), "not-a-key")
    try:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.tokens()
    finally:
        await client.aclose()
    assert "API key" in caught.value.message


async def test_a_server_that_is_down_is_a_clear_message() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = ApiTransport(f"https://127.0.0.1:{port}/api/v1", api_key=Secret("k"),
                             max_attempts=2, backoff=0.0)
    async with transport:
        with pytest.raises(ConnectionFailed) as caught:
            await SecurityServerClient(transport).version()
        with pytest.raises(ConnectionFailed):
            await probe_server_certificate(transport.base_url, timeout=2)
    assert f"127.0.0.1:{port}" in caught.value.message


def test_fingerprints_are_accepted_in_the_usual_spellings() -> None:
    canonical = ":".join(["AB"] * 32)
    assert normalise_fingerprint("ab" * 32) == canonical
    assert normalise_fingerprint("SHA256 Fingerprint=" + canonical) == canonical
    with pytest.raises(ValueError):
        normalise_fingerprint("AB:CD")


def _der_of(pem_path: Path) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(pem_path.read_bytes()).public_bytes(Encoding.DER)
