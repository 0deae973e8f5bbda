"""X-Road's own test files give the results X-Road's tests expect (fixtures/SOURCES.md)."""

from __future__ import annotations

import base64
import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem

from backend.archive.asic import AsicError, parse_container
from backend.archive.verify import (
    ConfigurationError,
    Layer,
    Status,
    load_verification_conf,
    verify_archive,
    verify_container,
)
from backend.archive.verify.certpath import CertificateChecker
from backend.archive.verify.hashchain import HashChainError, verify_hash_chain
from backend.archive.verify.xades import SignatureError, parse_signature, verify_signature_value
from backend.archive.verify.xades_fallback import verify_with_signxml
from tests.archive_verify.conftest import GLOBALCONF, MESSAGELOG

CLI = MESSAGELOG / "asice" / "asic-verifier-cli"
CORE = MESSAGELOG / "asice" / "asic-core"
HASHCHAIN = MESSAGELOG / "hashchain"
ARCHIVES = MESSAGELOG / "archives"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def codes(report) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.status.value, set()).add(finding.code)
    return found


@pytest.mark.parametrize(("name", "status", "code"), [
    ("valid-batch-ts", Status.PASS, None),
    ("valid-signed-message", Status.PASS, None),
    ("invalid-digest", Status.FAIL, "invalid_signature_value"),
    ("wrong-message", Status.FAIL, "invalid_signature_value"),
])
def test_asic_verifier_cli_containers(xroad_conf, name: str, status: Status, code: str | None) -> None:
    report = verify_container((CLI / f"{name}.asice").read_bytes(), xroad_conf, name=name)
    assert report.status is status
    if code is None:
        assert {f.layer for f in report.findings} >= {Layer.CONTAINER, Layer.TIMESTAMP, Layer.SIGNATURE,
                                                       Layer.CERTIFICATE, Layer.OCSP}
        assert report.signer == "DEV/COM/4321/TestClient"
        assert report.tsa == "Common Name: Test TSA, Organization: Test"
    else:
        assert codes(report)["FAIL"] == {code}
        # everything else still checked: the timestamp, certificate path and OCSP pass
        assert {"timestamp_ok", "cert_path_ok", "ocsp_ok"} <= codes(report)["PASS"]


def test_the_broken_reference_is_named(xroad_conf) -> None:
    wrong = verify_container((CLI / "wrong-message.asice").read_bytes(), xroad_conf)
    failure = next(f for f in wrong.findings if f.status is Status.FAIL)
    assert failure.entry == "/message.xml"
    assert failure.expected == base64.b64decode(
        "h+nCF0uWI2EuFjZb5dycNBDrUwG/Xz2grwnagMmJ3q4AIomSLWUg6LJbZJpEnh5tJgPUZijguou3BDTFnXSaFA==").hex()
    assert failure.found == hashlib.sha512(
        parse_container((CLI / "wrong-message.asice").read_bytes()).message).hexdigest()
    invalid = verify_container((CLI / "invalid-digest.asice").read_bytes(), xroad_conf)
    assert next(f for f in invalid.findings if f.status is Status.FAIL).entry == "#signed-properties"


def test_times_are_the_timestamps(xroad_conf) -> None:
    batch = verify_container((CLI / "valid-batch-ts.asice").read_bytes(), xroad_conf)
    assert batch.timestamp == "2024-12-05T07:34:14+00:00"
    single = verify_container((CLI / "valid-signed-message.asice").read_bytes(), xroad_conf)
    assert single.timestamp == "2024-12-05T13:16:35+00:00"
    assert single.ocsp_produced_at == "2024-12-05T13:13:26+00:00"


@pytest.mark.parametrize(("name", "code"), [
    ("no-message", "asic_message_not_found"),
    ("no-mimetype", "asic_mime_type_not_found"),
    ("no-signature", "asic_signature_not_found"),
    ("not-asic", "asic_mime_type_not_found"),
])
def test_asic_core_parse_errors(name: str, code: str) -> None:
    with pytest.raises(AsicError) as raised:
        parse_container((CORE / f"{name}.asice").read_bytes())
    assert raised.value.code == code
    report = verify_container((CORE / f"{name}.asice").read_bytes())
    assert report.status is Status.FAIL and codes(report)["FAIL"] == {code}


def test_asic_core_valid_containers_parse() -> None:
    with_attachments = parse_container((CORE / "valid-signed-message-with-attachments.asice").read_bytes())
    assert with_attachments.layout == "asic-e"
    assert sorted(with_attachments.attachments) == ["attachment1", "attachment2"]
    assert parse_container((CORE / "valid-signed-message.asice").read_bytes()).message.startswith(b"<")


def test_signxml_agrees_with_the_direct_check() -> None:
    for name in ("valid-batch-ts", "valid-signed-message", "invalid-digest", "wrong-message"):
        container = parse_container((CLI / f"{name}.asice").read_bytes())
        signature = parse_signature(container.signature)
        outcomes = []
        for check in (verify_signature_value, verify_with_signxml):
            try:
                check(signature, container.get)
                outcomes.append("ok")
            except SignatureError as exc:
                outcomes.append(exc.code)
        assert outcomes[0] == outcomes[1], name


def _chain_inputs(name: str) -> dict[str, bytes]:
    return {"/hashchain.xml": (HASHCHAIN / f"hc-{name}-hashchain.xml").read_bytes()}


def test_hashchain_verifier1() -> None:
    result = (HASHCHAIN / "hc-verifier1-hashchainresult.xml").read_bytes()
    message = (HASHCHAIN / "hc-verifier1-message.xml").read_bytes()
    sources = {**_chain_inputs("verifier1"), "/message.xml": message}
    outcome = verify_hash_chain(result, sources.get, {"/message.xml": None})
    assert outcome.verified == ["/message.xml"]
    with pytest.raises(HashChainError) as unused:
        verify_hash_chain(result, sources.get, {"/message.xml": None, "/unused1": None, "/unused2": None})
    assert unused.value.code == "hashchain_unused_inputs"
    other = hashlib.sha256((HASHCHAIN / "hc-verifier1-hashchain.xml").read_bytes()).digest()
    with pytest.raises(HashChainError) as wrong_result:
        verify_hash_chain(result, sources.get, {"/message.xml": (SHA256, other)})
    assert wrong_result.value.code == "invalid_hash_chain"
    assert wrong_result.value.expected == base64.b64decode("D7oIIfhfp4ToT729xyx991PvstI5XvpW+d7oeWvXw8E=")
    altered = {**sources, "/message.xml": b"three"}
    with pytest.raises(HashChainError) as wrong_data:
        verify_hash_chain(result, altered.get, {"/message.xml": None})
    assert (wrong_data.value.code, wrong_data.value.uri) == ("invalid_hash_chain_ref", "/message.xml")


def test_hashchain_verifier2_with_and_without_attachments() -> None:
    result = (HASHCHAIN / "hc-verifier2-hashchainresult.xml").read_bytes()
    inputs = {"/message.xml": (SHA256, b"\x0b"), "/attachment1": (SHA256, b"\x0c"),
              "/attachment2": (SHA256, b"\x0d"), "/attachment3": (SHA256, b"\x0e")}
    verify_hash_chain(result, _chain_inputs("verifier2").get, inputs)
    outcome = verify_hash_chain(result, _chain_inputs("verifier2").get, {"/message.xml": (SHA256, b"\x0b")},
                                lambda uri: not uri.startswith("/attachment"))
    assert [uri for uri, _digest in outcome.unresolved] == ["/attachment1", "/attachment2", "/attachment3"]


@pytest.mark.parametrize(("name", "status", "code"), [
    ("mlog-WITH_LINKINGINFO.zip", Status.PASS, "linkinginfo_ok"),
    ("mlog-WITH_INVALID_LINKINGINFO.zip", Status.FAIL, "linkinginfo_digest_mismatch"),
    ("mlog-NO_LINKINGINFO.zip", Status.FAIL, "linkinginfo_not_found"),
    ("mlog-NO_ASIC_CONTAINERS.zip", Status.FAIL, "no_containers"),
    ("mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip", Status.FAIL, "linkinginfo_entry_missing"),
])
def test_legacy_linkinginfo_archives(name: str, status: Status, code: str) -> None:
    report = verify_archive(ARCHIVES / "logarchive" / name, full=False)
    assert report.status is status
    assert code in {f.code for f in report.findings if f.status is status}


def test_last_digests_of_the_real_archives() -> None:
    legacy = verify_archive(ARCHIVES / "logarchive" / "mlog-WITH_LINKINGINFO.zip", full=False)
    assert legacy.last_digest == "624334053a96e0e1209d342514b5d890aeaeee8f0659da69688a3eeac0304856"
    assert legacy.hash_algorithm == "SHA-256"
    real = verify_archive(ARCHIVES / "message-archive-0.zip", full=False)
    assert real.status is Status.PASS
    assert real.last_digest == ("9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7"
                                "f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa")


def test_excessive_files_names_the_missing_entry() -> None:
    report = verify_archive(ARCHIVES / "logarchive" / "mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip", full=False)
    missing = next(f for f in report.findings if f.code == "linkinginfo_entry_missing")
    assert missing.entry == "8888888888-request-OUxhMqY0Kx.asice"


def test_real_archive_full_verification_reports_unarchived_attachments() -> None:
    report = verify_archive(ARCHIVES / "message-archive-0.zip")
    record = report.records[0]
    assert record.signer == "CS/GOV/0245437-2"
    assert record.status is Status.UNVERIFIED
    assert [f.entry for f in record.findings if f.code == "attachment_not_in_container"] == [
        "/attachment1", "/attachment2", "/attachment3"]
    assert "sig_hashchain_ok" in codes(record)["PASS"]


def test_6x_container_with_timestamp_directly_in_signaturetimestamp() -> None:
    report = verify_archive(ARCHIVES / "logarchive" / "mlog-WITH_LINKINGINFO.zip")
    assert report.status is Status.PASS
    assert report.records_passed == 1


def test_globalconf_pem_quirk_and_der(xroad_conf, tmp_path: Path) -> None:
    assert xroad_conf.instance == "DEV"
    assert [ca.name for ca in xroad_conf.cas] == ["Test CA"]
    assert len(xroad_conf.cas[0].ocsp_certs) == 1 and len(xroad_conf.tsas) == 1
    assert xroad_conf.freshness("DEV") == 3600
    copy = tmp_path / "conf"
    shutil.copytree(GLOBALCONF, copy)
    params = copy / "DEV" / "shared-params.xml"
    text = params.read_text()
    for pem_b64 in set(part.split("<")[0] for part in text.split("<cert>")[1:]):
        der = pem.unarmor(base64.b64decode(pem_b64))[2]
        text = text.replace(pem_b64, base64.b64encode(der).decode())
    params.write_text(text)
    der_conf = load_verification_conf(copy)
    assert der_conf.cas[0].cert.dump() == xroad_conf.cas[0].cert.dump()
    assert verify_container((CLI / "valid-batch-ts.asice").read_bytes(), der_conf).status is Status.PASS


def test_globalconf_errors_say_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="globalconf"):
        load_verification_conf(tmp_path)
    (tmp_path / "DEV").mkdir()
    (tmp_path / "DEV" / "shared-params.xml").write_text("<conf><approvedCA><name>x</name><topCA><cert>bm90"
                                                         "IGEgY2VydA==</cert></topCA></approvedCA></conf>")
    with pytest.raises(ConfigurationError, match="approved CA x"):
        load_verification_conf(tmp_path)
    assert ConfigurationError("x").exit_code == 2


def test_certificates_are_judged_at_the_timestamps_time(xroad_conf) -> None:
    container = parse_container((CLI / "valid-signed-message.asice").read_bytes())
    signature = parse_signature(container.signature)
    checker = CertificateChecker(xroad_conf)
    at_stamp = datetime(2024, 12, 5, 13, 16, 35, tzinfo=UTC)
    findings, status = checker.check(signature.cert, [], signature.ocsp_responses, "DEV", at_stamp)
    assert [f.status for f in findings] == [Status.PASS, Status.PASS] and status is not None
    expired, _status = checker.check(signature.cert, [], signature.ocsp_responses, "DEV",
                                     datetime(2045, 1, 1, tzinfo=UTC))
    assert [(f.layer, f.code) for f in expired] == [(Layer.CERTIFICATE, "invalid_cert_path")]
    stale, _status = checker.check(signature.cert, [], signature.ocsp_responses, "DEV",
                                   datetime(2024, 12, 5, 15, 0, tzinfo=UTC))
    assert [(f.layer, f.code) for f in stale if f.status is Status.FAIL] == [
        (Layer.OCSP, "incorrect_validation_info")]
    unknown, _status = checker.check(signature.cert, [], signature.ocsp_responses, "EE", at_stamp)
    assert [f.code for f in unknown] == ["cannot_create_cert_path"]


def test_the_der_of_hash_steps_is_asn1crypto_s_encoding_of_the_schema() -> None:
    from backend.archive.verify.hashchain import DigestList, digest_list

    items = [(SHA256, bytes(range(32))), ("http://www.w3.org/2001/04/xmlenc#sha512", b"\x0b" * 200)]
    schema = DigestList([{"digest": value, "digest_method": method, "transforms": []}
                         for method, value in items])
    assert digest_list(items) == schema.dump(force=True)
    assert DigestList.load(digest_list(items))[1]["digest"].native == b"\x0b" * 200
