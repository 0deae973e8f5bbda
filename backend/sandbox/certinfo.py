"""``CertificateDetails`` derived from a certificate's DER, as X-Road's converter derives them.

Names are written as Java's ``X500Principal.toString()`` writes them (last RDN first, ``", "``
between RDNs, RFC 1779 keywords, ``OID.x.y.z`` for others); the hash is the SHA-256 of the DER in
upper-case hex; absent values (no SAN, no common name) are left out, as Jackson ``NON_NULL`` does.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from backend.pki.certfile import cert_hash, key_usage_names
from backend.pki.names import common_name, java_dn
from backend.sandbox.wire import fmt_time

__all__ = ["cert_hash", "certificate_details", "common_name", "java_dn", "key_usages"]

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

def key_usages(cert: x509.Certificate) -> list[str]:
    """The key-usage bits that are set, as X-Road's ``KeyUsage`` names."""
    return list(key_usage_names(cert) or ())


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
