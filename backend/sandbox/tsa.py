"""The sandbox's timestamping authority: RFC 3161 time-stamp tokens and responses.

A token is a CMS ``SignedData`` (RFC 5652) whose content is a ``TSTInfo`` (RFC 3161): the message
imprint, the generation time, a serial number and the TSA's name. The signer info carries the
content type, the signing time, the ``signingCertificateV2`` attribute (RFC 5816, the TSA
certificate's SHA-256) and the message digest; the TSA certificate is embedded. The structures are
built with ``asn1crypto`` and signed with ``cryptography`` (ECDSA for the sandbox's P-256 TSA keys,
RSA PKCS #1 v1.5 for RSA keys), so ``openssl ts -verify`` and X-Road's ``TimestampVerifier`` accept
them.

:meth:`TimestampAuthority.token` issues a token for any generation time (the message log's
timestamper uses it for records of the past); :meth:`TimestampAuthority.respond` answers a DER
``TimeStampReq`` with a ``TimeStampResp``, as a TSA served over HTTP does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cached_property

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from backend.sandbox.pki import Authority
from backend.sandbox.wire import utcnow

#: the TSA policy the tokens name: 1.2.3.4.1, the test policy of OpenSSL's example TSA configuration
#: and of X-Road's test TSA (a sandbox claims no real policy)
POLICY_OID = "1.2.3.4.1"
#: hash algorithms a request may use for its imprint (asn1crypto names)
IMPRINT_ALGORITHMS = ("sha256", "sha384", "sha512")

_PKI_STATUS_GRANTED = "granted"
_PKI_STATUS_REJECTION = "rejection"


class TimestampError(ValueError):
    """A request the TSA cannot answer with a token (unknown algorithm, wrong imprint length)."""


def _signature_algorithm(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return "sha256_ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "sha256_rsa"


def _sign(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _attribute(kind: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": [value]})


@dataclass(frozen=True)
class _StaticParts:
    """The DER pieces that are the same in every token of one TSA (asn1crypto is slow to
    re-encode a certificate each time)."""

    tsa_name: bytes
    content_type: bytes
    signing_certificate: bytes
    sid: bytes
    certificates: bytes


@dataclass(frozen=True)
class TimestampAuthority:
    """A TSA key and certificate (one of the sandbox's ``Pki.tsas``)."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def of(cls, authority: Authority) -> TimestampAuthority:
        return cls(authority.key, authority.cert)

    @cached_property
    def _parts(self) -> _StaticParts:
        der = self.cert.public_bytes(serialization.Encoding.DER)
        cert = asn1_x509.Certificate.load(der)
        issuer = asn1_x509.GeneralName(name="directory_name", value=cert.issuer)
        cert_id = {"cert_hash": hashlib.sha256(der).digest(),
                   "issuer_serial": {"issuer": [issuer], "serial_number": cert.serial_number}}
        return _StaticParts(
            tsa_name=asn1_x509.GeneralName(name="directory_name", value=cert.subject).dump(),
            content_type=_attribute("content_type", "tst_info").dump(),
            signing_certificate=_attribute("signing_certificate_v2", {"certs": [cert_id]}).dump(),
            sid=cms.SignerIdentifier(name="issuer_and_serial_number", value={
                "issuer": cert.issuer, "serial_number": cert.serial_number}).dump(),
            certificates=cms.CertificateSet([cert]).dump(),
        )

    def token(
        self,
        imprint: bytes,
        hash_algorithm: str = "sha512",
        *,
        gen_time: dt.datetime | None = None,
        serial: int | None = None,
        nonce: int | None = None,
    ) -> bytes:
        """A DER ``ContentInfo`` holding the time-stamp token for ``imprint``.

        ``hash_algorithm`` names the algorithm of the imprint (``sha256``, ``sha384`` or
        ``sha512``); ``gen_time`` defaults to now, ``serial`` to a random 63-bit number.
        """
        if hash_algorithm not in IMPRINT_ALGORITHMS:
            raise TimestampError(f"unsupported imprint algorithm {hash_algorithm!r}")
        if len(imprint) != hashlib.new(hash_algorithm).digest_size:
            raise TimestampError("the imprint's length does not match its algorithm")
        when = (gen_time or utcnow()).astimezone(dt.UTC)
        when = when.replace(microsecond=when.microsecond // 1000 * 1000)
        parts = self._parts
        info: dict[str, object] = {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm},
                                "hashed_message": imprint},
            "serial_number": serial if serial is not None else secrets.randbits(63),
            "gen_time": when,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName.load(parts.tsa_name),
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_der = tsp.TSTInfo(info).dump()
        encoded = [
            parts.content_type,
            _attribute("signing_time", cms.Time(name="utc_time",
                                                value=when.replace(microsecond=0))).dump(),
            parts.signing_certificate,
            _attribute("message_digest", hashlib.sha256(tst_der).digest()).dump(),
        ]
        # DER orders a SET OF by the encodings; verifiers re-encode it that way before checking
        signed_attrs = cms.CMSAttributes([cms.CMSAttribute.load(item) for item in sorted(encoded)])
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier.load(parts.sid),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(
                {"algorithm": _signature_algorithm(self.key)}),
            "signature": _sign(self.key, signed_attrs.dump()),
        })
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": core.ParsableOctetString(tst_der)},
            "certificates": cms.CertificateSet.load(parts.certificates),
            "signer_infos": [signer_info],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()

    def respond(self, request_der: bytes, *, gen_time: dt.datetime | None = None) -> bytes:
        """The DER ``TimeStampResp`` to a DER ``TimeStampReq`` (RFC 3161 §2.4)."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            nonce = request["nonce"].native
            token = self.token(hashed, algorithm, gen_time=gen_time, nonce=nonce)
        except (ValueError, TypeError, KeyError) as error:
            status = tsp.PKIStatusInfo({
                "status": _PKI_STATUS_REJECTION,
                "status_string": [str(error)[:200]],
                "fail_info": tsp.PKIFailureInfo({"bad_data_format"}),
            }).dump()
            # asn1crypto's TimeStampResp insists on a token; a rejection carries only the status
            return b"\x30" + _der_length(len(status)) + status
        return tsp.TimeStampResp({
            "status": {"status": _PKI_STATUS_GRANTED},
            "time_stamp_token": cms.ContentInfo.load(token),
        }).dump()


def request(imprint: bytes, hash_algorithm: str = "sha512", *, nonce: int | None = None,
            cert_req: bool = True) -> bytes:
    """A DER ``TimeStampReq`` for ``imprint`` (what X-Road's timestamper sends)."""
    value: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm},
                            "hashed_message": imprint},
        "cert_req": cert_req,
    }
    if nonce is not None:
        value["nonce"] = nonce
    return tsp.TimeStampReq(value).dump()


def token_time(token_der: bytes) -> dt.datetime:
    """The generation time of a DER time-stamp token."""
    info = cms.ContentInfo.load(token_der)["content"]["encap_content_info"]["content"].parsed
    return info["gen_time"].native
