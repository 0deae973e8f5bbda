"""Reading certificate and CSR files: what operators bring, and each wrong thing with its reason."""

from __future__ import annotations

import base64
import hashlib
import time
import tracemalloc
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.pki.certfile import (
    MAX_FILE_BYTES,
    CertificateFileError,
    read_certificate,
    read_certificate_file,
    read_csr,
    read_csr_file,
)
from backend.pki.decode import read_limited
from backend.sandbox import certinfo
from tests.pki.pkitools import NOW, REFERENCE_DIR, der, issue, make_ca, pem

FIXTURES = REFERENCE_DIR / "fixtures" / "certs"
GOOGLE_SHA256_PREFIX = "4f4b6a726626f51e"  # SOURCES.md: sha256 of google-cert.der


def reason_of(data: bytes, source: str | None = None) -> str:
    with pytest.raises(CertificateFileError) as caught:
        read_certificate(data, source=source)
    assert caught.value.message and caught.value.title
    return caught.value.reason


# -- the upstream fixtures ---------------------------------------------------------------------

def test_google_certificate_reads_the_same_as_pem_and_der() -> None:
    from_pem = read_certificate_file(FIXTURES / "google-cert.pem")
    from_der = read_certificate_file(FIXTURES / "google-cert.der")
    assert from_pem.encoding == "PEM" and from_der.encoding == "DER"
    assert from_pem.der == from_der.der == (FIXTURES / "google-cert.der").read_bytes()
    assert from_pem.hash == from_der.hash
    assert from_pem.hash == hashlib.sha256(from_der.der).hexdigest().upper()
    assert from_pem.hash.lower().startswith(GOOGLE_SHA256_PREFIX)
    assert len(from_pem.hash) == 64 and ":" not in from_pem.hash
    assert from_pem.subject_common_name == "*.google.com"
    assert from_pem.issuer == "CN=Google Internet Authority G3, O=Google Trust Services, C=US"
    assert from_pem.not_after.year == 2019 and from_pem.days_left(NOW) < 0
    # no key-usage extension, only the extended usage serverAuth: X-Road can use it for nothing
    assert from_pem.key_usages is None and from_pem.extended_key_usages == ("1.3.6.1.5.5.7.3.1",)
    assert not from_pem.signing and not from_pem.authentication and not from_pem.is_ca


def test_the_hash_and_names_are_what_x_road_shows() -> None:
    cert = read_certificate_file(FIXTURES / "google-cert.pem")
    details = certinfo.certificate_details(cert.der)
    assert cert.hash == details["hash"]
    assert cert.subject == details["subject_distinguished_name"]
    assert cert.issuer == details["issuer_distinguished_name"]
    assert cert.serial == details["serial"]


def test_a_valid_chain_file_gives_its_leaf_and_notes_the_issuer() -> None:
    cert = read_certificate_file(FIXTURES / "validchain.crt")
    assert cert.subject_common_name == "subcert.niis.org"
    assert [c.subject.rfc4514_string() for c in cert.chain] == ["CN=5e18422580b8"]
    assert any("5e18422580b8" in note for note in cert.notes)


def test_two_unrelated_certificates_are_refused_with_both_names() -> None:
    with pytest.raises(CertificateFileError) as caught:
        read_certificate_file(FIXTURES / "invalidchain.crt")
    assert caught.value.reason == "unrelated_bundle" and caught.value.exit_code == 3
    assert "CN=5e18422580b8" in caught.value.message and "CN=cs" in caught.value.message


def test_bundles_in_any_order_and_pkcs7(ca, leaf_key, auth_cert) -> None:
    reverse = pem(ca.cert) + pem(auth_cert)
    assert read_certificate(reverse).hash == read_certificate(der(auth_cert)).hash
    duplicated = pem(auth_cert) + b"\n" + pem(auth_cert)
    assert read_certificate(duplicated).chain == ()
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        p7 = pkcs7.serialize_certificates([auth_cert, ca.cert], encoding)
        cert = read_certificate(p7)
        assert cert.certificate == auth_cert and cert.chain == (ca.cert,)


# -- size --------------------------------------------------------------------------------------

def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "huge.pem"
    with big.open("wb") as file:  # sparse: no 50 MB written to disk
        file.truncate(50 * 1024 * 1024)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CertificateFileError) as caught:
            read_certificate_file(big)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "too_large"
    assert "50.0 MB" in caught.value.message and "10.0 MB" in caught.value.message
    assert peak < 1024 * 1024 and time.perf_counter() - started < 1


def test_a_source_without_a_size_is_read_only_up_to_the_limit() -> None:
    with pytest.raises(CertificateFileError) as caught:
        read_limited(Path("/dev/zero"), limit=4096)
    assert caught.value.reason == "too_large"


def test_bytes_over_the_limit_are_refused() -> None:
    assert reason_of(b"0" * (MAX_FILE_BYTES + 1)) == "too_large"


def test_missing_and_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    for path, reason in ((tmp_path / "nope.pem", "not_found"), (tmp_path, "unreadable")):
        with pytest.raises(CertificateFileError) as caught:
            read_certificate_file(path)
        assert caught.value.reason == reason and caught.value.exit_code == 2
        assert str(path) in caught.value.message


# -- wrong content ------------------------------------------------------------------------------

def test_empty_files(tmp_path: Path) -> None:
    assert reason_of(b"") == "empty"
    assert reason_of(b"  \r\n\t\n") == "empty"
    empty = tmp_path / "cert.pem"
    empty.write_bytes(b"")
    with pytest.raises(CertificateFileError, match=r"cert\.pem is empty"):
        read_certificate_file(empty)


def test_truncated_pem_and_der(auth_cert) -> None:
    text = pem(auth_cert)
    without_end = text[: text.index(b"-----END")]
    assert reason_of(without_end) == "truncated"
    lines = text.splitlines(keepends=True)
    shortened = b"".join(lines[:2] + lines[-1:])  # whole base64 lines lost in the middle
    assert reason_of(shortened) == "truncated"
    assert reason_of(der(auth_cert)[:200]) == "truncated"


def test_damaged_pem(auth_cert) -> None:
    text = pem(auth_cert)
    assert reason_of(text.replace(b"\n", b"\n!", 2)) == "damaged"
    assert reason_of(text.replace(b"-----BEGIN CERTIFICATE-----", b"-----BEGIN CERTIFICATE")) \
        == "damaged"


def test_a_csr_instead_of_a_certificate(leaf_key) -> None:
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SS1")]))
           .sign(leaf_key, hashes.SHA256()))
    for data in (csr.public_bytes(serialization.Encoding.PEM),
                 csr.public_bytes(serialization.Encoding.DER)):
        with pytest.raises(CertificateFileError, match="certificate signing request") as caught:
            read_certificate(data)
        assert caught.value.reason == "csr"


@pytest.mark.parametrize("fmt", ["pkcs8", "traditional", "encrypted", "der"])
def test_a_private_key_instead_of_a_certificate(fmt: str, leaf_key) -> None:
    formats = {
        "pkcs8": (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                  serialization.NoEncryption()),
        "traditional": (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                        serialization.NoEncryption()),
        "encrypted": (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                      serialization.BestAvailableEncryption(b"secret-pass")),
        "der": (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()),
    }
    data = leaf_key.private_bytes(*formats[fmt])
    with pytest.raises(CertificateFileError, match="private key") as caught:
        read_certificate(data)
    assert caught.value.reason == "private_key"
    assert "BEGIN" not in caught.value.message  # the key is never echoed


def test_a_certificate_with_its_private_key_is_refused(auth_cert, leaf_key) -> None:
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    assert reason_of(pem(auth_cert) + key_pem) == "private_key"


def test_other_things_that_are_not_certificates(leaf_key, ca) -> None:
    public = leaf_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    assert reason_of(public) == "public_key"
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
           .last_update(NOW).next_update(NOW).sign(ca.key, hashes.SHA256()))
    assert reason_of(crl.public_bytes(serialization.Encoding.PEM)) == "crl"
    assert reason_of(crl.public_bytes(serialization.Encoding.DER)) == "crl"
    assert reason_of(b"Hello, this is the certificate you asked for.\n") == "not_certificate"
    assert reason_of(b"<!DOCTYPE html><html><body>Log in</body></html>") == "html"
    assert reason_of(bytes(range(1, 200))) == "not_certificate"
    assert reason_of(b"\x30\x03\x02\x01\x05") == "not_certificate"  # DER, but an INTEGER only


# -- PEM and DER mixed up ----------------------------------------------------------------------

def test_der_named_pem_and_pem_named_der_are_read_with_a_note(tmp_path: Path, auth_cert) -> None:
    as_pem = tmp_path / "cert.pem"
    as_pem.write_bytes(der(auth_cert))
    as_der = tmp_path / "cert.der"
    as_der.write_bytes(pem(auth_cert))
    first, second = read_certificate_file(as_pem), read_certificate_file(as_der)
    assert first.encoding == "DER" and "named .pem but holds binary DER" in first.notes[0]
    assert second.encoding == "PEM" and "named .der but holds PEM" in second.notes[0]
    assert first.hash == second.hash


def test_base64_without_pem_lines_is_decoded(auth_cert) -> None:
    bare = base64.encodebytes(der(auth_cert))
    cert = read_certificate(bare)
    assert cert.encoding == "base64" and cert.certificate == auth_cert
    assert "without the" in cert.notes[0]
    assert reason_of(base64.b64encode(b"just some words, not DER")) == "not_certificate"


def test_windows_exports_utf16_and_byte_order_mark(auth_cert) -> None:
    text = pem(auth_cert).decode("ascii").replace("\n", "\r\n")
    assert read_certificate(text.encode("utf-16")).certificate == auth_cert
    assert read_certificate(b"\xef\xbb\xbf" + pem(auth_cert)).certificate == auth_cert


# -- what the description says ------------------------------------------------------------------

def test_key_usages_and_x_road_roles(ca, leaf_key) -> None:
    public = leaf_key.public_key()
    auth = read_certificate(der(issue(ca, public)))
    assert auth.key_usages == ("DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT")
    assert auth.authentication and not auth.signing
    sign = read_certificate(der(issue(ca, public, usages=("content_commitment",))))
    assert sign.key_usages == ("NON_REPUDIATION",) and sign.signing and not sign.authentication
    both = read_certificate(der(issue(ca, public, usages=("digital_signature",
                                                          "content_commitment"))))
    assert both.signing and both.authentication
    client_auth = read_certificate(der(issue(ca, public, usages=("key_agreement",),
                                             eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))))
    assert client_auth.authentication and not client_auth.signing
    assert read_certificate(der(ca.cert)).is_ca
    data = auth.to_dict()
    assert data["hash"] == auth.hash and data["key_usages"] == ["DIGITAL_SIGNATURE",
                                                                "KEY_ENCIPHERMENT"]


# -- CSR files ---------------------------------------------------------------------------------

def test_read_csr_pem_and_der(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                                    x509.NameAttribute(NameOID.COMMON_NAME, "SS1")]))
           .sign(key, hashes.SHA256()))
    expected = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    for encoding, label in ((serialization.Encoding.PEM, "PEM"),
                            (serialization.Encoding.DER, "DER")):
        path = tmp_path / f"req.{label.lower()}"
        path.write_bytes(csr.public_bytes(encoding))
        read = read_csr_file(path)
        assert read.encoding == label and read.public_key_der == expected
        assert read.subject == "CN=SS1, C=KG" and read.signature_valid


def test_read_csr_refuses_other_things(auth_cert, leaf_key) -> None:
    with pytest.raises(CertificateFileError) as caught:
        read_csr(pem(auth_cert))
    assert caught.value.reason == "certificate"
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(CertificateFileError) as caught:
        read_csr(key)
    assert caught.value.reason == "private_key"
    with pytest.raises(CertificateFileError) as caught:
        read_csr(b"not a request")
    assert caught.value.reason == "not_certificate"


def test_a_second_ca_makes_a_different_hash() -> None:
    other = make_ca("Other CA")
    assert read_certificate(der(other.cert)).hash != read_certificate(
        (FIXTURES / "google-cert.der").read_bytes()).hash
