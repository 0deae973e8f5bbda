"""Independent checks of message-log archives: every rule is recomputed here from the bytes.

Used by the traffic tests: the linkinginfo chain (reference §2.2), the container structure of the
real fixtures (§2.3), hash chains and timestamps (§2.4), the XAdES signature (with signxml), the
signer certificate against the sandbox CA and the embedded OCSP response at the timestamp's time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

NAME = re.compile(r"^mlog-(?:(?P<group>.+)-)?(?P<start>\d{14})-(?P<end>\d{14})-(?P<tag>[0-9a-f]{16})"
                  r"\.zip(?P<gpg>\.gpg)?$")
ORDER = ["mimetype", "message.xml", "META-INF/signatures.xml", "sig-hashchainresult.xml",
         "sig-hashchain.xml", "ts-hashchainresult.xml", "ts-hashchain.xml", "META-INF/manifest.xml",
         "META-INF/ASiCManifest.xml", "META-INF/timestamp.tst"]
NS = {"ds": "http://www.w3.org/2000/09/xmldsig#", "xades": "http://uri.etsi.org/01903/v1.3.2#",
      "h": "http://cyber.ee/hashchain", "id": "http://x-road.eu/xsd/identifiers",
      "xroad": "http://x-road.eu/xsd/xroad.xsd"}
SHA512_URI = "http://www.w3.org/2001/04/xmlenc#sha512"


def sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def linkinginfo(archive: zipfile.ZipFile) -> tuple[tuple[str, str, str], str]:
    """Recompute the chain of one archive: ``((prev digest, prev file, algorithm), last digest)``."""
    names = archive.namelist()
    assert names[-1] == "linkinginfo"
    lines = archive.read("linkinginfo").decode().split("\n")
    assert lines[-1] == ""
    previous, previous_file, algorithm = lines[0].split(" ")
    assert algorithm == "SHA-512"
    last = "" if previous == "-" else previous
    entries = names[:-1]
    assert [line.split(" ", 1)[1] for line in lines[1:-1]] == entries
    for line, name in zip(lines[1:-1], entries, strict=True):
        digest = hashlib.sha512(archive.read(name)).hexdigest()
        last = hashlib.sha512((last + digest).encode()).hexdigest()
        assert line.split(" ", 1)[0] == last, name
    return (previous, previous_file, algorithm), last


def hash_chain(chain: bytes, result: bytes, data: dict[str, bytes], chain_uri: str) -> None:
    """Verify a hash chain against its result; every DataRef must be one of ``data``'s digests."""
    steps = {s.get("id"): s for s in etree.fromstring(chain).findall("h:HashStep", NS)}
    root = etree.fromstring(result)
    assert root.get("URI") == f"{chain_uri}#STEP0"
    assert root.find("ds:DigestMethod", NS).get("Algorithm") == SHA512_URI

    def value(step: str) -> bytes:
        items = []
        for item in steps[step]:
            kind = etree.QName(item).localname
            if kind == "StepRef":
                items.append(value(item.get("URI")[1:]))
                continue
            digest = base64.b64decode(item.find("ds:DigestValue", NS).text)
            if kind == "DataRef":
                assert data[item.get("URI")] == digest, item.get("URI")
            items.append(digest)
        der = b"".join(_single(digest) for digest in items)
        return sha512(b"\x30" + _length(len(der)) + der)

    assert value("STEP0") == base64.b64decode(root.find("ds:DigestValue", NS).text)


def _length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _single(digest: bytes) -> bytes:
    body = b"\x04" + _length(len(digest)) + digest + b"\x0c" + _length(len(SHA512_URI)) \
        + SHA512_URI.encode() + b"\x30\x00"
    return b"\x30" + _length(len(body)) + body


@dataclass
class Parsed:
    query_id: str
    response: bool
    rest: bool
    client: tuple[str, ...]
    service_owner: tuple[str, ...]


def parse_message(message: bytes) -> Parsed:
    if message.startswith(b"<?xml"):
        root = etree.fromstring(message)
        header = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")

        def party(tag: str) -> tuple[str, ...]:
            element = header.find(f"xroad:{tag}", NS)
            return tuple(e.text for e in element if etree.QName(e).localname in (
                "memberClass", "memberCode", "subsystemCode"))

        body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
        service_code = header.find("xroad:service/id:serviceCode", NS).text
        response = etree.QName(body).localname == f"{service_code}Response"  # X-Road's rule
        assert response == (header.find("xroad:requestHash", NS) is not None)
        return Parsed(header.find("xroad:id", NS).text, response, False, party("client"),
                      party("service"))
    lines = message.decode().split("\r\n")
    assert lines[-1] == ""
    headers = dict(line.split(":", 1) for line in lines[2:-1])
    client = tuple(headers["X-Road-Client"].split("/")[1:])
    if lines[0].isdigit():
        service = tuple(headers["X-Road-Service"].split("/")[1:4])
        return Parsed(headers["X-Road-Id"], True, True, client, service)
    path = lines[1].split("?")[0].split("/")
    assert path[1] == "r1"
    return Parsed(headers["X-Road-Id"], False, True, client, tuple(unquote(p) for p in path[3:6]))


def _base32(number: int) -> str:
    digits, text = "0123456789abcdefghijklmnopqrstuv", ""
    while True:
        number, rest = divmod(number, 32)
        text = digits[rest] + text
        if not number:
            return text


def expected_name(query_id: str, response: bool, record_id: int) -> str:
    escaped = quote_plus(query_id, safe="*").replace("~", "%7E")[:226]
    return f"{escaped}-{'response' if response else 'request'}-{_base32(record_id)}.asice"


@dataclass
class Checked:
    parsed: Parsed
    signer_member: tuple[str, str]
    signer_der: bytes
    signing_time: dt.datetime
    ts_time: dt.datetime
    token: bytes
    token_data: bytes
    batch_signature: bool
    batch_timestamp: bool
    ocsp_this_update: dt.datetime


def _token(token: bytes, imprint: bytes, ca: x509.Certificate) -> dt.datetime:
    """Check a time-stamp token's imprint and its signature by a TSA certified by ``ca``."""
    signed = cms.ContentInfo.load(token)["content"]
    info_der = signed["encap_content_info"]["content"].contents
    info = signed["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha512"
    assert info["message_imprint"]["hashed_message"].native == imprint
    tsa = x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
    tsa.verify_directly_issued_by(ca)
    signer = signed["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attributes["message_digest"].native == hashlib.sha256(info_der).digest()
    key = tsa.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signer["signature"].native, signer["signed_attrs"].untag().dump(force=True),
               ec.ECDSA(hashes.SHA256()))
    return info["gen_time"].native


def container(name: str, record_id: int, data: bytes, ca: x509.Certificate) -> Checked:
    """Check one container against every rule; what it found."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    fixed = [n for n in names if not n.startswith("attachment")]
    assert fixed == [n for n in ORDER if n in fixed]
    assert names[len(fixed):] == [f"attachment{i}" for i in range(1, len(names) - len(fixed) + 1)]
    assert archive.comment == b"mimetype=application/vnd.etsi.asic-e+zip"
    assert archive.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
    assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.flag_bits & 0x808 == 0x808
               for i in archive.infolist())
    message = archive.read("message.xml")
    parsed = parse_message(message)
    assert name == expected_name(parsed.query_id, parsed.response, record_id)
    attachments = {f"/{n}": archive.read(n) for n in names if n.startswith("attachment")}
    if not parsed.rest:
        assert not attachments
    elif parsed.response:
        assert list(attachments) == ["/attachment1"]
    manifest = etree.fromstring(archive.read("META-INF/manifest.xml"))
    listed = [e.get("{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}full-path")
              for e in manifest]
    assert sorted(listed) == sorted(["/"] + [n for n in names if n != "mimetype"
                                             and not n.startswith("META-INF")])
    signatures = archive.read("META-INF/signatures.xml")
    document = etree.fromstring(signatures)
    reference = document.find(".//ds:Reference", NS).get("URI")
    batch = "sig-hashchainresult.xml" in names
    if batch:
        assert reference == "/sig-hashchainresult.xml"
        hash_chain(archive.read("sig-hashchain.xml"), archive.read("sig-hashchainresult.xml"),
                   {"/message.xml": sha512(message)} | {k: sha512(v) for k, v in attachments.items()},
                   "/sig-hashchain.xml")
        signed = archive.read("sig-hashchainresult.xml")
    else:
        assert reference == "/message.xml" and not attachments
        signed = message
    cert_der = base64.b64decode(re.sub(r"\s", "", document.find(".//ds:X509Certificate", NS).text))
    cert = x509.load_der_x509_certificate(cert_der)
    cert.verify_directly_issued_by(ca)
    config = SignatureConfiguration(signature_methods=frozenset({SignatureMethod.RSA_SHA512}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA512}))
    XMLVerifier().verify(signatures, x509_cert=cert, expect_references=2, expect_config=config,
                         uri_resolver=lambda uri: {reference: signed}[uri])
    member = (cert.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)[0].value,
              cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value)
    sender = parsed.service_owner if parsed.response else parsed.client
    assert member == tuple(sender[:2]), (member, sender)
    assert document.find(".//xades:CertDigest/ds:DigestValue", NS).text == \
        base64.b64encode(sha512(cert_der)).decode()
    signing_time = dt.datetime.fromisoformat(
        document.find(".//xades:SigningTime", NS).text.replace("Z", "+00:00"))
    if "META-INF/timestamp.tst" in names:
        assert document.find(".//xades:SignatureTimeStamp", NS) is None
        hash_chain(archive.read("ts-hashchain.xml"), archive.read("ts-hashchainresult.xml"),
                   {"/META-INF/signatures.xml": sha512(signatures)}, "/ts-hashchain.xml")
        token = archive.read("META-INF/timestamp.tst")
        token_data = archive.read("ts-hashchainresult.xml")
        asic = archive.read("META-INF/ASiCManifest.xml").decode()
        assert base64.b64encode(sha512(token_data)).decode() in asic
    else:
        token = base64.b64decode(document.find(".//xades:EncapsulatedTimeStamp", NS).text)
        token_data = base64.b64decode(re.sub(r"\s", "", document.find(
            ".//ds:SignatureValue", NS).text))
    ts_time = _token(token, sha512(token_data), ca)
    response = ocsp.load_der_ocsp_response(base64.b64decode(
        document.find(".//xades:EncapsulatedOCSPValue", NS).text))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == cert.serial_number
    responder = response.certificates[0]
    responder.verify_directly_issued_by(ca)
    responder_key = responder.public_key()
    assert isinstance(responder_key, ec.EllipticCurvePublicKey)
    responder_key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    assert response.produced_at_utc == response.this_update_utc
    assert response.this_update_utc <= signing_time <= ts_time <= response.next_update_utc
    assert ts_time - response.this_update_utc <= dt.timedelta(seconds=3600)
    assert cert.not_valid_before_utc <= signing_time <= cert.not_valid_after_utc
    return Checked(parsed, member, cert_der, signing_time, ts_time, token, token_data, batch,
                   "META-INF/timestamp.tst" in names, response.this_update_utc)
