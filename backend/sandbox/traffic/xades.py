"""``META-INF/signatures.xml``: the XAdES signature X-Road's signer puts on a message or a batch.

The layout is X-Road's ``SignatureXmlBuilder`` as the proxy serialises it (see the real containers
in the reference fixtures): an ``asic:XAdESSignatures`` root with the ``asic``, ``ds``, ``xades``
and ``xsi`` namespaces, one ``ds:Signature`` with inclusive C14N 1.0 and RSA-SHA512, a reference to
the signed data (``/message.xml``, or ``/sig-hashchainresult.xml`` for a batch) and one to the
``#signed-properties`` (signing time, the signing certificate's SHA-512 and issuer/serial, X-Road's
signature policy, the data object's MIME type), the signer certificate in ``ds:KeyInfo`` and the
OCSP response of the signer certificate in ``xades:RevocationValues``.

The document is written from templates, and so is the canonical form of the two elements whose
digests are signed (``ds:SignedInfo`` and ``xades:SignedProperties``): inclusive C14N gives the
apex element every namespace declaration in scope and expands empty elements, which the templates
do in the same way. ``tests/sandbox/test_traffic.py`` checks the canonical forms against lxml's
C14N and the signature with signxml.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cached_property
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MESSAGE_URI = "/message.xml"
HASH_CHAIN_RESULT_URI = "/sig-hashchainresult.xml"

_NS = ('xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
       'xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
_SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
_SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
_POLICY_ID = "urn:oid:1.3.6.1.4.1.3516.16.2"
_POLICY_DESCRIPTION = "Profile for High Performance Digital Signatures (version 1.2)"
_POLICY_DIGEST = "BuO0EDNfkxSVlUbxCzmQPzX1AUF1/xx9ytWHk3/6SAOePxQiniEfDYk+90QeYb3lWpV3Izhuz9fKaYyE+lTcXw=="
_POLICY_URI = "https://repo.cyber.ee/dsig-profile-1.2.pdf"
_UNSIGNED_START = "<xades:UnsignedSignatureProperties>"
#: a CR LF inside base64 text: how the document writes it, and how C14N does
_DOC_BREAK = "&#13;\n"
_C14N_BREAK = "&#xD;\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _lines(data: bytes, newline: str) -> str:
    """Base64 in lines of 76 characters, as Apache Santuario writes digests and certificates."""
    text = _b64(data)
    return newline.join(text[i:i + 76] for i in range(0, len(text), 76))


def _empty(name: str, attributes: str, canonical: bool) -> str:
    return f"<{name} {attributes}></{name}>" if canonical else f"<{name} {attributes}/>"


def signing_time(moment: dt.datetime) -> str:
    """``xades:SigningTime`` as JAXB prints a UTC calendar: ``2024-12-05T07:34:12.314Z``."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class SignerCertificate:
    """A signing key with its certificate, and what every signature repeats about them."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @cached_property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @cached_property
    def key_info(self) -> str:
        return (f"<ds:KeyInfo>\n<ds:X509Data>\n<ds:X509Certificate>\n{_lines(self.der, _DOC_BREAK)}\n"
                "</ds:X509Certificate>\n</ds:X509Data>\n</ds:KeyInfo>\n")

    @cached_property
    def cert_digest(self) -> str:
        return _b64(hashlib.sha512(self.der).digest())

    @cached_property
    def issuer_name(self) -> str:
        return escape(self.cert.issuer.rfc4514_string())


def _signed_properties(signer: SignerCertificate, when: str, mime_type: str, canonical: bool) -> str:
    method = _empty("ds:DigestMethod", f'Algorithm="{_SHA512}"', canonical)
    apex = f'<xades:SignedProperties {_NS} Id="signed-properties">' if canonical else \
        '<xades:SignedProperties Id="signed-properties">'
    return (
        f"{apex}<xades:SignedSignatureProperties><xades:SigningTime>{when}</xades:SigningTime>"
        f"<xades:SigningCertificate><xades:Cert><xades:CertDigest>{method}"
        f"<ds:DigestValue>{signer.cert_digest}</ds:DigestValue></xades:CertDigest>"
        f"<xades:IssuerSerial><ds:X509IssuerName>{signer.issuer_name}</ds:X509IssuerName>"
        f"<ds:X509SerialNumber>{signer.cert.serial_number}</ds:X509SerialNumber></xades:IssuerSerial>"
        "</xades:Cert></xades:SigningCertificate><xades:SignaturePolicyIdentifier>"
        '<xades:SignaturePolicyId><xades:SigPolicyId><xades:Identifier Qualifier="OIDAsURN">'
        f"{_POLICY_ID}</xades:Identifier><xades:Description>{_POLICY_DESCRIPTION}"
        f"</xades:Description></xades:SigPolicyId><xades:SigPolicyHash>{method}"
        f"<ds:DigestValue>{_POLICY_DIGEST}</ds:DigestValue></xades:SigPolicyHash>"
        "<xades:SigPolicyQualifiers><xades:SigPolicyQualifier>"
        f"<xades:SPURI>{_POLICY_URI}</xades:SPURI></xades:SigPolicyQualifier>"
        "</xades:SigPolicyQualifiers></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>"
        "</xades:SignedSignatureProperties><xades:SignedDataObjectProperties>"
        '<xades:DataObjectFormat ObjectReference="#signature-reference-0">'
        f"<xades:MimeType>{mime_type}</xades:MimeType></xades:DataObjectFormat>"
        "</xades:SignedDataObjectProperties></xades:SignedProperties>"
    )


def _signed_info(uri: str, data_digest: bytes, properties_digest: bytes, canonical: bool) -> str:
    newline = _C14N_BREAK if canonical else _DOC_BREAK
    method = _empty("ds:DigestMethod", f'Algorithm="{_SHA512}"', canonical)
    apex = f"<ds:SignedInfo {_NS}>" if canonical else "<ds:SignedInfo>"
    c14n = _empty("ds:CanonicalizationMethod", f'Algorithm="{_C14N}"', canonical)
    signature_method = _empty("ds:SignatureMethod", f'Algorithm="{_RSA_SHA512}"', canonical)
    return (
        f"{apex}\n{c14n}\n{signature_method}\n"
        f'<ds:Reference Id="signature-reference-0" URI="{uri}">\n{method}\n'
        f"<ds:DigestValue>{_lines(data_digest, newline)}</ds:DigestValue>\n</ds:Reference>\n"
        f'<ds:Reference Id="signature-reference-1" Type="{_SIGNED_PROPERTIES_TYPE}" '
        f'URI="#signed-properties">\n{method}\n'
        f"<ds:DigestValue>{_lines(properties_digest, newline)}</ds:DigestValue>\n</ds:Reference>\n"
        "</ds:SignedInfo>"
    )


@dataclass(frozen=True)
class Signature:
    """A finished ``signatures.xml`` and the raw signature value (what a single timestamp covers)."""

    xml: bytes
    value: bytes

    def with_timestamp(self, token_der: bytes) -> bytes:
        """The document with the time-stamp token in ``xades:SignatureTimeStamp`` (a single
        timestamp, as X-Road's ``Signature.addSignatureTimestamp`` adds it)."""
        stamp = (f"<xades:SignatureTimeStamp><xades:EncapsulatedTimeStamp>{_b64(token_der)}"
                 "</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>")
        marker = _UNSIGNED_START.encode()
        return self.xml.replace(marker, marker + stamp.encode(), 1)


@dataclass(frozen=True)
class _Parts:
    """What a signature document is made of, before and after the value is computed."""

    uri: str
    mime_type: str
    moment: str
    data_digest: bytes
    properties_digest: bytes


def _parts(signer: SignerCertificate, when: str, data_digest: bytes, batch: bool) -> _Parts:
    uri = HASH_CHAIN_RESULT_URI if batch else MESSAGE_URI
    mime_type = "application/hash-chain-result" if batch else "text/xml"
    properties_digest = hashlib.sha512(
        _signed_properties(signer, when, mime_type, canonical=True).encode()).digest()
    return _Parts(uri, mime_type, when, data_digest, properties_digest)


def _document(signer: SignerCertificate, ocsp_der: bytes, parts: _Parts, value: bytes) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="no"?><asic:XAdESSignatures {_NS}>'
        '<ds:Signature Id="signature">\n'
        f"{_signed_info(parts.uri, parts.data_digest, parts.properties_digest, canonical=False)}\n"
        f'<ds:SignatureValue Id="signature-value">\n{_b64(value)}\n</ds:SignatureValue>\n'
        f"{signer.key_info}"
        '<ds:Object><xades:QualifyingProperties Target="#signature">'
        f"{_signed_properties(signer, parts.moment, parts.mime_type, canonical=False)}"
        f"<xades:UnsignedProperties>{_UNSIGNED_START}<xades:RevocationValues><xades:OCSPValues>"
        f'<xades:EncapsulatedOCSPValue Id="ocsp-response-1">{_b64(ocsp_der)}'
        "</xades:EncapsulatedOCSPValue></xades:OCSPValues></xades:RevocationValues>"
        "</xades:UnsignedSignatureProperties></xades:UnsignedProperties></xades:QualifyingProperties>"
        "</ds:Object>\n</ds:Signature></asic:XAdESSignatures>"
    ).encode()


def sign(
    signer: SignerCertificate,
    ocsp_der: bytes,
    when: dt.datetime,
    data: bytes,
    *,
    batch: bool,
) -> Signature:
    """Sign ``data``: the bytes of ``message.xml`` or, for a batch, of ``sig-hashchainresult.xml``."""
    parts = _parts(signer, signing_time(when), hashlib.sha512(data).digest(), batch)
    canonical_info = _signed_info(parts.uri, parts.data_digest, parts.properties_digest,
                                  canonical=True)
    value = signer.key.sign(canonical_info.encode(), padding.PKCS1v15(), hashes.SHA512())
    return Signature(_document(signer, ocsp_der, parts, value), value)
