"""Who signed a record: the member named in the message, and the member named in the certificate.

X-Road (``AsicContainerVerifier.getSigner``) takes the signer from the message: a SOAP request's
``client``, a SOAP response's ``service`` owner, a REST request's ``X-Road-Client``, a REST
response's ``X-Road-Service`` owner. ``SignatureVerifier.verifySignerName`` then reads the member
from the signing certificate with the CA's certificate profile and requires the same instance,
member class and member code (``incorrect_certificate``). The profiles below are X-Road's own;
a configuration naming another profile leaves the name unchecked (reported, not failed).
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import x509 as ax509

from backend.archive.verify.xmlutil import XmlError, local, parse_xml
from backend.i18n import _

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XROAD = "http://x-road.eu/xsd/xroad.xsd"
IDS = "http://x-road.eu/xsd/identifiers"

_PROFILES = "ee.ria.xroad.common.certificateprofile.impl."
BASIC = _PROFILES + "BasicCertificateProfileInfoProvider"
EJBCA = _PROFILES + "EjbcaCertificateProfileInfoProvider"
FIVRK = _PROFILES + "FiVRKCertificateProfileInfoProvider"


class SignerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ClientId:
    instance: str
    member_class: str
    member_code: str
    subsystem: str | None = None

    def member_equals(self, other: ClientId) -> bool:
        return (self.instance, self.member_class, self.member_code) == (
            other.instance, other.member_class, other.member_code)

    def __str__(self) -> str:
        parts = [self.instance, self.member_class, self.member_code]
        return "/".join([*parts, self.subsystem] if self.subsystem else parts)


def _soap_id(element) -> ClientId | None:
    def value(name: str) -> str | None:
        node = element.find(f"{{{IDS}}}{name}")
        return node.text.strip() if node is not None and node.text else None

    instance, member_class, code = value("xRoadInstance"), value("memberClass"), value("memberCode")
    if not (instance and member_class and code):
        return None
    return ClientId(instance, member_class, code, value("subsystemCode"))


def _rest_id(value: str) -> ClientId | None:
    parts = value.strip().split("/")
    if len(parts) < 3 or not all(parts[:3]):
        return None
    return ClientId(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 and parts[3] else None)


def _rest_signer(message: bytes) -> ClientId:
    text = message.decode("utf-8", "replace")
    response = bool(text) and "1" <= text[0] <= "9"
    wanted = "x-road-service" if response else "x-road-client"
    for line in text.split("\r\n")[:200]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == wanted:
            client = _rest_id(value)
            if client is not None:
                return client
    raise SignerError("invalid_message",
                      _("The REST message names no {header} header, so its signer is not known.")
                      .format(header="X-Road-Service" if response else "X-Road-Client"))


def message_signer(message: bytes) -> ClientId:
    """The member whose key signed ``message`` (SOAP or REST); raises :class:`SignerError`."""
    try:
        root = parse_xml(message)
    except XmlError:
        return _rest_signer(message)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        return _rest_signer(message)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    first = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
    response = first is not None and local(first).endswith("Response")
    element = None
    if header is not None:
        element = header.find(f"{{{XROAD}}}{'service' if response else 'client'}")
    client = _soap_id(element) if element is not None else None
    if client is None:
        raise SignerError("invalid_message",
                          _("The SOAP message names no {element} in its X-Road header, so its signer is not "
                            "known.").format(element="service" if response else "client"))
    return client


def _rdn(cert: ax509.Certificate, attribute: str) -> str | None:
    for rdn in cert.subject.chosen:
        for item in rdn:
            if item["type"].native == attribute:
                value = item["value"].native
                return value if isinstance(value, str) else str(value)
    return None


def _need(cert: ax509.Certificate, attribute: str, label: str) -> str:
    value = _rdn(cert, attribute)
    if value is None:
        raise SignerError("incorrect_certificate",
                          _("Certificate subject name does not contain {part}.").format(part=label))
    return value


def cert_member(cert: ax509.Certificate, profile: str | None, instance: str) -> ClientId | None:
    """The member a signing certificate names under ``profile``; None when the profile is unknown."""
    if profile == BASIC:
        return ClientId(instance, _need(cert, "business_category", _("business category")),
                        _need(cert, "serial_number", _("serial number")))
    if profile == FIVRK:
        if _rdn(cert, "serial_number") is None:
            if _rdn(cert, "organizational_unit_name") is None:
                return _default(cert)
            if _need(cert, "country_name", _("country code")) != "FI":
                raise SignerError("incorrect_certificate",
                                  _("Certificate subject name does not contain valid country code."))
            return ClientId(_need(cert, "organization_name", _("organization")),
                            _need(cert, "organizational_unit_name", _("organization unit")),
                            _need(cert, "common_name", _("common name")))
        if _need(cert, "country_name", _("country code")) != "FI":
            raise SignerError("incorrect_certificate",
                              _("Certificate subject name does not contain valid country code."))
        _need(cert, "organization_name", _("organization"))
        parts = _need(cert, "serial_number", _("serial number")).split("/")
        if len(parts) != 3:
            raise SignerError("incorrect_certificate",
                              _("Certificate subject name's attribute serialNumber has invalid value."))
        return ClientId(parts[0], parts[2], _need(cert, "common_name", _("common name")))
    if profile == EJBCA:
        return _default(cert)
    return None


def _default(cert: ax509.Certificate) -> ClientId:
    """X-Road's default decoding: C = instance, O = member class, CN = member code."""
    return ClientId(_need(cert, "country_name", _("country code")),
                    _need(cert, "organization_name", _("organization")),
                    _need(cert, "common_name", _("common name")))
