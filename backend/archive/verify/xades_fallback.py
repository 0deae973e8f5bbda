"""XAdES signatures outside X-Road's usual profile, checked with signxml."""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import pem
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from backend.archive.verify.xades import SignatureError, SignatureOutcome, XadesSignature
from backend.i18n import _


def verify_with_signxml(sig: XadesSignature, resolve: Callable[[str], bytes | None]) -> SignatureOutcome:
    """Verify with signxml; every external reference must resolve (signxml cannot skip one)."""
    outcome = SignatureOutcome()
    missing = [ref.uri for ref in sig.references
               if not ref.uri.startswith("#") and ref.uri and resolve(ref.uri) is None]
    if missing:
        raise SignatureError("invalid_reference",
                             _("The signature cannot be checked: {uri} is not in the container.")
                             .format(uri=missing[0]), missing[0])
    config = SignatureConfiguration(
        require_x509=False, signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm), expect_references=len(sig.references))
    document = etree.tostring(sig.signature.getroottree().getroot())
    cert_pem = pem.armor("CERTIFICATE", sig.cert.dump()).decode("ascii")
    try:
        XMLVerifier().verify(document, x509_cert=cert_pem, uri_resolver=resolve, expect_config=config)
    except (InvalidDigest, InvalidSignature) as exc:
        raise SignatureError("invalid_signature_value",
                             _("Signature is not valid: {error}").format(error=exc)) from exc
    except (InvalidInput, InvalidCertificate, ValueError) as exc:
        raise SignatureError("malformed_signature",
                             _("The signature cannot be checked: {error}").format(error=exc)) from exc
    outcome.verified.extend(ref.uri for ref in sig.references)
    return outcome
