"""Configuration anchors: X-Road's anchor XML, its hash, and the sandbox's own central server.

An anchor (``configurationAnchor`` of ``http://x-road.eu/xsd/xroad.xsd``) names an X-Road instance
and the sources its global configuration is downloaded from, each with the certificates that verify
the configuration's signature. :func:`parse_anchor` checks an uploaded file as X-Road's
``ConfigurationAnchor`` does (XML schema ``private-parameters.xsd`` version 2; any failure is
``malformed_anchor``); :func:`anchor_hash` is ``SystemService.calculateAnchorHexHash`` (SHA-224,
upper-case hex).

:class:`CentralServer` is the simulated central server of the sandbox's instance: a configuration
signing key and certificate made on the first start (as the central server's ``N/A`` certificate),
and the internal configuration anchor naming them. Its simulated configuration client accepts an
anchor only when one of its sources is that central server and lists its verification certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import write_private
from backend.sandbox.wire import fmt_time, utcnow

XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
IDENTIFIERS_NS = "http://x-road.eu/xsd/identifiers"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: where the simulated central server publishes the internal configuration (X-Road's form is
#: ``http://<central server address>/internalconf``); fixed, so the anchor and its hash never change
SOURCE_PATH = "/sandbox/internalconf"
DOWNLOAD_URL = "http://127.0.0.1" + SOURCE_PATH
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CENTRAL_DIR_NAME = "central-server"
ANCHOR_FILE_NAME = "configuration-anchor.xml"

_SEP = " "  # expat's namespace separator: "<namespace URI> <local name>"
_DATETIME = re.compile(
    r"^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_XML_SPACE = " \t\r\n"


@dataclass(frozen=True)
class AnchorSource:
    """One ``source``: where the configuration is downloaded and the certificates verifying it."""

    download_url: str
    verification_certs: tuple[bytes, ...]


@dataclass(frozen=True)
class ConfigurationAnchor:
    """A parsed anchor; ``generated_at`` is optional in X-Road's schema."""

    instance_identifier: str
    generated_at: dt.datetime | None
    sources: tuple[AnchorSource, ...]


def anchor_hash(data: bytes) -> str:
    """The anchor's hash as X-Road's API reports it: SHA-224 of the file, upper-case hex."""
    return hashlib.sha224(data).hexdigest().upper()


def delimited(hash_hex: str) -> str:
    """``AB:CD:…``, as X-Road's user interfaces show an anchor hash."""
    return ":".join(hash_hex[i:i + 2] for i in range(0, len(hash_hex), 2))


def download_filename(generated_at: dt.datetime) -> str:
    """``configuration_anchor_UTC_yyyy-MM-dd_HH_mm_ss.xml`` (``SystemService``)."""
    return "configuration_anchor_UTC_" + generated_at.strftime("%Y-%m-%d_%H_%M_%S") + ".xml"


# -- parsing --------------------------------------------------------------------------------------


def _malformed() -> SandboxError:
    return SandboxError("malformed_anchor",
                        _("The file is not a valid configuration anchor."), status=400)


@dataclass
class _Element:
    name: str  # "<namespace> <local>" or "<local>"
    attributes: dict[str, str]
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


def _tree(data: bytes) -> _Element:
    """The document's element tree; DOCTYPEs (and with them entity declarations) are refused."""
    parser = expat.ParserCreate(namespace_separator=_SEP)
    stack: list[_Element] = []
    root: list[_Element] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        element = _Element(name, attributes)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    def refuse(*args: object) -> None:
        raise _malformed()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise _malformed() from None
    return root[0]


def _check_attributes(element: _Element) -> None:
    """The schema declares no attributes; only ``xsi:`` ones are allowed."""
    if any(not name.startswith(XSI_NS + _SEP) for name in element.attributes):
        raise _malformed()


def _simple(element: _Element) -> str:
    """The text of an element of simple type (no child elements)."""
    _check_attributes(element)
    if element.children:
        raise _malformed()
    return "".join(element.text)


def _complex(element: _Element) -> list[_Element]:
    """The child elements of an element of (non-mixed) complex type."""
    _check_attributes(element)
    if "".join(element.text).strip(_XML_SPACE):
        raise _malformed()
    return element.children


def _date_time(text: str) -> dt.datetime:
    """An ``xs:dateTime``; without a time zone it is read as UTC (the server's zone)."""
    match = _DATETIME.match(text.strip(_XML_SPACE))
    if not match:
        raise _malformed()
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                            int(second), int((fraction or ".0")[1:7].ljust(6, "0")),
                            tzinfo=dt.UTC)
    except ValueError:
        raise _malformed() from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise _malformed()
        value -= sign * dt.timedelta(hours=hours, minutes=minutes)
    return value


def _base64(text: str) -> bytes:
    """An ``xs:base64Binary`` (whitespace ignored, canonical padding bits, as Xerces checks)."""
    compact = "".join(text.split())
    if not _BASE64.match(compact):
        raise _malformed()
    if compact.endswith("==") and "AQgw".find(compact[-3]) < 0:
        raise _malformed()
    if compact.endswith("=") and not compact.endswith("==") and compact[-2] not in (
            "AEIMQUYcgkosw048"):
        raise _malformed()
    return base64.b64decode(compact)


def _local(element: _Element) -> str:
    """The name of a child element, which the schema leaves unqualified (no namespace)."""
    if _SEP in element.name:
        raise _malformed()
    return element.name


def _source(element: _Element) -> AnchorSource:
    children = _complex(element)
    names = [_local(child) for child in children]
    if len(names) < 2 or names[0] != "downloadURL" or set(names[1:]) != {"verificationCert"}:
        raise _malformed()
    return AnchorSource(_simple(children[0]),
                        tuple(_base64(_simple(child)) for child in children[1:]))


def parse_anchor(data: bytes) -> ConfigurationAnchor:
    """Read an anchor file; ``malformed_anchor`` (400) unless it is one (X-Road's schema check)."""
    root = _tree(data)
    if root.name != XROAD_NS + _SEP + "configurationAnchor":
        raise _malformed()
    children = _complex(root)
    names = [_local(child) for child in children]
    generated_at = None
    if names[:1] == ["generatedAt"]:
        generated_at = _date_time(_simple(children[0]))
        children, names = children[1:], names[1:]
    if len(names) < 2 or names[0] != "instanceIdentifier" or set(names[1:]) != {"source"}:
        raise _malformed()
    return ConfigurationAnchor(
        instance_identifier=_simple(children[0]),
        generated_at=generated_at,
        sources=tuple(_source(child) for child in children[1:]),
    )


def anchor_xml(instance: str, generated_at: dt.datetime, download_url: str,
               certificates: list[bytes]) -> bytes:
    """An anchor file as the central server writes it (JAXB's formatted output)."""
    certs = "".join(
        f"        <verificationCert>{base64.b64encode(der).decode()}</verificationCert>\n"
        for der in certificates)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<ns3:configurationAnchor xmlns:ns2="{IDENTIFIERS_NS}" xmlns:ns3="{XROAD_NS}">\n'
        f"    <generatedAt>{fmt_time(generated_at)}</generatedAt>\n"
        f"    <instanceIdentifier>{escape(instance)}</instanceIdentifier>\n"
        "    <source>\n"
        f"        <downloadURL>{escape(download_url)}</downloadURL>\n"
        f"{certs}"
        "    </source>\n"
        "</ns3:configurationAnchor>\n"
    ).encode()


# -- the simulated central server ------------------------------------------------------------------


def _verification_failure(code: str) -> SandboxError:
    messages = {
        "conf_verification.unreachable": _(
            "The configuration source in the anchor cannot be reached: the sandbox's simulated "
            "central server serves only its own instance."),
        "conf_verification.signature_invalid": _(
            "The configuration cannot be verified with the certificates in the anchor."),
        "conf_verification.other": _("The configuration from the anchor's source is not valid."),
    }
    return SandboxError(code, messages[code], status=500)


def _is_own_source(url: str) -> bool:
    """Whether a download URL points at the simulated central server (on any loopback port)."""
    try:
        parts = urlsplit(url.strip(_XML_SPACE))
        host = parts.hostname
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and host in LOOPBACK_HOSTS
            and parts.path == SOURCE_PATH)


def _signing_certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    """A self-signed certificate like the central server's configuration signing certificates."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "N/A")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2038, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA512())
    )


@dataclass(frozen=True)
class CentralServer:
    """The sandbox instance's central server: its signing certificate and internal anchor."""

    instance: str
    signing_cert: x509.Certificate
    anchor: bytes

    def verify(self, anchor: ConfigurationAnchor) -> None:
        """What the configuration client finds when it downloads from the anchor's sources.

        No source of the sandbox's central server: ``conf_verification.unreachable``; a source
        without its certificate: ``…signature_invalid``; another instance named:
        ``…other`` (the downloaded configuration is the sandbox instance's). All are 500.
        """
        own = self.signing_cert.public_bytes(serialization.Encoding.DER)
        reachable = [s for s in anchor.sources if _is_own_source(s.download_url)]
        if not reachable:
            raise _verification_failure("conf_verification.unreachable")
        if not any(own in source.verification_certs for source in reachable):
            raise _verification_failure("conf_verification.signature_invalid")
        if anchor.instance_identifier != self.instance:
            raise _verification_failure("conf_verification.other")


def ensure_central_server(directory: Path, instance: str) -> CentralServer:
    """Load the central server kept in ``directory``; make its key, certificate and anchor first.

    The anchor is made again (with a new ``generatedAt``) only when the instance has changed.
    """
    key_path = directory / "confsign.key"
    cert_path = directory / "confsign.crt"
    anchor_path = directory / ANCHOR_FILE_NAME
    if key_path.exists() and cert_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _signing_certificate(key)
        write_private(key_path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        anchor_path.unlink(missing_ok=True)
    anchor = anchor_path.read_bytes() if anchor_path.exists() else b""
    try:
        current = parse_anchor(anchor).instance_identifier if anchor else None
    except SandboxError:
        current = None
    if current != instance:
        anchor = anchor_xml(instance, utcnow(), DOWNLOAD_URL,
                            [cert.public_bytes(serialization.Encoding.DER)])
        anchor_path.write_bytes(anchor)
    return CentralServer(instance, cert, anchor)
