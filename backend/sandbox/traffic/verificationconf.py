"""A verification configuration of the sandbox's instance, as X-Road's ``/verificationconf`` gives it.

``<dir>/instance-identifier`` and ``<dir>/<INSTANCE>/shared-params.xml`` (with its ``.metadata``):
the approved CAs with their OCSP responders, the approved timestamping authorities, the member
classes and members with their subsystems, and the OCSP freshness. This is what X-Road's
``asicverifier`` and ``kapka archives verify --conf`` take to check signer certificates, OCSP
responses and timestamps. Certificates are base64 DER, as a real global configuration holds them.
"""

from __future__ import annotations

import base64
from pathlib import Path
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from backend.sandbox.pki import Pki
from backend.sandbox.seed import Seed

DEFAULT_BASE_URL = "https://127.0.0.1:4000"


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def shared_params(seed: Seed, pki: Pki, base_url: str = DEFAULT_BASE_URL) -> bytes:
    """``shared-params.xml`` (configuration version 3) of the seed's instance."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<ns3:conf xmlns:ns2="http://x-road.eu/xsd/identifiers" '
           'xmlns:ns3="http://x-road.eu/xsd/xroad.xsd">\n',
           f"    <instanceIdentifier>{escape(seed.instance)}</instanceIdentifier>\n"]
    for issuer in pki.issuers:
        seed_ca = seed.ca_by_name(issuer.name) or seed.ca
        responder = ""
        if issuer.responder.cert != issuer.ca.cert:
            responder = f"                <cert>{_b64(issuer.responder.cert)}</cert>\n"
        out.append(
            "    <approvedCA>\n"
            f"        <name>{escape(issuer.name)}</name>\n"
            f"        <authenticationOnly>{str(seed_ca.authentication_only).lower()}"
            "</authenticationOnly>\n"
            f"        <topCA>\n            <cert>{_b64(issuer.ca.cert)}</cert>\n"
            f"            <ocsp>\n                <url>{escape(base_url + seed_ca.ocsp.path)}</url>\n"
            f"{responder}            </ocsp>\n        </topCA>\n"
            f"        <certificateProfileInfo>{escape(seed_ca.certificate_profile_info)}"
            "</certificateProfileInfo>\n    </approvedCA>\n")
    for service in seed.timestamping_services:
        authority = pki.tsas.get(service.name)
        if authority is not None:
            out.append(f"    <approvedTSA>\n        <name>{escape(service.name)}</name>\n"
                       f"        <url>{escape(base_url + service.path)}</url>\n"
                       f"        <cert>{_b64(authority.cert)}</cert>\n    </approvedTSA>\n")
    descriptions = dict(seed.member_classes)
    number = 0
    for member in seed.members:
        out.append(f'    <member id="id{number}">\n        <memberClass>\n'
                   f"            <code>{escape(member.member_class)}</code>\n"
                   f"            <description>{escape(descriptions.get(member.member_class, ''))}"
                   "</description>\n        </memberClass>\n"
                   f"        <memberCode>{escape(member.code)}</memberCode>\n"
                   f"        <name>{escape(member.name)}</name>\n")
        number += 1
        for subsystem in member.subsystems:
            out.append(f'        <subsystem id="id{number}">\n'
                       f"            <subsystemCode>{escape(subsystem)}</subsystemCode>\n"
                       "        </subsystem>\n")
            number += 1
        out.append("    </member>\n")
    out.append("    <globalSettings>\n")
    out += [f"        <memberClass>\n            <code>{escape(code)}</code>\n"
            f"            <description>{escape(text)}</description>\n        </memberClass>\n"
            for code, text in seed.member_classes]
    out.append(f"        <ocspFreshnessSeconds>{seed.ca.ocsp.response_validity_seconds}"
               "</ocspFreshnessSeconds>\n    </globalSettings>\n</ns3:conf>\n")
    return "".join(out).encode()


def write(directory: Path, seed: Seed, pki: Pki, base_url: str = DEFAULT_BASE_URL) -> Path:
    """Write the verification configuration into ``directory``; returns it."""
    instance_dir = directory / seed.instance
    instance_dir.mkdir(parents=True, exist_ok=True)
    (directory / "instance-identifier").write_text(seed.instance, encoding="utf-8")
    (instance_dir / "shared-params.xml").write_bytes(shared_params(seed, pki, base_url))
    (instance_dir / "shared-params.xml.metadata").write_text('{"configurationVersion":"3"}',
                                                           encoding="utf-8")
    return directory
