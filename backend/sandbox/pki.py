"""The sandbox's test PKI: a certification authority, its OCSP responder and timestamping authorities.

All keys and certificates are made with ``cryptography`` on the first start and kept in
``<data dir>/pki`` (private keys mode 0600). The CA, OCSP and TSA keys are EC P-256; the keys of the
software token are RSA 2048, as X-Road's signer generates them by default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.sandbox.seed import Seed, Subject
from backend.sandbox.wire import utcnow

AUTHENTICATION = "AUTHENTICATION"
SIGNING = "SIGNING"

NAME_OIDS = {
    "C": NameOID.COUNTRY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "businessCategory": NameOID.BUSINESS_CATEGORY,
}


@dataclass(frozen=True)
class Authority:
    """A key and its certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class Pki:
    """The CA, its OCSP responder and the timestamping authorities, by TSA name."""

    ca: Authority
    ocsp: Authority
    tsas: dict[str, Authority]


def make_name(subject: Subject) -> x509.Name:
    """An X.500 name from ``(attribute, value)`` pairs in certificate order."""
    return x509.Name([x509.NameAttribute(NAME_OIDS[key], value) for key, value in subject])


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


def _issued_by(ca: Authority, builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    return builder.add_extension(aki, critical=False)


def _create(seed: Seed) -> Pki:
    now = utcnow().replace(microsecond=0)
    not_before = now - dt.timedelta(minutes=5)
    not_after = now + dt.timedelta(days=seed.ca.validity_days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = make_name(seed.ca.subject)
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca = Authority(ca_key, ca_cert)

    def leaf(subject: Subject, eku: x509.ObjectIdentifier, **usage: bool) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = _builder(make_name(subject), ca_name, key.public_key(), not_before, not_after)
        cert = (
            _issued_by(ca, builder)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(**usage), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        return Authority(key, cert)

    ocsp = leaf(seed.ca.ocsp.subject, ExtendedKeyUsageOID.OCSP_SIGNING, digital_signature=True)
    tsas = {
        tsa.name: leaf(
            tsa.subject, ExtendedKeyUsageOID.TIME_STAMPING,
            digital_signature=True, content_commitment=True,
        )
        for tsa in seed.timestamping_services
    }
    return Pki(ca, ocsp, tsas)


def _files(directory: Path, seed: Seed) -> dict[str, tuple[Path, Path]]:
    files = {"ca": (directory / "ca.crt", directory / "ca.key"),
             "ocsp": (directory / "ocsp.crt", directory / "ocsp.key")}
    for index, tsa in enumerate(seed.timestamping_services, start=1):
        files[f"tsa:{tsa.name}"] = (directory / f"tsa{index}.crt", directory / f"tsa{index}.key")
    return files


def _load(path_pair: tuple[Path, Path]) -> Authority:
    cert = x509.load_pem_x509_certificate(path_pair[0].read_bytes())
    key = serialization.load_pem_private_key(path_pair[1].read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path_pair[1]} does not hold an EC key")
    return Authority(key, cert)


def ensure_pki(directory: Path, seed: Seed) -> Pki:
    """Load the PKI kept in ``directory``, creating it on the first start."""
    files = _files(directory, seed)
    if all(cert.exists() and key.exists() for cert, key in files.values()):
        tsas = {name.removeprefix("tsa:"): _load(pair)
                for name, pair in files.items() if name.startswith("tsa:")}
        return Pki(_load(files["ca"]), _load(files["ocsp"]), tsas)
    pki = _create(seed)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    authorities = {"ca": pki.ca, "ocsp": pki.ocsp}
    authorities.update({f"tsa:{name}": auth for name, auth in pki.tsas.items()})
    for name, (cert_path, key_path) in files.items():
        authority = authorities[name]
        cert_path.write_bytes(authority.cert.public_bytes(serialization.Encoding.PEM))
        write_private(key_path, _pem_key(authority.key))
    return pki


def issue_certificate(
    ca: Authority,
    public_key: CertificatePublicKeyTypes,
    subject: Subject,
    usage: str,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ocsp_url: str,
) -> x509.Certificate:
    """An authentication or signing certificate from the CA for ``public_key``.

    Authentication certificates carry digitalSignature and keyEncipherment (and the TLS client and
    server extended key usages); signing certificates carry nonRepudiation only, so that X-Road's
    ``CertUtils.isAuthCert``/``isSigningCert`` tell them apart.
    """
    builder = _builder(make_name(subject), ca.cert.subject, public_key, not_before, not_after)
    builder = _issued_by(ca, builder).add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    if usage == AUTHENTICATION:
        builder = builder.add_extension(
            _key_usage(digital_signature=True, key_encipherment=True), critical=True
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
    elif usage == SIGNING:
        builder = builder.add_extension(_key_usage(content_commitment=True), critical=True)
    else:
        raise ValueError(f"unknown certificate usage {usage!r}")
    builder = builder.add_extension(
        x509.AuthorityInformationAccess(
            [x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )]
        ),
        critical=False,
    )
    return builder.sign(ca.key, hashes.SHA256())
