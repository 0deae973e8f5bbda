"""Layer (c), the XAdES signature of a record (``META-INF/signatures.xml``).

X-Road signs ``/message.xml`` and ``/attachmentN`` (or ``/sig-hashchainresult.xml`` for a batch
signature) and ``#signed-properties``, with inclusive C14N 1.0 and no transforms. That profile is
checked directly: lxml canonicalises, hashlib digests, ``cryptography`` checks the signature value
(signxml spends most of a millisecond per call re-parsing the document, which a directory of a
million records cannot afford). A signature outside the profile (other transforms or
canonicalisation, other key types) goes to signxml. Both give X-Road's codes:
``invalid_signature_value`` when a digest or the value does not verify, ``malformed_signature``
when the document is not a usable signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from backend.archive.verify.crypto import SignatureAlgorithmError, public_key, verify
from backend.archive.verify.xmlutil import XmlError, b64, hash_name, parse_xml
from backend.i18n import _

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
_NS = {"ds": DS, "xades": XADES}

_C14N: dict[str, tuple[bool, bool]] = {  # URI → (exclusive, with comments)
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}
_SIGNATURE_METHODS: dict[str, tuple[str, str]] = {  # URI → (scheme, hash)
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": ("rsassa_pkcs1v15", "sha1"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224": ("rsassa_pkcs1v15", "sha224"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": ("rsassa_pkcs1v15", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": ("rsassa_pkcs1v15", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": ("rsassa_pkcs1v15", "sha512"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": ("ecdsa", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": ("ecdsa", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": ("ecdsa", "sha512"),
}
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
_ID_XPATH = etree.XPath('//@*[local-name()="Id" or local-name()="ID" or local-name()="id"][.=$ident]/..')


@lru_cache(maxsize=1024)
def load_certificate(der: bytes) -> ax509.Certificate:
    """A certificate, parsed fully once (archives repeat the same few signer certificates)."""
    cert = ax509.Certificate.load(der)
    cert.native  # noqa: B018  (parse everything now, so that a broken certificate fails here)
    return cert


class SignatureError(Exception):
    def __init__(self, code: str, message: str, entry: str | None = None,
                 expected: str | None = None, found: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.entry = entry
        self.expected = expected
        self.found = found


def _malformed(message: str) -> SignatureError:
    return SignatureError("malformed_signature", message)


@dataclass(slots=True)
class Reference:
    uri: str
    type: str | None
    digest_method: str
    digest_value: bytes
    transforms: list[str]


@dataclass(slots=True)
class XadesSignature:
    """The parts of ``signatures.xml`` that verification uses."""

    signature: etree._Element
    signed_info: etree._Element
    c14n_method: str
    signature_method: str
    signature_value: bytes
    cert: ax509.Certificate
    references: list[Reference]
    signing_time: datetime | None = None
    signing_cert_digests: list[tuple[str, bytes]] = field(default_factory=list)
    ocsp_responses: list[bytes] = field(default_factory=list)
    extra_certs: list[ax509.Certificate] = field(default_factory=list)
    timestamp: bytes | None = None     # the single timestamp (EncapsulatedTimeStamp), if any

    def references_uri(self, uri: str) -> bool:
        return any(ref.uri == uri for ref in self.references)


def _one(parent: etree._Element, path: str, what: str) -> etree._Element:
    found = parent.findall(path, _NS)
    if len(found) != 1:
        raise _malformed(_("The signature has {count} {element} elements; one is expected.")
                         .format(count=len(found), element=what))
    return found[0]


def _decoded(element: etree._Element | None, what: str) -> bytes:
    try:
        return b64(element.text if element is not None else "")
    except XmlError as exc:
        raise _malformed(_("The signature's {element} is not base64.").format(element=what)) from exc


def parse_signature(xml: bytes) -> XadesSignature:
    """Parse ``signatures.xml``; raises :class:`SignatureError` (``malformed_signature``)."""
    try:
        root = parse_xml(xml)
    except XmlError as exc:
        raise _malformed(_("signatures.xml is not well-formed XML: {error}").format(error=exc)) from exc
    signatures = [root] if root.tag == f"{{{DS}}}Signature" else root.findall("ds:Signature", _NS)
    if len(signatures) != 1:
        raise _malformed(_("signatures.xml holds {count} signatures; X-Road writes one.")
                         .format(count=len(signatures)))
    signature = signatures[0]
    signed_info = _one(signature, "ds:SignedInfo", "SignedInfo")
    c14n = _one(signed_info, "ds:CanonicalizationMethod", "CanonicalizationMethod").get("Algorithm", "")
    method = _one(signed_info, "ds:SignatureMethod", "SignatureMethod").get("Algorithm", "")
    references = []
    for ref in signed_info.iterfind("ds:Reference", _NS):
        digest_method = _one(ref, "ds:DigestMethod", "DigestMethod").get("Algorithm", "")
        references.append(Reference(
            ref.get("URI", ""), ref.get("Type"), digest_method,
            _decoded(_one(ref, "ds:DigestValue", "DigestValue"), "DigestValue"),
            [t.get("Algorithm", "") for t in ref.iterfind("ds:Transforms/ds:Transform", _NS)]))
    if not references:
        raise _malformed(_("The signature has no references."))
    cert_nodes = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if not cert_nodes:
        raise _malformed(_("Signature does not contain signing certificate."))
    try:
        cert = load_certificate(_decoded(cert_nodes[0], "X509Certificate"))
    except ValueError as exc:
        raise _malformed(_("The signing certificate cannot be parsed: {error}").format(error=exc)) from exc
    value = _decoded(_one(signature, "ds:SignatureValue", "SignatureValue"), "SignatureValue")
    parsed = XadesSignature(signature, signed_info, c14n, method, value, cert, references)
    _read_properties(signature, parsed)
    return parsed


def _read_properties(signature: etree._Element, parsed: XadesSignature) -> None:
    props = signature.find("ds:Object/xades:QualifyingProperties", _NS)
    if props is None:
        return
    time_node = props.find(".//xades:SigningTime", _NS)
    if time_node is not None and time_node.text:
        try:
            parsed.signing_time = datetime.fromisoformat(time_node.text.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed.signing_time = None
    for cert in props.iterfind(".//xades:SigningCertificate/xades:Cert/xades:CertDigest", _NS):
        node = cert.find("ds:DigestMethod", _NS)
        parsed.signing_cert_digests.append(
            (node.get("Algorithm", "") if node is not None else "",
             _decoded(cert.find("ds:DigestValue", _NS), "CertDigest")))
    for node in props.iterfind(".//xades:EncapsulatedOCSPValue", _NS):
        parsed.ocsp_responses.append(_decoded(node, "EncapsulatedOCSPValue"))
    for node in props.iterfind(".//xades:CertificateValues/xades:EncapsulatedX509Certificate", _NS):
        try:
            parsed.extra_certs.append(load_certificate(_decoded(node, "EncapsulatedX509Certificate")))
        except ValueError as exc:
            raise _malformed(_("A certificate in CertificateValues cannot be parsed.")) from exc
    stamp = props.find(".//xades:SignatureTimeStamp", _NS)
    if stamp is not None:  # 6.x containers hold the token directly in SignatureTimeStamp
        encapsulated = stamp.find("xades:EncapsulatedTimeStamp", _NS)
        parsed.timestamp = _decoded(encapsulated if encapsulated is not None else stamp,
                                    "SignatureTimeStamp")


def check_signing_certificate(sig: XadesSignature) -> None:
    """The XAdES SigningCertificate, when present, must name the certificate in KeyInfo."""
    if not sig.signing_cert_digests:
        return
    der = sig.cert.dump()
    for method, value in sig.signing_cert_digests:
        name = hash_name(method)
        if name is not None and hashlib.new(name, der).digest() == value:
            return
    raise SignatureError("incorrect_certificate",
                         _("The signed SigningCertificate does not name the certificate in KeyInfo."))


@dataclass(slots=True)
class SignatureOutcome:
    verified: list[str] = field(default_factory=list)     # references whose data matched
    unresolved: list[str] = field(default_factory=list)   # references whose data is not in the container


def _in_profile(sig: XadesSignature) -> bool:
    if sig.c14n_method not in _C14N or sig.signature_method not in _SIGNATURE_METHODS:
        return False
    for ref in sig.references:
        if hash_name(ref.digest_method) is None:
            return False
        if ref.uri.startswith("#"):
            if any(t not in _C14N for t in ref.transforms):
                return False
        elif not ref.uri or ref.transforms:
            return False
    return True


def _by_id(sig: XadesSignature, ident: str) -> etree._Element:
    found = _ID_XPATH(sig.signature, ident=ident)
    if len(found) != 1:
        raise _malformed(_("The signature reference #{id} matches {count} elements; one is expected.")
                         .format(id=ident, count=len(found)))
    element = found[0]
    if not any(parent is sig.signature for parent in element.iterancestors()):
        raise _malformed(_("The signature reference #{id} points outside the signature.").format(id=ident))
    return element


def _c14n(element: etree._Element, method: str) -> bytes:
    exclusive, comments = _C14N[method]
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=comments)


def verify_signature_value(sig: XadesSignature, resolve: Callable[[str], bytes | None]) -> SignatureOutcome:
    """Check every reference and the signature value; raises :class:`SignatureError`.

    ``resolve(uri)`` returns the bytes of ``/message.xml``, ``/attachmentN``… or None when the
    container does not hold them (the reference is then reported unresolved, not failed).
    """
    if not _in_profile(sig):
        from backend.archive.verify.xades_fallback import verify_with_signxml

        return verify_with_signxml(sig, resolve)
    outcome = SignatureOutcome()
    for index, ref in enumerate(sig.references):
        if ref.uri.startswith("#"):
            element = _by_id(sig, ref.uri[1:])
            data = _c14n(element, ref.transforms[-1] if ref.transforms else next(iter(_C14N)))
        else:
            resolved = resolve(ref.uri)
            if resolved is None:
                outcome.unresolved.append(ref.uri)
                continue
            data = resolved
        computed = hashlib.new(hash_name(ref.digest_method) or "", data).digest()
        if computed != ref.digest_value:
            raise SignatureError("invalid_signature_value",
                                 _("Signature is not valid: the digest of {uri} (reference {index}) does not "
                                   "match the signed digest.").format(uri=ref.uri, index=index),
                                 ref.uri, ref.digest_value.hex(), computed.hex())
        outcome.verified.append(ref.uri)
    scheme, digest_name = _SIGNATURE_METHODS[sig.signature_method]
    value = sig.signature_value
    if scheme == "ecdsa":
        half = len(value) // 2
        value = encode_dss_signature(int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big"))
    try:
        ok = verify(public_key(sig.cert), value, _c14n(sig.signed_info, sig.c14n_method),
                    scheme=scheme, hash_name=digest_name)
    except (SignatureAlgorithmError, ValueError) as exc:
        raise _malformed(_("The signature algorithm does not fit the signing key: {error}")
                         .format(error=exc)) from exc
    if not ok:
        raise SignatureError("invalid_signature_value",
                             _("Signature is not valid: the signature value does not verify with the "
                               "signing certificate."), "META-INF/signatures.xml")
    return outcome
