"""OCSP responses as the sandbox's responder gave them at a moment of the past.

X-Road's signer fetches an OCSP response for each signing certificate every ``ocspFetchInterval``
and embeds the current one in every signature; the message log keeps it. For traffic of the past
the responses must be of their time: ``producedAt`` and ``thisUpdate`` at the fetch, ``nextUpdate``
one validity period later, and the status the CAs' register gave then (a certificate revoked later
was good). ``cryptography``'s builder stamps ``producedAt`` with the present, so the response is
built with ``asn1crypto`` here, signed by the same responder key as the live responder
(:mod:`backend.sandbox.ocsp`) and checked with the live responder's own verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from backend.sandbox import ocsp
from backend.sandbox.pki import Issuer


@dataclass(frozen=True)
class _Responder:
    """What every response of one CA and responder repeats, encoded once."""

    name_hash: bytes
    key_hash: bytes
    responder_key_hash: bytes
    certs: bytes | None


@lru_cache(maxsize=16)
def _responder(ca_der: bytes, responder_der: bytes) -> _Responder:
    ca = asn1_x509.Certificate.load(ca_der)
    responder = asn1_x509.Certificate.load(responder_der)
    certs = asn1_ocsp.Certificates([responder]).dump() if responder_der != ca_der else None
    return _Responder(hashlib.sha1(ca.subject.dump()).digest(), ca.public_key.sha1,
                      responder.public_key.sha1, certs)


def _status(registration: ocsp.Registration | None, moment: dt.datetime) -> asn1_ocsp.CertStatus:
    if registration is None:
        return asn1_ocsp.CertStatus(name="unknown", value=None)
    if registration.revoked_at is not None and registration.revoked_at <= moment:
        info: dict[str, object] = {"revocation_time": registration.revoked_at.replace(microsecond=0)}
        if registration.reason is not None:
            info["revocation_reason"] = registration.reason.name
        return asn1_ocsp.CertStatus(name="revoked", value=info)
    return asn1_ocsp.CertStatus(name="good", value=None)


def response_at(
    issuer: Issuer,
    cert: x509.Certificate,
    lookup: ocsp.Lookup,
    this_update: dt.datetime,
    validity_seconds: int,
) -> bytes:
    """The DER OCSP response about ``cert`` that the responder produced at ``this_update``."""
    moment = this_update.astimezone(dt.UTC).replace(microsecond=0)
    fixed = _responder(issuer.ca.cert.public_bytes(serialization.Encoding.DER),
                       issuer.responder.cert.public_bytes(serialization.Encoding.DER))
    single = {
        "cert_id": {
            "hash_algorithm": {"algorithm": "sha1"},  # the CertID hash of RFC 5019, as X-Road asks
            "issuer_name_hash": fixed.name_hash,
            "issuer_key_hash": fixed.key_hash,
            "serial_number": cert.serial_number,
        },
        "cert_status": _status(lookup(issuer.ca.cert.subject, cert.serial_number), moment),
        "this_update": moment,
        "next_update": moment + dt.timedelta(seconds=validity_seconds),
    }
    tbs = asn1_ocsp.ResponseData({
        "responder_id": asn1_ocsp.ResponderId(name="by_key", value=fixed.responder_key_hash),
        "produced_at": moment,
        "responses": [single],
    })
    key = issuer.responder.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm, signature = "sha256_ecdsa", key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "sha256_rsa"
        signature = key.sign(tbs.dump(), padding.PKCS1v15(), hashes.SHA256())
    else:  # pragma: no cover (the sandbox's responder keys are EC)
        raise ocsp.OcspError("unsupported responder key type")
    basic: dict[str, object] = {"tbs_response_data": tbs,
                                "signature_algorithm": {"algorithm": algorithm},
                                "signature": signature}
    if fixed.certs is not None:
        basic["certs"] = asn1_ocsp.Certificates.load(fixed.certs)
    response = asn1_ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response",
                           "response": asn1_ocsp.BasicOCSPResponse(basic)},
    }).dump()
    ocsp.verify_response(issuer, response)
    return response
