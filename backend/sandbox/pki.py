"""The sandbox's test PKI: certification authorities, their OCSP responders, timestamping authorities.

All keys and certificates are made with ``cryptography`` on the first start and kept in
``<data dir>/pki`` (private keys mode 0600). The CA, OCSP and TSA keys are EC P-256; the keys of the
software token are RSA 2048, as X-Road's signer generates them by default.

The test CA (``seed.ca``) has a delegated OCSP responder; each further approved CA
(``seed.extra_cas``, e.g. the ACME CA) is a top CA of its own that signs its OCSP responses itself.
A CA added to the seed later is created on the next start without touching the existing ones.

The authorities' certificates are valid from ``AUTHORITY_BACKDATE`` (400 days) before their creation,
so that traffic of the past can be signed, stamped and answered for; the certificates a CA issues
for members start when they are issued unless asked otherwise (``kapka sandbox ca sign
--not-before``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.seed import CertificateAuthority, Seed, Subject
from backend.sandbox.wire import utcnow

AUTHENTICATION = "AUTHENTICATION"
SIGNING = "SIGNING"
#: key usages a CA can be made to put into a certificate by mistake (for negative tests)
BOTH = "BOTH"
NEITHER = "NEITHER"
CERTIFICATE_USAGES = (AUTHENTICATION, SIGNING, BOTH, NEITHER)
#: how long before their creation the CAs, OCSP responders and TSAs are valid, so that generated
#: message-log traffic (``kapka sandbox traffic --days``) can reach back up to a year
AUTHORITY_BACKDATE = dt.timedelta(days=400)

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
class Issuer:
    """An approved CA and whoever signs its OCSP responses (a delegated responder or the CA)."""

    name: str
    ca: Authority
    responder: Authority

    def issued(self, cert: x509.Certificate) -> bool:
        """Whether this CA signed ``cert``."""
        if cert.issuer != self.ca.cert.subject:
            return False
        try:
            cert.verify_directly_issued_by(self.ca.cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


@dataclass(frozen=True)
class Pki:
    """The test CA, its OCSP responder, the timestamping authorities by name, every approved CA."""

    ca: Authority
    ocsp: Authority
    tsas: dict[str, Authority]
    issuers: tuple[Issuer, ...] = ()

    def issuer_named(self, name: str) -> Issuer | None:
        return next((issuer for issuer in self.issuers if issuer.name == name), None)

    def issuer_of(self, cert: x509.Certificate) -> Issuer | None:
        """The approved CA that issued ``cert``, if any."""
        return next((issuer for issuer in self.issuers if issuer.issued(cert)), None)


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


def _validity(days: int) -> tuple[dt.datetime, dt.datetime]:
    """A new CA's validity: from ``AUTHORITY_BACKDATE`` ago until ``days`` from now."""
    now = utcnow().replace(microsecond=0)
    return now - AUTHORITY_BACKDATE, now + dt.timedelta(days=days)


def _self_signed_ca(seed_ca: CertificateAuthority) -> Authority:
    not_before, not_after = _validity(seed_ca.validity_days)
    key = ec.generate_private_key(ec.SECP256R1())
    name = make_name(seed_ca.subject)
    cert = (
        _builder(name, name, key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


def _leaf(ca: Authority, subject: Subject, eku: x509.ObjectIdentifier, **usage: bool) -> Authority:
    """A delegated OCSP responder or a TSA, certified by ``ca`` for as long as ``ca`` is valid."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder(make_name(subject), ca.cert.subject, key.public_key(),
                       ca.cert.not_valid_before_utc, ca.cert.not_valid_after_utc)
    cert = (
        _issued_by(ca, builder)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(**usage), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return Authority(key, cert)


def _responder(ca: Authority, subject: Subject) -> Authority:
    return _leaf(ca, subject, ExtendedKeyUsageOID.OCSP_SIGNING, digital_signature=True)


def _base_files(directory: Path, seed: Seed) -> dict[str, tuple[Path, Path]]:
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


def _store(path_pair: tuple[Path, Path], authority: Authority) -> None:
    path_pair[0].parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path_pair[0].write_bytes(authority.cert.public_bytes(serialization.Encoding.PEM))
    write_private(path_pair[1], _pem_key(authority.key))


def _exists(path_pair: tuple[Path, Path]) -> bool:
    return path_pair[0].exists() and path_pair[1].exists()


def _missing(directory: Path) -> KapkaError:
    return KapkaError(
        _("{path} holds no complete sandbox PKI; start the sandbox once to create it.").format(
            path=directory),
        _("Sandbox CA"),
    )


def ensure_pki(directory: Path, seed: Seed, *, create: bool = True) -> Pki:
    """Load the PKI kept in ``directory``, creating what is missing (unless ``create`` is false)."""
    files = _base_files(directory, seed)
    if all(_exists(pair) for pair in files.values()):
        authorities = {name: _load(pair) for name, pair in files.items()}
    elif not create:
        raise _missing(directory)
    else:
        ca = _self_signed_ca(seed.ca)
        authorities = {"ca": ca, "ocsp": _responder(ca, seed.ca.ocsp.subject)}
        for tsa in seed.timestamping_services:
            authorities[f"tsa:{tsa.name}"] = _leaf(
                ca, tsa.subject, ExtendedKeyUsageOID.TIME_STAMPING,
                digital_signature=True, content_commitment=True,
            )
        for name, pair in files.items():
            _store(pair, authorities[name])
    issuers = [Issuer(seed.ca.name, authorities["ca"], authorities["ocsp"])]
    for index, seed_ca in enumerate(seed.extra_cas, start=1):
        pair = (directory / f"extra-ca{index}.crt", directory / f"extra-ca{index}.key")
        responder_pair = (directory / f"extra-ca{index}-ocsp.crt",
                          directory / f"extra-ca{index}-ocsp.key")
        if _exists(pair):
            extra = _load(pair)
        elif not create:
            raise _missing(directory)
        else:
            extra = _self_signed_ca(seed_ca)
            _store(pair, extra)
        responder = extra
        if seed_ca.ocsp.subject:
            if _exists(responder_pair):
                responder = _load(responder_pair)
            elif not create:
                raise _missing(directory)
            else:
                responder = _responder(extra, seed_ca.ocsp.subject)
                _store(responder_pair, responder)
        issuers.append(Issuer(seed_ca.name, extra, responder))
    tsas = {name.removeprefix("tsa:"): authority
            for name, authority in authorities.items() if name.startswith("tsa:")}
    return Pki(authorities["ca"], authorities["ocsp"], tsas, tuple(issuers))


def _usage_extensions(builder: x509.CertificateBuilder, usage: str) -> x509.CertificateBuilder:
    """Key usage as the sandbox CA sets it, by the usage the certificate is for.

    Authentication certificates get digitalSignature and keyEncipherment and the TLS client and
    server extended key usages; signing certificates nonRepudiation only, so X-Road's
    ``CertUtils.isAuthCert``/``isSigningCert`` tell them apart. ``BOTH`` and ``NEITHER`` make the
    mistakes X-Road refuses on import (``cert_wrong_usage``).
    """
    if usage == AUTHENTICATION:
        return builder.add_extension(
            _key_usage(digital_signature=True, key_encipherment=True), critical=True
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
    if usage == SIGNING:
        return builder.add_extension(_key_usage(content_commitment=True), critical=True)
    if usage == BOTH:
        return builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        )
    if usage == NEITHER:
        return builder.add_extension(_key_usage(key_agreement=True), critical=True)
    raise ValueError(f"unknown certificate usage {usage!r}")


def issue_certificate(
    ca: Authority,
    public_key: CertificatePublicKeyTypes,
    subject: Subject | x509.Name,
    usage: str,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ocsp_url: str,
    alt_names: x509.SubjectAlternativeName | None = None,
) -> x509.Certificate:
    """A certificate from ``ca`` for ``public_key`` with the key usage ``usage`` calls for."""
    name = subject if isinstance(subject, x509.Name) else make_name(subject)
    builder = _builder(name, ca.cert.subject, public_key, not_before, not_after)
    builder = _issued_by(ca, builder).add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = _usage_extensions(builder, usage)
    if alt_names is not None:
        builder = builder.add_extension(alt_names, critical=False)
    builder = builder.add_extension(
        x509.AuthorityInformationAccess(
            [x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )]
        ),
        critical=False,
    )
    return builder.sign(ca.key, hashes.SHA256())
