"""The OCSP responder of the sandbox CA, and the signer's side that asks it.

The responder answers RFC 6960 requests from the CA's register (``ca_issued``), signed by a
delegated responder certificate. The simulated signer fetches responses for the certificates on its
tokens with :func:`fetch_status`, which builds a real request, has the responder answer it in-process
and verifies the answer before it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from backend.sandbox.pki import Pki
from backend.sandbox.wire import utcnow

GOOD = "GOOD"
REVOKED = "REVOKED"
UNKNOWN = "UNKNOWN"

_DER = serialization.Encoding.DER


@dataclass(frozen=True)
class Registration:
    """What the CA's register says about one serial number."""

    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None


#: looks a serial number up in the CA's register; ``None`` when the CA never issued it
Lookup = Callable[[int], Registration | None]


class OcspError(Exception):
    """An OCSP exchange failed (the responder refused, or its answer did not verify)."""


def _issuer_hashes(pki: Pki, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    ca = pki.ca.cert
    name_hash = hashlib.new(algorithm.name, ca.subject.public_bytes()).digest()
    key = ca.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key_bits = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    else:  # the CA key is always EC here; keep the general form for completeness
        raise OcspError("unsupported CA key type")
    return name_hash, hashlib.new(algorithm.name, key_bits).digest()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(_DER)


def respond(
    pki: Pki,
    lookup: Lookup,
    request_der: bytes,
    validity_seconds: int,
    now: dt.datetime | None = None,
) -> bytes:
    """The DER-encoded OCSP response to a DER-encoded request."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    algorithm = request.hash_algorithm
    if (request.issuer_name_hash, request.issuer_key_hash) != _issuer_hashes(pki, algorithm):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

    this_update = (now or utcnow()).replace(microsecond=0)
    next_update = this_update + dt.timedelta(seconds=validity_seconds)
    registration = lookup(request.serial_number)
    revocation_time = None
    revocation_reason = None
    if registration is None:
        status = ocsp.OCSPCertStatus.UNKNOWN
    elif registration.revoked_at is not None:
        status = ocsp.OCSPCertStatus.REVOKED
        revocation_time = registration.revoked_at.replace(microsecond=0)
        revocation_reason = registration.reason
    else:
        status = ocsp.OCSPCertStatus.GOOD

    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=revocation_time,
            revocation_reason=revocation_reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, pki.ocsp.cert)
        .certificates([pki.ocsp.cert])
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    return builder.sign(pki.ocsp.key, hashes.SHA256()).public_bytes(_DER)


def verify_response(pki: Pki, response_der: bytes) -> ocsp.OCSPResponse:
    """Parse a response and check that the CA's delegated responder signed it."""
    response = ocsp.load_der_ocsp_response(response_der)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspError(f"responder answered {response.response_status.name}")
    responder = response.certificates[0] if response.certificates else pki.ocsp.cert
    try:
        responder.verify_directly_issued_by(pki.ca.cert)
        key = responder.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise OcspError("unexpected responder key type")
        algorithm = response.signature_hash_algorithm
        if algorithm is None:
            raise OcspError("response names no signature hash algorithm")
        key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
    except (InvalidSignature, ValueError, TypeError) as error:
        raise OcspError(f"response signature does not verify: {error}") from error
    return response


def fetch_status(
    pki: Pki,
    certificate: x509.Certificate,
    lookup: Lookup,
    validity_seconds: int,
    now: dt.datetime | None = None,
) -> tuple[bytes, str]:
    """Ask the responder about ``certificate``: ``(response DER, GOOD|REVOKED|UNKNOWN)``."""
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, pki.ca.cert, hashes.SHA1())  # the CertID hash of RFC 5019
        .build()
    )
    response_der = respond(pki, lookup, request.public_bytes(_DER), validity_seconds, now)
    response = verify_response(pki, response_der)
    return response_der, response.certificate_status.name


def response_status(response_der: bytes) -> str:
    """``GOOD``, ``REVOKED`` or ``UNKNOWN`` from a stored response."""
    return ocsp.load_der_ocsp_response(response_der).certificate_status.name
