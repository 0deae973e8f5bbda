"""Safe XML parsing and the digest algorithm URIs of XML signatures and hash chains."""

from __future__ import annotations

import base64
import binascii
import hashlib

from lxml import etree

# No DTDs, no entities, no network: the XML comes from archive files anyone could have written.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=False)

DIGEST_URIS: dict[str, str] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}

#: X-Road's names (linkinginfo header, hash-algo-id) → hashlib names
ALGORITHM_NAMES: dict[str, str] = {
    "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384",
    "SHA-512": "sha512", "SHA3-256": "sha3_256", "SHA3-512": "sha3_512",
}


class XmlError(ValueError):
    """The XML cannot be parsed; the message says why."""


def parse_xml(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlError(str(exc)) from exc


def hash_name(uri: str | None) -> str | None:
    """The hashlib name of a digest method URI, None when unknown."""
    return DIGEST_URIS.get(uri or "")


def digest(uri: str, data: bytes) -> bytes:
    name = hash_name(uri)
    if name is None:
        raise ValueError(uri)
    return hashlib.new(name, data).digest()


def b64(text: str | None) -> bytes:
    """Base64 as XML signatures write it (line breaks, ``&#13;`` already resolved by the parser)."""
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise XmlError(f"not base64: {exc}") from exc


def local(element: etree._Element) -> str:
    return etree.QName(element).localname
