"""A verification configuration, read as X-Road's ``asicverifier`` reads it.

The directory holds ``instance-identifier`` and, per instance, ``<INSTANCE>/shared-params.xml``
(``/etc/xroad/globalconf`` on a security server, or the unpacked ``verificationconf.zip``). From
each shared-params Kapka takes the approved CAs (top CA and intermediate certificates, OCSP
responder certificates, the certificate profile), the approved TSAs and ``ocspFreshnessSeconds``.

Certificates are base64 of DER in real configurations; X-Road's own test configuration holds base64
of PEM text instead, so both are accepted.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as ax509
from lxml import etree

from backend.archive.verify.xmlutil import XmlError, parse_xml
from backend.errors import KapkaError
from backend.i18n import _

DEFAULT_OCSP_FRESHNESS = 3600
_MAX_FILE = 16 * 1024 * 1024


class ConfigurationError(KapkaError):
    """The verification configuration cannot be used (a usage error on the command line)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, _("Verification configuration"))


@dataclass(frozen=True, slots=True)
class ApprovedCa:
    name: str
    instance: str
    cert: ax509.Certificate
    intermediates: tuple[ax509.Certificate, ...] = ()
    ocsp_certs: tuple[ax509.Certificate, ...] = ()
    profile: str | None = None
    authentication_only: bool = False


@dataclass(frozen=True, slots=True)
class ApprovedTsa:
    name: str
    instance: str
    cert: ax509.Certificate


@dataclass(slots=True)
class VerificationConf:
    path: str
    instance: str | None
    cas: list[ApprovedCa] = field(default_factory=list)
    tsas: list[ApprovedTsa] = field(default_factory=list)
    ocsp_freshness: dict[str, int] = field(default_factory=dict)

    @property
    def instances(self) -> list[str]:
        return sorted(self.ocsp_freshness)

    def cas_of(self, instance: str) -> list[ApprovedCa]:
        return [ca for ca in self.cas if ca.instance == instance]

    def freshness(self, instance: str | None) -> int:
        if instance in self.ocsp_freshness:
            return self.ocsp_freshness[instance]
        if self.instance in self.ocsp_freshness:
            return self.ocsp_freshness[self.instance]
        return DEFAULT_OCSP_FRESHNESS

    def ca_for_issuer(self, instance: str, cert: ax509.Certificate) -> ApprovedCa | None:
        """The approved CA whose top or intermediate certificate issued ``cert``."""
        for ca in self.cas_of(instance):
            for candidate in (ca.cert, *ca.intermediates):
                if candidate.subject == cert.issuer:
                    return ca
        return None


def decode_certificate(text: str | None, where: str) -> ax509.Certificate:
    """A certificate from base64 of DER or base64 of PEM text."""
    try:
        data = base64.b64decode("".join((text or "").split()), validate=True)
        if data.lstrip().startswith(b"-----BEGIN"):
            _type, _headers, data = pem.unarmor(data.strip())
        cert = ax509.Certificate.load(data)
        cert.native  # noqa: B018  (parse now, so a broken certificate fails here and not later)
        return cert
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ConfigurationError(_("{where} does not hold a certificate: {error}")
                                 .format(where=where, error=exc)) from exc


def _text(element: etree._Element, name: str) -> str | None:
    node = element.find(name)
    return node.text.strip() if node is not None and node.text else None


def _certs(parent: etree._Element, path: str, where: str) -> tuple[ax509.Certificate, ...]:
    return tuple(decode_certificate(node.text, where) for node in parent.iterfind(path))


def _read_shared_params(path: Path, instance: str, conf: VerificationConf) -> None:
    try:
        data = path.read_bytes()[:_MAX_FILE + 1]
        if len(data) > _MAX_FILE:
            raise ConfigurationError(_("{path} is larger than 16 MiB; it is not read.").format(path=path))
        root = parse_xml(data)
    except (OSError, XmlError) as exc:
        raise ConfigurationError(_("{path} cannot be read: {error}").format(path=path, error=exc)) from exc
    for element in root.iter():  # the elements are unqualified; drop any namespace to be lenient
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = etree.QName(element).localname
    stated = _text(root, "instanceIdentifier")
    if stated is not None:
        instance = stated
    for index, node in enumerate(root.iterfind("approvedCA"), 1):
        name = _text(node, "name") or f"#{index}"
        where = _("approved CA {name} in {path}").format(name=name, path=path)
        top = node.find("topCA/cert")
        if top is None:
            raise ConfigurationError(_("The {where} has no topCA certificate.").format(where=where))
        conf.cas.append(ApprovedCa(
            name=name, instance=instance, cert=decode_certificate(top.text, where),
            intermediates=_certs(node, "intermediateCA/cert", where),
            ocsp_certs=(*_certs(node, "topCA/ocsp/cert", where),
                        *_certs(node, "intermediateCA/ocsp/cert", where)),
            profile=_text(node, "certificateProfileInfo"),
            authentication_only=(_text(node, "authenticationOnly") or "").lower() == "true"))
    for index, node in enumerate(root.iterfind("approvedTSA"), 1):
        name = _text(node, "name") or f"#{index}"
        where = _("approved TSA {name} in {path}").format(name=name, path=path)
        cert = node.find("cert")
        if cert is None:
            raise ConfigurationError(_("The {where} has no certificate.").format(where=where))
        conf.tsas.append(ApprovedTsa(name, instance, decode_certificate(cert.text, where)))
    freshness = _text(root, "globalSettings/ocspFreshnessSeconds")
    try:
        conf.ocsp_freshness[instance] = int(freshness) if freshness else DEFAULT_OCSP_FRESHNESS
    except ValueError as exc:
        raise ConfigurationError(_("ocspFreshnessSeconds in {path} is not a number: {value}")
                                 .format(path=path, value=freshness)) from exc


def load_verification_conf(directory: Path | str) -> VerificationConf:
    """Read a verification configuration directory; raises :class:`ConfigurationError`."""
    root = Path(directory)
    if not root.is_dir():
        raise ConfigurationError(_("{path} is not a directory. Give the global configuration directory "
                                   "(for example /etc/xroad/globalconf) or an unpacked verificationconf.zip.")
                                 .format(path=root))
    own = None
    identifier = root / "instance-identifier"
    if identifier.is_file():
        own = identifier.read_text(encoding="utf-8", errors="replace").strip() or None
    conf = VerificationConf(str(root), own)
    found = sorted(p for p in root.iterdir() if (p / "shared-params.xml").is_file())
    if not found:
        raise ConfigurationError(_("{path} holds no <INSTANCE>/shared-params.xml. Give the global "
                                   "configuration directory (for example /etc/xroad/globalconf).")
                                 .format(path=root))
    for instance_dir in found:
        _read_shared_params(instance_dir / "shared-params.xml", instance_dir.name, conf)
    if not conf.cas:
        raise ConfigurationError(_("{path} lists no approved certification authorities.").format(path=root))
    return conf
