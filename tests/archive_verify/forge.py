"""Message-log archives in X-Road's format, made with a throwaway CA, OCSP responder and TSA.

Used by the verification tests (generated archives, tampering) and by the benchmark. The layout
follows ``xroad-messagelog.md`` §2: XAdES ``signatures.xml`` over ``/message.xml`` (and
``/attachmentN``) and ``#signed-properties`` with inclusive C14N and RSA-SHA512; the signer's OCSP
response embedded; batch timestamps with a binary ``ts-hashchain`` per record up to the batch's
``ts-hashchainresult.xml``, or single timestamps over the signature value; archive zips with
deflate level 0 and a ``linkinginfo`` chain that continues across files.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from backend.archive.verify.hashchain import digest_list
from backend.archive.verify.signer import BASIC

SHA512_URI = "http://www.w3.org/2001/04/xmlenc#sha512"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
HC = "http://cyber.ee/hashchain"
C14N_URI = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
INSTANCE = "KAPKA-TEST"
START = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def _key(label: str) -> rsa.RSAPrivateKey:
    if label not in _KEYS:
        _KEYS[label] = rsa.generate_private_key(65537, 2048)
    return _KEYS[label]


Signer = tuple[x509.Certificate, rsa.RSAPrivateKey]


def _cert(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: Signer | None, *, ca: bool = False,
          usage: str = "sign", days: int = 365) -> x509.Certificate:
    issuer_name, issuer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(START - dt.timedelta(days=30))
               .not_valid_after(START + dt.timedelta(days=days)))
    flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                           "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
                          False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        flags.update(key_cert_sign=True, crl_sign=True)
    elif usage == "sign":
        flags.update(content_commitment=True)
    else:
        flags.update(digital_signature=True)
        eku = ExtendedKeyUsageOID.OCSP_SIGNING if usage == "ocsp" else ExtendedKeyUsageOID.TIME_STAMPING
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=usage == "tsa")
    builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Pki:
    """A CA with an OCSP responder, a TSA, and one signing certificate per member."""

    ca_key: rsa.RSAPrivateKey
    ca: x509.Certificate
    ocsp_key: rsa.RSAPrivateKey
    ocsp: x509.Certificate
    tsa_key: rsa.RSAPrivateKey
    tsa: x509.Certificate
    members: dict[str, Signer] = field(default_factory=dict)
    _ocsp_cache: dict[tuple, bytes] = field(default_factory=dict)

    @classmethod
    def create(cls, label: str = "pki") -> Pki:
        ca_key = _key(label + "-ca")
        ca = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kapka Test CA")]), ca_key, None,
                   ca=True, days=3650)
        ocsp_key, tsa_key = _key(label + "-ocsp"), _key(label + "-tsa")
        return cls(ca_key, ca, ocsp_key,
                   _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kapka Test OCSP")]), ocsp_key,
                         (ca, ca_key), usage="ocsp", days=3650),
                   tsa_key,
                   _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kapka Test TSA")]), tsa_key,
                         (ca, ca_key), usage="tsa", days=3650))

    def member(self, member_class: str, code: str) -> Signer:
        """The signing certificate of a member, in X-Road's basic profile (businessCategory, serialNumber)."""
        label = f"{member_class}/{code}"
        if label not in self.members:
            key = _key(label)
            subject = x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Member {code}"),
                x509.NameAttribute(NameOID.BUSINESS_CATEGORY, member_class),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, code),
                x509.NameAttribute(NameOID.COMMON_NAME, f"Member {code}")])
            self.members[label] = (_cert(subject, key, (self.ca, self.ca_key)), key)
        return self.members[label]

    def ocsp_response(self, cert: x509.Certificate, at: dt.datetime, status: str = "good") -> bytes:
        """The responder's answer for ``cert``, made every 20 minutes as a security server fetches it."""
        at = at.replace(minute=at.minute - at.minute % 20, second=0, microsecond=0)
        key = (cert.serial_number, at, status)
        if key not in self._ocsp_cache:
            self._ocsp_cache[key] = self._ocsp_response(cert, at, status)
        return self._ocsp_cache[key]

    def _ocsp_response(self, cert: x509.Certificate, at: dt.datetime, status: str) -> bytes:
        statuses = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED}
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.ca, algorithm=hashes.SHA1(), cert_status=statuses[status],
            this_update=at, next_update=None,
            revocation_time=at - dt.timedelta(days=1) if status == "revoked" else None,
            revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.NAME, self.ocsp)
        return builder.certificates([self.ocsp]).sign(self.ocsp_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)

    def write_conf(self, directory: Path, *, tsa: bool = True) -> Path:
        """A verification configuration directory naming this CA, OCSP responder and TSA."""
        def b64(cert: x509.Certificate) -> str:
            return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

        (directory / INSTANCE).mkdir(parents=True, exist_ok=True)
        (directory / "instance-identifier").write_text(INSTANCE)
        tsa_xml = (f"<approvedTSA><name>Kapka TSA</name><url>http://127.0.0.1:1</url><cert>{b64(self.tsa)}</cert>"
                   "</approvedTSA>") if tsa else ""
        (directory / INSTANCE / "shared-params.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><ns3:conf xmlns:ns3="http://x-road.eu/xsd/xroad.xsd">'
            f"<instanceIdentifier>{INSTANCE}</instanceIdentifier>"
            f"<approvedCA><name>Kapka CA</name><authenticationOnly>false</authenticationOnly><topCA>"
            f"<cert>{b64(self.ca)}</cert><ocsp><url>http://127.0.0.1:1</url><cert>{b64(self.ocsp)}</cert></ocsp>"
            f"</topCA><certificateProfileInfo>{BASIC}</certificateProfileInfo></approvedCA>{tsa_xml}"
            "<globalSettings><ocspFreshnessSeconds>3600</ocspFreshnessSeconds></globalSettings></ns3:conf>")
        return directory

    def timestamp(self, data: bytes, at: dt.datetime) -> bytes:
        """An RFC 3161 token over SHA-512(data), signed by the TSA (SHA-256 with RSA)."""
        tst = tsp.TSTInfo({
            "version": 1, "policy": "1.2.3.4",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha512"},
                                "hashed_message": hashlib.sha512(data).digest()},
            "serial_number": int.from_bytes(hashlib.sha256(data).digest()[:8], "big"), "gen_time": at})
        content = tst.dump()
        tsa_cert = ax509.Certificate.load(self.tsa.public_bytes(serialization.Encoding.DER))
        attrs = cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
            {"type": "signing_certificate_v2",
             "values": [{"certs": [{"cert_hash": hashlib.sha256(tsa_cert.dump()).digest()}]}]}])
        signature = self.tsa_key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer = {
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
                "issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}}),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": signature}
        signed = cms.SignedData({
            "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "certificates": [tsa_cert], "signer_infos": [signer]})
        return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def soap_message(query_id: str, client: str, service: str, response: bool = False,
                 payload: str = "") -> bytes:
    def ident(kind: str, value: str) -> str:
        parts = value.split("/")
        names = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode"]
        inner = "".join(f"<id:{n}>{p}</id:{n}>" for n, p in zip(names, parts, strict=False))
        kind_id = "SERVICE" if kind == "service" else "SUBSYSTEM"
        return f'<xroad:{kind} id:objectType="{kind_id}">{inner}</xroad:{kind}>'

    tag = "getRandomResponse" if response else "getRandom"
    body = f"<prod:{tag}><prod:data>{payload}</prod:data></prod:{tag}>" if payload else f"<prod:{tag}/>"
    return ('<?xml version="1.0" encoding="utf-8"?><SOAP-ENV:Envelope '
            'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:id="http://x-road.eu/xsd/identifiers" '
            'xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:prod="http://test.x-road.global/producer">'
            f"<SOAP-ENV:Header>{ident('client', client)}{ident('service', service)}"
            f"<xroad:id>{query_id}</xroad:id>"
            f"<xroad:protocolVersion>4.0</xroad:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body>{body}"
            "</SOAP-ENV:Body></SOAP-ENV:Envelope>").encode()


def rest_request(query_id: str, client: str, service: str) -> bytes:
    return (f"GET\r\n/r1/{service}\r\nx-road-client:{client}\r\nx-road-service:{service}\r\n"
            f"x-road-id:{query_id}\r\n").encode()


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    element.text = text
    return element


def signature_xml(pki: Pki, signer: Signer, parts: list[tuple[str, bytes]],
                  at: dt.datetime, *, single_timestamp: bool = False, ocsp_status: str = "good",
                  ocsp_age: dt.timedelta = dt.timedelta(minutes=5)) -> bytes:
    """X-Road's XAdES ``signatures.xml`` over ``parts`` ((uri, bytes)), with the signer's OCSP response."""
    cert, key = signer
    der = cert.public_bytes(serialization.Encoding.DER)
    root = etree.Element(f"{{{ASIC}}}XAdESSignatures", nsmap={"asic": ASIC, "ds": DS, "xades": XADES})
    sig = _el(root, DS, "Signature", Id="signature")
    info = _el(sig, DS, "SignedInfo")
    _el(info, DS, "CanonicalizationMethod", Algorithm=C14N_URI)
    _el(info, DS, "SignatureMethod", Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512")
    for index, (uri, data) in enumerate(parts):
        ref = _el(info, DS, "Reference", Id=f"signature-reference-{index}", URI=uri)
        _el(ref, DS, "DigestMethod", Algorithm=SHA512_URI)
        _el(ref, DS, "DigestValue", _b64(hashlib.sha512(data).digest()))
    props_ref = _el(info, DS, "Reference", Id=f"signature-reference-{len(parts)}",
                    Type="http://uri.etsi.org/01903#SignedProperties", URI="#signed-properties")
    _el(props_ref, DS, "DigestMethod", Algorithm=SHA512_URI)
    props_digest = _el(props_ref, DS, "DigestValue")
    value = _el(sig, DS, "SignatureValue", Id="signature-value")
    _el(_el(_el(sig, DS, "KeyInfo"), DS, "X509Data"), DS, "X509Certificate", _b64(der))
    qualifying = _el(_el(sig, DS, "Object"), XADES, "QualifyingProperties", Target="#signature")
    signed_props = _el(qualifying, XADES, "SignedProperties", Id="signed-properties")
    signed_sig = _el(signed_props, XADES, "SignedSignatureProperties")
    _el(signed_sig, XADES, "SigningTime", at.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    cert_digest = _el(_el(_el(signed_sig, XADES, "SigningCertificate"), XADES, "Cert"), XADES, "CertDigest")
    _el(cert_digest, DS, "DigestMethod", Algorithm=SHA512_URI)
    _el(cert_digest, DS, "DigestValue", _b64(hashlib.sha512(der).digest()))
    unsigned = _el(_el(qualifying, XADES, "UnsignedProperties"), XADES, "UnsignedSignatureProperties")
    props_digest.text = _b64(hashlib.sha512(etree.tostring(signed_props, method="c14n")).digest())
    signature = key.sign(etree.tostring(info, method="c14n"), padding.PKCS1v15(), hashes.SHA512())
    value.text = _b64(signature)
    if single_timestamp:
        stamp = _el(unsigned, XADES, "SignatureTimeStamp")
        token = pki.timestamp(signature, at + dt.timedelta(seconds=1))
        _el(stamp, XADES, "EncapsulatedTimeStamp", _b64(token))
    ocsp_values = _el(_el(unsigned, XADES, "RevocationValues"), XADES, "OCSPValues")
    _el(ocsp_values, XADES, "EncapsulatedOCSPValue",
        _b64(pki.ocsp_response(cert, at - ocsp_age, ocsp_status)), Id="ocsp-response-1")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)


def _chain_xml(steps: list[list[tuple[str, str, bytes | None]]]) -> bytes:
    """``ts-hashchain.xml``: steps of (kind, uri, digest) with kind HashValue, StepRef or DataRef."""
    root = etree.Element(f"{{{HC}}}HashChain", nsmap={None: DS, "ns2": HC})
    _el(root, HC, "DefaultDigestMethod", Algorithm=SHA512_URI)
    for number, values in enumerate(steps):
        step = _el(root, HC, "HashStep", id=f"STEP{number}")
        for kind, uri, value in values:
            element = _el(step, HC, kind, **({"URI": uri} if uri else {}))
            if value is not None:
                _el(element, DS, "DigestValue", _b64(value))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _node(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    half = (len(leaves) + 1) // 2
    step = digest_list([(SHA512_URI, _node(leaves[:half])), (SHA512_URI, _node(leaves[half:]))])
    return hashlib.sha512(step).digest()


def batch_hash_chains(signatures: list[bytes]) -> tuple[bytes, list[bytes]]:
    """(``ts-hashchainresult.xml``, one ``ts-hashchain.xml`` per record) for a batch of signatures."""
    leaves = [hashlib.sha512(sig).digest() for sig in signatures]
    chains = []
    for index in range(len(leaves)):
        steps: list[list[tuple[str, str, bytes | None]]] = []
        low, high = 0, len(leaves)
        while high - low > 1:
            half = (high - low + 1) // 2
            left, right = (low, low + half), (low + half, high)
            mine, other = (left, right) if index < low + half else (right, left)
            own = (("DataRef", "/META-INF/signatures.xml", leaves[index]) if mine[1] - mine[0] == 1
                   else ("StepRef", f"#STEP{len(steps) + 1}", None))
            sibling = ("HashValue", "", _node(leaves[other[0]:other[1]]))
            steps.append([own, sibling] if mine is left else [sibling, own])
            low, high = mine
        if not steps:
            steps.append([("DataRef", "/META-INF/signatures.xml", leaves[index])])
        chains.append(_chain_xml(steps))
    root_step = digest_list([(SHA512_URI, _node(leaves[:(len(leaves) + 1) // 2])),
                             (SHA512_URI, _node(leaves[(len(leaves) + 1) // 2:]))]) if len(leaves) > 1 \
        else digest_list([(SHA512_URI, leaves[0])])
    result = etree.Element(f"{{{HC}}}HashChainResult", nsmap={None: DS, "ns2": HC},
                           URI="/ts-hashchain.xml#STEP0")
    _el(result, DS, "DigestMethod", Algorithm=SHA512_URI)
    _el(result, DS, "DigestValue", _b64(hashlib.sha512(root_step).digest()))
    return etree.tostring(result, xml_declaration=True, encoding="UTF-8", standalone=True), chains


def container_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = b"mimetype=application/vnd.etsi.asic-e+zip"
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Record:
    query_id: str
    message: bytes
    signer: str                          # INSTANCE/CLASS/CODE of the signing member
    attachments: list[bytes] = field(default_factory=list)


def make_records(count: int, *, rest_every: int = 5, payload: int = 0) -> list[Record]:
    """SOAP requests and REST requests with a body; ``payload`` adds up to that many bytes of data."""
    records = []
    for number in range(count):
        query = f"q-{number:07d}"
        client, service = f"{INSTANCE}/GOV/C{number % 3}/App", f"{INSTANCE}/COM/S{number % 2}/Svc/getRandom"
        data = ""
        if payload:
            size = payload * (1 + number % 4) // 4 * 3 // 4  # base64 grows 3 bytes to 4
            data = base64.b64encode(random.Random(number).randbytes(size)).decode()
        if rest_every and number % rest_every == rest_every - 1:
            body = b'{"n": %d, "data": "%s"}' % (number, data.encode()) if data else b'{"n": %d}' % number
            records.append(Record(query, rest_request(query, client, service), client, [body]))
        else:
            records.append(Record(query, soap_message(query, client, service, payload=data), client))
    return records


def containers(pki: Pki, records: list[Record], at: dt.datetime = START, *, batch: int = 50,
               single_timestamp: bool = False, **signature_options: object) -> list[bytes]:
    """Containers for ``records``, timestamped in batches (or one by one with ``single_timestamp``)."""
    out = []
    for first in range(0, len(records), batch):
        group = records[first:first + batch]
        moment = at + dt.timedelta(seconds=first)
        signed = []
        for record in group:
            _instance, member_class, code = record.signer.split("/")[:3]
            parts = [("/message.xml", record.message)] + [
                (f"/attachment{i}", data) for i, data in enumerate(record.attachments, 1)]
            signed.append(signature_xml(pki, pki.member(member_class, code), parts, moment,
                                        single_timestamp=single_timestamp, **signature_options))  # type: ignore[arg-type]
        if single_timestamp:
            batch_parts: list[list[tuple[str, bytes]]] = [[] for _ in group]
        else:
            result, chains = batch_hash_chains(signed)
            token = pki.timestamp(result, moment + dt.timedelta(seconds=2))
            batch_parts = [[("ts-hashchainresult.xml", result), ("ts-hashchain.xml", chain),
                            ("META-INF/timestamp.tst", token)] for chain in chains]
        for record, sig, extra in zip(group, signed, batch_parts, strict=True):
            entries = [("mimetype", b"application/vnd.etsi.asic-e+zip"), ("message.xml", record.message),
                       ("META-INF/signatures.xml", sig), *extra]
            entries += [(f"attachment{i}", data) for i, data in enumerate(record.attachments, 1)]
            out.append(container_bytes(entries))
    return out


def _chunks(items: list[tuple[str, bytes]], per_file: int, max_bytes: int | None) -> list[list]:
    """X-Road's rotation: a new file after ``per_file`` records, or once the file passed ``max_bytes``."""
    chunks: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for item in items:
        if len(chunks[-1]) >= per_file or (max_bytes is not None and size > max_bytes):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1])
    return [chunk for chunk in chunks if chunk]


def write_archives(directory: Path, items: list[tuple[str, bytes]], *, per_file: int = 10,
                   max_bytes: int | None = None, group: str | None = None, start: dt.datetime = START,
                   previous: tuple[str, str] | None = None) -> list[Path]:
    """Archive files of ``per_file`` containers each ((entry name, bytes)), chained by linkinginfo."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    last, last_name = previous if previous else ("", "-")
    for number, chunk in enumerate(_chunks(items, per_file, max_bytes)):
        header = f"{last or '-'} {last_name} SHA-512\n"
        lines = []
        for name, data in chunk:
            last = hashlib.sha512((last + hashlib.sha512(data).hexdigest()).encode()).hexdigest()
            lines.append(f"{last} {name}\n")
        begin = (start + dt.timedelta(hours=number)).strftime("%Y%m%d%H%M%S")
        end = (start + dt.timedelta(hours=number, minutes=59)).strftime("%Y%m%d%H%M%S")
        name = f"mlog-{group + '-' if group else ''}{begin}-{end}-{last[:16]}.zip"
        with zipfile.ZipFile(directory / name, "w", zipfile.ZIP_DEFLATED, compresslevel=0) as archive:
            for entry, data in chunk:
                archive.writestr(entry, data)
            archive.writestr("linkinginfo", (header + "".join(lines)).encode())
        paths.append(directory / name)
        last_name = name
    return paths


def entry_names(records: list[Record]) -> list[str]:
    return [f"{r.query_id}-request-{number + 1:x}.asice" for number, r in enumerate(records)]
