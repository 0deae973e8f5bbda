"""The sandbox message log's formats against X-Road's real files: byte for byte where possible."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import random
import re
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp as x509_ocsp
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

from backend.sandbox import ocsp
from backend.sandbox.pki import SIGNING, Pki, ensure_pki, issue_certificate
from backend.sandbox.seed import load_seed
from backend.sandbox.traffic import xades
from backend.sandbox.traffic.archive import ArchiveWriter, archive_name
from backend.sandbox.traffic.container import BatchTimestamp, container, container_name
from backend.sandbox.traffic.hashchain import HashChainBuilder
from backend.sandbox.traffic.javazip import ZipStream
from backend.sandbox.traffic.ocsphistory import response_at
from backend.sandbox.tsa import TimestampAuthority, TimestampError, request, token_time
from tests.conftest import REFERENCE_DIR
from tests.sandbox import traffic_checks as checks

FIXTURES = REFERENCE_DIR / "fixtures" / "messagelog"
NS = checks.NS


def _zip(path: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(FIXTURES / path)


def _batch_ts() -> zipfile.ZipFile:
    return _zip("asice/asic-verifier-cli/valid-batch-ts.asice")


def _archive0_container() -> tuple[zipfile.ZipInfo, bytes]:
    outer = _zip("archives/message-archive-0.zip")
    info = outer.infolist()[0]
    return info, outer.read(info)


def _seconds(info: zipfile.ZipInfo) -> int:
    return int(struct.unpack("<I", info.extra[5:9])[0])


def _digests(xml: bytes) -> list[bytes]:
    return [base64.b64decode(v) for v in re.findall(rb"<DigestValue>(.*?)</DigestValue>", xml)]


# -- hash chains ----------------------------------------------------------------------------------

def test_batch_timestamp_hash_chain_is_x_roads() -> None:
    real = _batch_ts()
    builder = HashChainBuilder()
    builder.add([hashlib.sha512(real.read("META-INF/signatures.xml")).digest()])
    builder.add([_digests(real.read("ts-hashchain.xml"))[1]])
    builder.finish()
    assert builder.chain_xml(0, "/META-INF/signatures.xml") == real.read("ts-hashchain.xml")
    assert builder.result_xml("/ts-hashchain.xml") == real.read("ts-hashchainresult.xml")


def test_batch_signature_hash_chain_with_attachments_is_x_roads() -> None:
    inner = zipfile.ZipFile(io.BytesIO(_archive0_container()[1]))
    builder = HashChainBuilder()
    builder.add(_digests(inner.read("sig-hashchain.xml")))
    builder.finish()
    assert builder.chain_xml(0, "/message.xml") == inner.read("sig-hashchain.xml")
    assert builder.result_xml("/sig-hashchain.xml") == inner.read("sig-hashchainresult.xml")


@pytest.mark.parametrize("count", [2, 3, 5, 7, 8, 13, 31, 64, 100])
def test_every_chain_of_a_tree_leads_to_its_top(count: int) -> None:
    rng = random.Random(count)
    builder = HashChainBuilder()
    inputs = []
    for _ in range(count):
        parts = [rng.randbytes(64) for _ in range(rng.choice((1, 1, 2, 3)))]
        inputs.append(parts)
        builder.add(parts)
    builder.finish()
    result = builder.result_xml("/sig-hashchain.xml")
    for index, parts in enumerate(inputs):
        data = {"/message.xml": parts[0]} | {f"/attachment{n}": p for n, p in enumerate(parts[1:], 1)}
        checks.hash_chain(builder.chain_xml(index, "/message.xml"), result, data,
                          "/sig-hashchain.xml")
    with pytest.raises(AssertionError):
        checks.hash_chain(builder.chain_xml(0, "/message.xml"), result,
                          {"/message.xml": bytes(64)} | {f"/attachment{n}": bytes(64) for n in (1, 2)},
                          "/sig-hashchain.xml")


def test_a_single_plain_input_has_no_chain() -> None:
    builder = HashChainBuilder()
    builder.add([bytes(64)])
    builder.finish()
    assert not builder.needs_chain
    with pytest.raises(ValueError):
        builder.result_xml("/sig-hashchain.xml")


# -- containers, zip files, names ------------------------------------------------------------------

def test_a_batch_timestamped_container_is_rebuilt_byte_for_byte() -> None:
    real = _batch_ts()
    rebuilt = container(_seconds(real.infolist()[0]) * 1000, real.read("message.xml"),
                        real.read("META-INF/signatures.xml"),
                        timestamp=BatchTimestamp(real.read("META-INF/timestamp.tst"),
                                                 real.read("ts-hashchainresult.xml"),
                                                 real.read("ts-hashchain.xml")))
    assert rebuilt == (FIXTURES / "asice/asic-verifier-cli/valid-batch-ts.asice").read_bytes()


def test_a_batch_signed_container_is_rebuilt_byte_for_byte() -> None:
    info, data = _archive0_container()
    inner = zipfile.ZipFile(io.BytesIO(data))
    rebuilt = container(_seconds(info) * 1000, inner.read("message.xml"),
                        inner.read("META-INF/signatures.xml"),
                        sig_chain=(inner.read("sig-hashchainresult.xml"),
                                   inner.read("sig-hashchain.xml")))
    assert rebuilt == data


def test_a_real_archive_is_rebuilt_byte_for_byte_with_its_name(tmp_path: Path) -> None:
    info, data = _archive0_container()
    writer = ArchiveWriter(tmp_path, {})
    writer.write(None, info.filename, _seconds(info) * 1000, data)
    writer.close()
    [saved] = writer.saved
    assert saved.path.read_bytes() == (FIXTURES / "archives/message-archive-0.zip").read_bytes()
    # the name it was produced under (it was encrypted; reference §2.6)
    assert saved.path.name + ".gpg" == "mlog-20231023121255-20231023121255-9011ab557706b505.zip.gpg"
    assert writer.heads[""].digest.startswith("9011ab557706b505")


def test_zip_stream_writes_what_java_writes() -> None:
    real = _zip("archives/message-archive-0.zip")
    chunks: list[bytes] = []
    stream = ZipStream(chunks.append, 0)
    for info in real.infolist():
        stream.add(info.filename, real.read(info), _seconds(info) * 1000)
    stream.finish()
    assert b"".join(chunks) == (FIXTURES / "archives/message-archive-0.zip").read_bytes()


@pytest.mark.parametrize(("query_id", "response", "record", "expected"), [
    ("3a2a743f-56da-4085-b643-79e335341eb3", False, 1,
     "3a2a743f-56da-4085-b643-79e335341eb3-request-1.asice"),
    ("abc/1", True, 42, "abc%2F1-response-1a.asice"),
    ("сурам/2025 a+b~*", False, 32**3, "%D1%81%D1%83%D1%80%D0%B0%D0%BC%2F2025+a%2Bb%7E*-request-1000.asice"),
    ("x" * 300, True, 7, "x" * 226 + "-response-7.asice"),
])
def test_container_names_follow_x_roads_name_generator(query_id: str, response: bool, record: int,
                                                        expected: str) -> None:
    assert container_name(query_id, response, record) == expected


def test_archive_names_escape_and_cut_the_group() -> None:
    start = int(dt.datetime(2021, 9, 1, 10, 22, 51, tzinfo=dt.UTC).timestamp() * 1000)
    end = start + 3_000
    assert archive_name("INSTANCE/CLASS/CODE", start, end, "95b1f27097524105aa", True) == \
        "mlog-INSTANCE_CLASS_CODE-20210901102251-20210901102254-95b1f27097524105.zip.gpg"
    assert archive_name(None, start, end, "0" * 128, False) == \
        "mlog-20210901102251-20210901102254-0000000000000000.zip"
    assert archive_name("A:B|C*D?\x01" + "e" * 300, start, end, "f" * 16, False) == \
        "mlog-A_B_C_D__" + "e" * 191 + "-20210901102251-20210901102254-ffffffffffffffff.zip"


# -- signatures ------------------------------------------------------------------------------------

def _fixture_signature(real: zipfile.ZipFile) -> tuple[etree._Element, bytes, xades.SignerCertificate]:
    document = real.read("META-INF/signatures.xml")
    root = etree.fromstring(document)
    cert = x509.load_der_x509_certificate(base64.b64decode(re.sub(
        r"\s", "", root.find(".//ds:X509Certificate", NS).text)))
    return root, document, xades.SignerCertificate(
        rsa.generate_private_key(public_exponent=65537, key_size=1024), cert)


def test_a_real_signature_document_is_rebuilt_byte_for_byte() -> None:
    real = _batch_ts()
    root, document, signer = _fixture_signature(real)
    parts = xades._parts(signer, root.find(".//xades:SigningTime", NS).text,
                         hashlib.sha512(real.read("message.xml")).digest(), batch=False)
    value = base64.b64decode(root.find(".//ds:SignatureValue", NS).text)
    ocsp_der = base64.b64decode(root.find(".//xades:EncapsulatedOCSPValue", NS).text)
    assert xades._document(signer, ocsp_der, parts, value) == document


def test_the_canonical_forms_are_the_ones_x_road_signed() -> None:
    _info, data = _archive0_container()
    inner = zipfile.ZipFile(io.BytesIO(data))
    root, _document, signer = _fixture_signature(inner)
    parts = xades._parts(signer, root.find(".//xades:SigningTime", NS).text,
                         hashlib.sha512(inner.read("sig-hashchainresult.xml")).digest(), batch=True)
    canonical = xades._signed_info(parts.uri, parts.data_digest, parts.properties_digest,
                                   canonical=True).encode()
    assert canonical == etree.tostring(root.find(".//ds:SignedInfo", NS), method="c14n")
    value = base64.b64decode(re.sub(r"\s", "", root.find(".//ds:SignatureValue", NS).text))
    public = signer.cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(value, canonical, padding.PKCS1v15(), hashes.SHA512())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki"), load_seed())


def _signer(pki: Pki) -> xades.SignerCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = issue_certificate(pki.ca, key.public_key(), (("C", "KG"), ("O", "A & B <C>"),
                                                         ("businessCategory", "GOV"),
                                                         ("serialNumber", "70000001"), ("CN", "A")),
                             SIGNING, not_before=now - dt.timedelta(days=1),
                             not_after=now + dt.timedelta(days=1), ocsp_url="https://127.0.0.1/ocsp")
    return xades.SignerCertificate(key, cert)


def test_signatures_verify_and_take_a_single_timestamp(pki: Pki) -> None:
    signer = _signer(pki)
    moment = dt.datetime.now(dt.UTC)
    signature = xades.sign(signer, b"\x30\x03\x0a\x01\x06", moment, b"<m/>", batch=False)
    root = etree.fromstring(signature.xml)
    properties = etree.tostring(root.find(".//xades:SignedProperties", NS), method="c14n")
    assert properties == xades._signed_properties(signer, xades.signing_time(moment), "text/xml",
                                                  canonical=True).encode()
    assert etree.tostring(root.find(".//ds:SignedInfo", NS), method="c14n") == xades._signed_info(
        "/message.xml", hashlib.sha512(b"<m/>").digest(), hashlib.sha512(properties).digest(),
        canonical=True).encode()
    stamped = etree.fromstring(signature.with_timestamp(b"TOKEN"))
    unsigned = stamped.find(".//xades:UnsignedSignatureProperties", NS)
    assert [etree.QName(child).localname for child in unsigned] == ["SignatureTimeStamp",
                                                                     "RevocationValues"]
    config = SignatureConfiguration(signature_methods=frozenset({SignatureMethod.RSA_SHA512}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA512}))
    for document in (signature.xml, signature.with_timestamp(b"TOKEN")):
        XMLVerifier().verify(document, x509_cert=signer.cert, expect_references=2,
                             expect_config=config, uri_resolver=lambda uri: {"/message.xml": b"<m/>"}[uri])


# -- the TSA ---------------------------------------------------------------------------------------

def test_tokens_verify_with_openssl(pki: Pki, tmp_path: Path) -> None:
    tsa = TimestampAuthority.of(next(iter(pki.tsas.values())))
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    data = b"ts-hashchainresult"
    token = tsa.token(hashlib.sha512(data).digest(), gen_time=moment, serial=42)
    assert token_time(token) == moment
    (tmp_path / "t.tst").write_bytes(token)
    (tmp_path / "d").write_bytes(data)
    run = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", "t.tst", "-data", "d",
                          "-CAfile", _write_ca(pki, tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Verification: OK" in run.stdout, run.stderr
    (tmp_path / "d").write_bytes(data + b"!")
    run = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", "t.tst", "-data", "d",
                          "-CAfile", _write_ca(pki, tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode != 0


def _write_ca(pki: Pki, directory: Path) -> str:
    path = directory / "ca.pem"
    path.write_bytes(pki.ca.cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_the_tsa_answers_requests_with_their_nonce_and_rejects_garbage(pki: Pki, tmp_path: Path) -> None:
    tsa = TimestampAuthority.of(next(iter(pki.tsas.values())))
    query = request(hashlib.sha256(b"data").digest(), "sha256", nonce=987654321)
    (tmp_path / "q.tsq").write_bytes(query)
    (tmp_path / "r.tsr").write_bytes(tsa.respond(query))
    run = subprocess.run(["openssl", "ts", "-verify", "-in", "r.tsr", "-queryfile", "q.tsq",
                          "-CAfile", _write_ca(pki, tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Verification: OK" in run.stdout, run.stderr
    (tmp_path / "bad.tsr").write_bytes(tsa.respond(b"\x30\x03garbage"))
    text = subprocess.run(["openssl", "ts", "-reply", "-in", "bad.tsr", "-text"], cwd=tmp_path,
                          capture_output=True, text=True, check=False).stdout
    assert "Status: Rejected." in text
    with pytest.raises(TimestampError):
        tsa.token(b"short", "sha512")


# -- OCSP of the past ------------------------------------------------------------------------------

@pytest.mark.parametrize(("revoked_hours_ago", "status"), [
    (None, x509_ocsp.OCSPCertStatus.GOOD),
    (1, x509_ocsp.OCSPCertStatus.GOOD),  # revoked after the moment: good then
    (6, x509_ocsp.OCSPCertStatus.REVOKED),
])
def test_ocsp_responses_are_of_their_time(pki: Pki, revoked_hours_ago: int | None,
                                          status: x509_ocsp.OCSPCertStatus) -> None:
    cert = _signer(pki).cert
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    moment = now - dt.timedelta(hours=5)
    revoked = None if revoked_hours_ago is None else now - dt.timedelta(hours=revoked_hours_ago)
    registration = ocsp.Registration(revoked, x509.ReasonFlags.key_compromise if revoked else None)
    der = response_at(pki.issuers[0], cert, lambda _issuer, _serial: registration, moment, 3600)
    response = x509_ocsp.load_der_ocsp_response(der)
    assert response.certificate_status == status
    assert response.produced_at_utc == response.this_update_utc == moment
    assert response.next_update_utc == moment + dt.timedelta(hours=1)
    assert response.serial_number == cert.serial_number
    unknown = response_at(pki.issuers[0], cert, lambda _issuer, _serial: None, moment, 3600)
    assert x509_ocsp.load_der_ocsp_response(unknown).certificate_status == \
        x509_ocsp.OCSPCertStatus.UNKNOWN
