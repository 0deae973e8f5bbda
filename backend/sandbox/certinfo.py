"""``CertificateDetails`` derived from a certificate's DER, as X-Road's converter derives them.

Names are written as Java's ``X500Principal.toString()`` writes them (last RDN first, ``", "``
between RDNs, RFC 1779 keywords, ``OID.x.y.z`` for others); the hash is the SHA-256 of the DER in
upper-case hex; absent values (no SAN, no common name) are left out, as Jackson ``NON_NULL`` does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from backend.sandbox.wire import fmt_time

_KEYWORDS = {
    NameOID.COMMON_NAME.dotted_string: "CN",
    NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.LOCALITY_NAME.dotted_string: "L",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "ST",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.TITLE.dotted_string: "T",
    NameOID.STREET_ADDRESS.dotted_string: "STREET",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC",
    NameOID.DN_QUALIFIER.dotted_string: "DNQUALIFIER",
    NameOID.SURNAME.dotted_string: "SURNAME",
    NameOID.GIVEN_NAME.dotted_string: "GIVENNAME",
    NameOID.INITIALS.dotted_string: "INITIALS",
    NameOID.GENERATION_QUALIFIER.dotted_string: "GENERATION",
    NameOID.EMAIL_ADDRESS.dotted_string: "EMAILADDRESS",
    NameOID.USER_ID.dotted_string: "UID",
    NameOID.SERIAL_NUMBER.dotted_string: "SERIALNUMBER",
}

_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512withRSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "SHA1withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "SHA256withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "SHA384withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "SHA512withECDSA",
    SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    SignatureAlgorithmOID.ED25519: "Ed25519",
    SignatureAlgorithmOID.ED448: "Ed448",
}

#: X-Road's KeyUsage enum, in the order of the certificate's key-usage bits
KEY_USAGES = (
    ("digital_signature", "DIGITAL_SIGNATURE"),
    ("content_commitment", "NON_REPUDIATION"),
    ("key_encipherment", "KEY_ENCIPHERMENT"),
    ("data_encipherment", "DATA_ENCIPHERMENT"),
    ("key_agreement", "KEY_AGREEMENT"),
    ("key_cert_sign", "KEY_CERT_SIGN"),
    ("crl_sign", "CRL_SIGN"),
    ("encipher_only", "ENCIPHER_ONLY"),
    ("decipher_only", "DECIPHER_ONLY"),
)

_SPECIAL = set(',+=\n<>#;\\"')


def _value(text: str) -> str:
    if not text or any(ch in _SPECIAL for ch in text) or text != text.strip() or "  " in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def java_dn(name: x509.Name) -> str:
    """A name as Java's ``X500Principal.toString()`` writes it."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        avas = []
        for attribute in rdn:
            keyword = _KEYWORDS.get(attribute.oid.dotted_string, f"OID.{attribute.oid.dotted_string}")
            value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
            avas.append(f"{keyword}={_value(value)}")
        parts.append(" + ".join(avas))
    return ", ".join(parts)


def common_name(name: x509.Name) -> str | None:
    """The first CN of a name, if it has one."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def cert_hash(der: bytes) -> str:
    """X-Road's certificate hash: SHA-256 of the DER, upper-case hex."""
    return hashlib.sha256(der).hexdigest().upper()


def key_usages(cert: x509.Certificate) -> list[str]:
    """The key-usage bits that are set, as X-Road's ``KeyUsage`` names."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    found = []
    for attribute, name in KEY_USAGES:
        try:
            if getattr(usage, attribute):
                found.append(name)
        except ValueError:  # encipher_only/decipher_only are undefined without key_agreement
            continue
    return found


def subject_alternative_names(cert: x509.Certificate) -> str | None:
    """SANs as ``CertUtils.getSubjectAlternativeNames`` writes them, or ``None``."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    items = []
    for name in names:
        if isinstance(name, x509.DNSName):
            items.append(f"DNS:{name.value}")
        elif isinstance(name, x509.RFC822Name):
            items.append(f"email:{name.value}")
        elif isinstance(name, x509.UniformResourceIdentifier):
            items.append(f"URI:{name.value}")
        elif isinstance(name, x509.IPAddress):
            items.append(f"IP Address:{name.value}")
        elif isinstance(name, x509.DirectoryName):
            items.append(f"DirName:{java_dn(name.value)}")
        elif isinstance(name, x509.RegisteredID):
            items.append(f"Registered ID:{name.value.dotted_string}")
        else:
            items.append("othername:<unsupported>")
    return ", ".join(items) or None


def _public_key_fields(cert: x509.Certificate) -> dict[str, Any]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {
            "public_key_algorithm": "RSA",
            "rsa_public_key_modulus": format(numbers.n, "x"),
            "rsa_public_key_exponent": numbers.e,
        }
    if isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        oid = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34",
               "secp521r1": "1.3.132.0.35"}.get(key.curve.name, "")
        return {
            "public_key_algorithm": "EC",
            "ec_public_parameters": f"{key.curve.name}({oid})" if oid else key.curve.name,
            "ec_public_key_point": point.hex(),
        }
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return {"public_key_algorithm": "EdDSA"}
    return {"public_key_algorithm": type(key).__name__}


def certificate_details(der: bytes) -> dict[str, Any]:
    """X-Road's ``CertificateDetails`` for a DER-encoded certificate."""
    cert = x509.load_der_x509_certificate(der)
    details: dict[str, Any] = {
        "issuer_distinguished_name": java_dn(cert.issuer),
        "issuer_common_name": common_name(cert.issuer),
        "subject_distinguished_name": java_dn(cert.subject),
        "subject_common_name": common_name(cert.subject),
        "not_before": fmt_time(cert.not_valid_before_utc),
        "not_after": fmt_time(cert.not_valid_after_utc),
        "serial": str(cert.serial_number),
        "version": cert.version.value + 1,
        "signature_algorithm": _SIGNATURE_NAMES.get(
            cert.signature_algorithm_oid, cert.signature_algorithm_oid.dotted_string
        ),
        "signature": cert.signature.hex(),
    }
    details.update(_public_key_fields(cert))
    details["hash"] = cert_hash(der)
    details["key_usages"] = key_usages(cert)
    details["subject_alternative_names"] = subject_alternative_names(cert)
    return details
