"""The OCSP responder of the sandbox CAs, and the signer's side that asks it.

One responder URL answers RFC 6960 requests for every approved CA from the CAs' register
(``ca_issued``): the test CA's responses are signed by its delegated responder, those of the other
CAs by the CA itself. The simulated signer fetches responses for the certificates on its tokens with
:func:`fetch_status`, which builds a real request, has the responder answer it in-process and
verifies the answer before it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from backend.sandbox.pki import Issuer
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


#: looks ``(issuer name, serial number)`` up in the CAs' register; ``None`` when it never issued it
Lookup = Callable[[x509.Name, int], Registration | None]


class OcspError(Exception):
    """An OCSP exchange failed (the responder refused, or its answer did not verify)."""


def _issuer_hashes(issuer: Issuer, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    ca = issuer.ca.cert
    name_hash = hashlib.new(algorithm.name, ca.subject.public_bytes()).digest()
    key = ca.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):  # the sandbox's CA keys are always EC
        raise OcspError("unsupported CA key type")
    key_bits = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return name_hash, hashlib.new(algorithm.name, key_bits).digest()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(_DER)


def respond(
    issuers: Sequence[Issuer],
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
    wanted = (request.issuer_name_hash, request.issuer_key_hash)
    issuer = next((i for i in issuers if _issuer_hashes(i, algorithm) == wanted), None)
    if issuer is None:
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

    this_update = (now or utcnow()).replace(microsecond=0)
    next_update = this_update + dt.timedelta(seconds=validity_seconds)
    registration = lookup(issuer.ca.cert.subject, request.serial_number)
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

    delegated = issuer.responder.cert != issuer.ca.cert
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
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.responder.cert)
    )
    if delegated:
        builder = builder.certificates([issuer.responder.cert])
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    return builder.sign(issuer.responder.key, hashes.SHA256()).public_bytes(_DER)


def verify_response(issuer: Issuer, response_der: bytes) -> ocsp.OCSPResponse:
    """Parse a response and check that the CA or its delegated responder signed it."""
    response = ocsp.load_der_ocsp_response(response_der)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspError(f"responder answered {response.response_status.name}")
    responder = response.certificates[0] if response.certificates else issuer.ca.cert
    try:
        if responder != issuer.ca.cert:
            responder.verify_directly_issued_by(issuer.ca.cert)
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
    issuer: Issuer,
    certificate: x509.Certificate,
    lookup: Lookup,
    validity_seconds: int,
    now: dt.datetime | None = None,
) -> tuple[bytes, str]:
    """Ask the responder about ``certificate``: ``(response DER, GOOD|REVOKED|UNKNOWN)``."""
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer.ca.cert, hashes.SHA1())  # the CertID hash of RFC 5019
        .build()
    )
    response_der = respond([issuer], lookup, request.public_bytes(_DER), validity_seconds, now)
    response = verify_response(issuer, response_der)
    return response_der, response.certificate_status.name


def response_status(response_der: bytes) -> str:
    """``GOOD``, ``REVOKED`` or ``UNKNOWN`` from a stored response."""
    return ocsp.load_der_ocsp_response(response_der).certificate_status.name
