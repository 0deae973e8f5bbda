"""The RFC 3161 timestamp of a record, as X-Road's ``TimestampVerifier`` checks it.

The token is a DER CMS ``ContentInfo`` (``SignedData`` around a ``TSTInfo``):

* batch timestamp: ``META-INF/timestamp.tst``, imprint = H(bytes of ``ts-hashchainresult.xml``);
* single timestamp: ``xades:EncapsulatedTimeStamp`` in ``signatures.xml``, imprint =
  H(decoded ``ds:SignatureValue``).

Checks: the imprint matches the data (``malformed_signature``, X-Road's "Timestamp hashes do not
match"); the signer certificate is an approved TSA of the verification configuration and was valid
at the token's time; the signed attributes carry the token's digest; the signature verifies
(``timestamp_validation``). Without a configuration the token's own certificates are used, which
proves the token intact but not who made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, tsp
from asn1crypto import x509 as ax509

from backend.archive.verify.crypto import SignatureAlgorithmError, public_key, verify_asn1
from backend.i18n import _


class TimestampError(Exception):
    def __init__(self, code: str, message: str, expected: str | None = None,
                 found: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.expected = expected
        self.found = found


@dataclass(frozen=True, slots=True)
class TimestampInfo:
    gen_time: datetime
    hash_algorithm: str
    tsa: str                  # the signer certificate's subject
    trusted: bool             # the signer is an approved TSA of the configuration


def _invalid(message: str) -> TimestampError:
    return TimestampError("timestamp_validation", message)


def _parse(token: bytes) -> tuple[cms.SignedData, tsp.TSTInfo]:
    try:
        info = cms.ContentInfo.load(token)
        if info["content_type"].native != "signed_data":
            raise _invalid(_("The timestamp is not a CMS SignedData."))
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise _invalid(_("The timestamp's content is not a TSTInfo."))
        tst = encap["content"].parsed
        tst.native  # noqa: B018  (parse fully here, so that broken DER fails as a timestamp error)
        return signed, tst
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError("timestamp_validation",
                             _("The timestamp token cannot be parsed: {error}").format(error=exc)) from exc


def _matches(sid: cms.SignerIdentifier, cert: ax509.Certificate) -> bool:
    if sid.name == "issuer_and_serial_number":
        return (sid.chosen["issuer"] == cert.issuer
                and sid.chosen["serial_number"].native == cert.serial_number)
    return cert.key_identifier is not None and sid.chosen.native == cert.key_identifier


def verify_timestamp(token: bytes, data: bytes,
                     tsa_certs: Sequence[ax509.Certificate] | None) -> TimestampInfo:
    """Verify ``token`` over ``data``; ``tsa_certs`` None trusts the token's own certificates."""
    signed, tst = _parse(token)
    imprint = tst["message_imprint"]
    hash_name = imprint["hash_algorithm"]["algorithm"].native
    try:
        computed = hashlib.new(hash_name, data).digest()
    except (ValueError, TypeError) as exc:
        raise _invalid(_("The timestamp uses an unknown hash algorithm {name}.")
                       .format(name=hash_name)) from exc
    stated = imprint["hashed_message"].native
    if computed != stated:
        raise TimestampError("malformed_signature",
                             _("Timestamp hashes do not match: the timestamp is not over this record."),
                             stated.hex(), computed.hex())
    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise _invalid(_("The timestamp has {count} signers; one is expected.").format(count=len(infos)))
    signer = infos[0]
    trusted = tsa_certs is not None
    candidates = list(tsa_certs) if trusted else [c.chosen for c in signed["certificates"] or []
                                                  if c.name == "certificate"]
    cert = next((c for c in candidates if _matches(signer["sid"], c)), None)
    if cert is None:
        raise _invalid(_("The timestamp was not signed by an approved time-stamping authority of the "
                         "verification configuration.") if trusted
                       else _("The timestamp does not contain its signer's certificate."))
    gen_time = tst["gen_time"].native
    validity = cert["tbs_certificate"]["validity"]
    if not validity["not_before"].native <= gen_time <= validity["not_after"].native:
        raise _invalid(_("The TSA certificate {name} was not valid at the timestamp's time {time}.")
                       .format(name=cert.subject.human_friendly, time=gen_time.isoformat()))
    _check_signature(signer, cert, signed)
    return TimestampInfo(gen_time, hash_name, cert.subject.human_friendly, trusted)


def _check_signature(signer: cms.SignerInfo, cert: ax509.Certificate, signed: cms.SignedData) -> None:
    digest_name = signer["digest_algorithm"]["algorithm"].native
    content = bytes(signed["encap_content_info"]["content"])
    attributes = signer["signed_attrs"]
    if not attributes:
        raise _invalid(_("The timestamp has no signed attributes."))
    values = {attr["type"].native: attr["values"] for attr in attributes}
    message_digest = values.get("message_digest")
    try:
        expected = hashlib.new(digest_name, content).digest()
    except (ValueError, TypeError) as exc:
        raise _invalid(_("The timestamp uses an unknown digest algorithm {name}.")
                       .format(name=digest_name)) from exc
    if message_digest is None or message_digest[0].native != expected:
        raise _invalid(_("The timestamp's signed attributes do not match its content."))
    content_type = values.get("content_type")
    if content_type is None or content_type[0].native != "tst_info":
        raise _invalid(_("The timestamp's signed attributes name the wrong content type."))
    _check_signing_certificate(values, cert)
    signed_bytes = b"\x31" + attributes.dump()[1:]  # signed over the DER SET, not the [0] tag
    try:
        ok = verify_asn1(public_key(cert), signer["signature_algorithm"], signer["signature"].native,
                         signed_bytes, digest_name)
    except (SignatureAlgorithmError, ValueError) as exc:
        raise _invalid(_("The timestamp's signature algorithm is not supported: {error}")
                       .format(error=exc)) from exc
    if not ok:
        raise _invalid(_("Failed to verify timestamp: its signature is not valid."))


def _check_signing_certificate(values: dict, cert: ax509.Certificate) -> None:
    """RFC 3161 tokens name their signer in an ESS signing-certificate attribute (v1: SHA-1)."""
    if "signing_certificate_v2" in values:
        ids = values["signing_certificate_v2"][0]["certs"]
        hash_name = ids[0]["hash_algorithm"]["algorithm"].native if len(ids) else "sha256"
    elif "signing_certificate" in values:
        ids, hash_name = values["signing_certificate"][0]["certs"], "sha1"
    else:
        raise _invalid(_("The timestamp has no signing-certificate attribute naming its signer."))
    if not len(ids) or ids[0]["cert_hash"].native != hashlib.new(hash_name, cert.dump()).digest():
        raise _invalid(_("The timestamp's signing-certificate attribute names another certificate than "
                         "{name}.").format(name=cert.subject.human_friendly))
