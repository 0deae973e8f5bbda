"""The import check's rules, each on its own, against a stand-in for the admin API client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.api.errors import Conflict
from backend.api.models import (
    CertificateAuthority,
    CertificateDetails,
    Key,
    Token,
    TokenCertificate,
    TokenCertificateSigningRequest,
)
from backend.api.transport import Download
from backend.pki.certfile import CertificateFileError, read_certificate
from backend.pki.decode import REASONS as FILE_REASONS
from backend.pki.importcheck import REASONS, CertificateRejected, check_certificate_for_import
from backend.pki.names import java_dn
from tests.pki.pkitools import NOW, Issuer, der, issue, make_ca, pem


def csr_for(key: ec.EllipticCurvePrivateKey, cn: str = "SS1") -> bytes:
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def authority(ca: Issuer, name: str = "Test CA", **kwargs: Any) -> CertificateAuthority:
    return CertificateAuthority(name=name, subject_distinguished_name=java_dn(ca.cert.subject),
                                issuer_distinguished_name=java_dn(ca.cert.issuer),
                                ocsp_response="OCSP_RESPONSE_GOOD",
                                not_after=ca.cert.not_valid_after_utc, **kwargs)


def token_certificate(cert: x509.Certificate, status: str = "REGISTERED") -> TokenCertificate:
    described = read_certificate(der(cert))
    public = cert.public_key()
    point = public.public_bytes(serialization.Encoding.X962,
                                serialization.PublicFormat.UncompressedPoint).hex() \
        if isinstance(public, ec.EllipticCurvePublicKey) else None
    details = CertificateDetails(
        issuer_distinguished_name=described.issuer, issuer_common_name="Test CA",
        subject_distinguished_name=described.subject, subject_common_name="SS1",
        not_before=described.not_before, not_after=described.not_after,
        serial=described.serial, version=3, signature_algorithm="SHA256withECDSA",
        signature="00", public_key_algorithm="EC", ec_public_key_point=point,
        hash=described.hash, key_usages=list(described.key_usages or ()))
    return TokenCertificate(certificate_details=details, status=status, active=True)


@dataclass
class FakeKeys:
    tokens_: list[Token]
    csrs: dict[tuple[str, str], bytes]
    authorities: list[CertificateAuthority]
    downloads: list[tuple[str, str]] = field(default_factory=list)

    async def tokens(self) -> list[Token]:
        return self.tokens_

    async def download_csr(self, key_id: str, csr_id: str, csr_format: str = "PEM") -> Download:
        self.downloads.append((key_id, csr_id))
        if (key_id, csr_id) not in self.csrs:
            raise Conflict("Generating a CSR is not possible now.", "Conflict", status=409,
                           code="action_not_possible")
        return Download(self.csrs[(key_id, csr_id)], "application/octet-stream", None)

    async def certificate_authorities(self, key_usage_type: str | None = None
                                      ) -> list[CertificateAuthority]:
        return [ca for ca in self.authorities if ca.top_ca]


@dataclass
class FakeTransport:
    keys: FakeKeys

    async def get_model(self, path: str, model: Any, *, params: Any = None) -> Any:
        assert path == "/certificate-authorities" and params == {"include_intermediate_cas":
                                                                 "true"}
        return self.keys.authorities


class FakeClient:
    def __init__(self, keys: list[Key], csrs: dict[tuple[str, str], bytes],
                 authorities: list[CertificateAuthority]) -> None:
        token = Token(id="0", name="softToken-0", type="SOFTWARE", status="OK", keys=keys,
                      logged_in=True, available=True)
        self.keys = FakeKeys([token], csrs, authorities)
        self.transport = FakeTransport(self.keys)


@pytest.fixture
def waiting() -> dict[str, Any]:
    """An authentication key and a signing key, each with a CSR; the CA approves both."""
    ca = make_ca()
    auth_key = ec.generate_private_key(ec.SECP256R1())
    sign_key = ec.generate_private_key(ec.SECP256R1())
    keys = [
        Key(id="A" * 40, name="auth", label="auth", usage="AUTHENTICATION",
            certificate_signing_requests=[TokenCertificateSigningRequest(id="C1")]),
        Key(id="B" * 40, name="sign", label="sign", usage="SIGNING",
            certificate_signing_requests=[
                TokenCertificateSigningRequest(id="C2", owner_id="KG:GOV:1"),
                TokenCertificateSigningRequest(id="C3", owner_id="KG:GOV:2")]),
    ]
    csrs = {("A" * 40, "C1"): csr_for(auth_key), ("B" * 40, "C2"): csr_for(sign_key, "one"),
            ("B" * 40, "C3"): csr_for(sign_key, "two")}
    client = FakeClient(keys, csrs, [authority(ca)])
    return {"ca": ca, "auth": auth_key, "sign": sign_key, "client": client, "keys": keys}


async def rejected(client: Any, data: bytes, **kwargs: Any) -> CertificateRejected:
    with pytest.raises(CertificateRejected) as caught:
        await check_certificate_for_import(client, data, now=kwargs.pop("now", NOW), **kwargs)
    assert caught.value.exit_code == 3 and caught.value.message
    assert caught.value.reason in REASONS + FILE_REASONS
    return caught.value


async def test_an_authentication_certificate_for_the_waiting_key(waiting) -> None:
    cert = issue(waiting["ca"], waiting["auth"].public_key())
    checked = await check_certificate_for_import(waiting["client"], pem(cert), now=NOW)
    assert (checked.key_id, checked.usage, checked.csr_id, checked.member_id, checked.ca_name) \
        == ("A" * 40, "AUTHENTICATION", "C1", None, "Test CA")
    assert checked.certificate.hash == read_certificate(der(cert)).hash
    assert checked.to_dict()["key_label"] == "auth"


async def test_a_signing_certificate_picks_the_csr_with_its_subject(waiting) -> None:
    cert = issue(waiting["ca"], waiting["sign"].public_key(), usages=("content_commitment",),
                 subject=x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                                    x509.NameAttribute(NameOID.COMMON_NAME, "two")]))
    checked = await check_certificate_for_import(waiting["client"], der(cert), now=NOW)
    assert (checked.key_id, checked.usage, checked.csr_id, checked.member_id) == \
        ("B" * 40, "SIGNING", "C3", "KG:GOV:2")


async def test_a_certificate_for_an_unrelated_key(waiting) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    error = await rejected(waiting["client"], pem(issue(waiting["ca"], other.public_key())))
    assert error.reason == "no_matching_key" and "3 CSRs" in error.message


async def test_no_csr_at_all(waiting) -> None:
    client = FakeClient([], {}, [authority(waiting["ca"])])
    error = await rejected(client, pem(issue(waiting["ca"], waiting["auth"].public_key())))
    assert error.reason == "no_matching_key" and "no CSR" in error.message


@pytest.mark.parametrize(("key", "usages", "eku"), [
    ("auth", ("content_commitment",), ()),
    ("sign", ("digital_signature", "key_encipherment"), ()),
    ("sign", ("key_agreement",), (ExtendedKeyUsageOID.CLIENT_AUTH,)),
])
async def test_the_wrong_usage_for_the_key(waiting, key, usages, eku) -> None:
    cert = issue(waiting["ca"], waiting[key].public_key(), usages=usages, eku=eku)
    error = await rejected(waiting["client"], pem(cert))
    assert error.reason == "wrong_usage"
    assert ("signing key" if key == "sign" else "authentication key") in error.message


@pytest.mark.parametrize(("usages", "reason"), [
    (None, "no_key_usage"),
    (("digital_signature", "content_commitment"), "both_usages"),
    (("key_agreement",), "no_usage"),
])
async def test_usages_x_road_refuses_for_any_key(waiting, usages, reason) -> None:
    cert = issue(waiting["ca"], waiting["auth"].public_key(), usages=usages)
    assert (await rejected(waiting["client"], pem(cert))).reason == reason


async def test_expired_and_not_yet_valid_say_the_dates(waiting) -> None:
    cert = issue(waiting["ca"], waiting["auth"].public_key(), days=30)
    later = cert.not_valid_after_utc + dt.timedelta(days=3)
    error = await rejected(waiting["client"], pem(cert), now=later)
    assert error.reason == "expired" and "3 days ago" in error.message
    assert cert.not_valid_after_utc.strftime("%Y-%m-%d") in error.message
    future = issue(waiting["ca"], waiting["auth"].public_key(),
                   not_before=NOW + dt.timedelta(days=2))
    error = await rejected(waiting["client"], pem(future))
    assert error.reason == "not_yet_valid"
    assert future.not_valid_before_utc.strftime("%Y-%m-%d %H:%M") in error.message


async def test_issuer_must_be_an_approved_ca(waiting) -> None:
    stranger = make_ca("Stranger CA")
    error = await rejected(waiting["client"],
                           pem(issue(stranger, waiting["auth"].public_key())))
    assert error.reason == "unknown_ca" and "Stranger CA" in error.message
    assert "Test CA" in error.message  # the approved ones are named


async def test_an_intermediate_ca_is_found_on_the_second_ask(waiting) -> None:
    intermediate = make_ca("Intermediate CA")
    waiting["client"].keys.authorities.append(
        authority(intermediate, "Intermediate", top_ca=False))
    checked = await check_certificate_for_import(
        waiting["client"], pem(issue(intermediate, waiting["auth"].public_key())), now=NOW)
    assert checked.ca_name == "Intermediate"


async def test_authentication_only_ca_cannot_issue_signing_certificates(waiting) -> None:
    waiting["client"].keys.authorities[0] = authority(waiting["ca"], authentication_only=True)
    cert = issue(waiting["ca"], waiting["sign"].public_key(), usages=("content_commitment",))
    assert (await rejected(waiting["client"], pem(cert))).reason == "ca_authentication_only"


async def test_self_signed_and_ca_certificates(waiting) -> None:
    own = Issuer(waiting["auth"], waiting["ca"].cert)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SS1")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(waiting["auth"].public_key()).serial_number(1)
               .not_valid_before(NOW - dt.timedelta(days=1))
               .not_valid_after(NOW + dt.timedelta(days=9))
               .add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                            False, False), critical=True))
    self_signed = builder.sign(own.key, hashes.SHA256())
    assert (await rejected(waiting["client"], pem(self_signed))).reason == "self_signed"
    assert (await rejected(waiting["client"], pem(waiting["ca"].cert))).reason == \
        "ca_certificate"


async def test_a_bundle_whose_issuer_signature_does_not_verify(waiting) -> None:
    cert = issue(waiting["ca"], waiting["auth"].public_key())
    impostor = make_ca()  # same name as the real CA, another key
    assert (await rejected(waiting["client"], pem(cert) + pem(impostor.cert))).reason == \
        "broken_chain"
    good = await check_certificate_for_import(waiting["client"],
                                              pem(cert) + pem(waiting["ca"].cert), now=NOW)
    assert good.key_id == "A" * 40


async def test_already_imported_and_renewal_with_the_same_key(waiting) -> None:
    cert = issue(waiting["ca"], waiting["auth"].public_key())
    key = waiting["keys"][0]
    key.certificates.append(token_certificate(cert))
    key.certificate_signing_requests.clear()
    error = await rejected(waiting["client"], pem(cert))
    assert error.reason == "already_imported" and "auth" in error.message
    renewed = issue(waiting["ca"], waiting["auth"].public_key(), days=700)
    checked = await check_certificate_for_import(waiting["client"], pem(renewed), now=NOW)
    assert checked.key_id == "A" * 40 and checked.csr_id is None


async def test_a_csr_the_server_does_not_hand_out(waiting) -> None:
    del waiting["client"].keys.csrs[("A" * 40, "C1")]
    cert = issue(waiting["ca"], waiting["auth"].public_key())
    error = await rejected(waiting["client"], pem(cert))
    assert error.reason == "cannot_compare" and "logged in" in error.message


async def test_unreadable_data_is_a_rejection_too(waiting) -> None:
    error = await rejected(waiting["client"], b"-----BEGIN CERTIFICATE REQUEST-----\n")
    assert isinstance(error, CertificateFileError) and error.reason == "truncated"
    assert waiting["client"].keys.downloads == []
