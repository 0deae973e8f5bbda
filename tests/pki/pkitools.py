"""Certificates made for the PKI tests: a throwaway CA and certificates with chosen key usages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference"
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
USAGE_NAMES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
               "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def name(cn: str, *more: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                      *(x509.NameAttribute(oid, value) for oid, value in more),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class Issuer:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def make_ca(cn: str = "Test CA") -> Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = name(cn, (NameOID.ORGANIZATION_NAME, "Test PKI"))
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=365))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**{n: n in ("key_cert_sign", "crl_sign")
                                            for n in USAGE_NAMES}), critical=True)
            .sign(key, hashes.SHA256()))
    return Issuer(key, cert)


def issue(issuer: Issuer, public_key, *, cn: str = "SS1", usages: tuple[str, ...] | None = (
        "digital_signature", "key_encipherment"), eku: tuple[x509.ObjectIdentifier, ...] = (),
          not_before: dt.datetime | None = None, days: int = 365,
          subject: x509.Name | None = None) -> x509.Certificate:
    start = not_before or NOW - dt.timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(subject or name(cn))
               .issuer_name(issuer.cert.subject).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days)))
    if usages is not None:
        builder = builder.add_extension(
            x509.KeyUsage(**{n: n in usages for n in USAGE_NAMES}), critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


