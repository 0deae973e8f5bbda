"""Archives generated in X-Road's format with a throwaway CA, OCSP responder and TSA."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from backend.archive.asic import parse_container
from backend.archive.verify import Layer, Status, load_verification_conf, verify_container, verify_directory
from tests.archive_verify import forge


def failures(report) -> list[tuple[str, str | None]]:
    return [(f.code, f.entry) for f in report.findings if f.status is Status.FAIL]


def test_generated_archives_pass_every_layer(archive_dir: Path, conf) -> None:
    seen: list[tuple[int, int]] = []
    report = verify_directory(archive_dir, conf=conf, progress=lambda done, total: seen.append((done, total)))
    assert report.status is Status.PASS, json.dumps(report.to_dict(), indent=1)[:3000]
    assert report.totals() == {"files": 3, "files_failed": 0, "records": 18, "records_passed": 18,
                               "records_unverified": 0, "records_failed": 0}
    assert report.layers == ["archive", "linkinginfo", "chain", "container", "hashchain", "timestamp",
                             "signature", "certificate", "ocsp"]
    assert [f.findings[-1].code for f in report.files] == ["chain_start", "chain_link_ok", "chain_link_ok"]
    assert seen[-1][0] == seen[-1][1] == sum(p.stat().st_size for p in archive_dir.iterdir())
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)
    json.dumps(report.to_dict())


def test_passing_records_are_counted_not_kept(archive_dir: Path, conf) -> None:
    report = verify_directory(archive_dir, conf=conf)
    assert all(not file.records for file in report.files)
    kept = verify_directory(archive_dir, conf=conf, keep_passing=True)
    record = kept.files[0].records[0]
    assert record.signer == f"{forge.INSTANCE}/GOV/C0/App"
    assert {f.code for f in record.findings} >= {"ts_hashchain_ok", "timestamp_ok", "signature_ok",
                                                 "signer_name_ok", "cert_path_ok", "ocsp_ok"}


def test_without_configuration_the_trust_layers_are_reported_once(archive_dir: Path) -> None:
    report = verify_directory(archive_dir)
    assert report.status is Status.UNVERIFIED
    assert [f.code for f in report.findings] == ["no_verification_configuration"]
    assert report.totals()["records_passed"] == 18
    assert "certificate" not in report.layers


def test_chain_only(archive_dir: Path) -> None:
    report = verify_directory(archive_dir, full=False)
    assert report.status is Status.PASS
    assert report.layers == ["archive", "linkinginfo", "chain"]
    assert report.totals()["records"] == 18


def test_single_timestamps_and_rest_records(pki, conf, records, tmp_path: Path) -> None:
    made = forge.containers(pki, records[:5], single_timestamp=True)
    forge.write_archives(tmp_path, list(zip(forge.entry_names(records[:5]), made, strict=True)))
    report = verify_directory(tmp_path, conf=conf, keep_passing=True)
    assert report.status is Status.PASS
    rest = next(r for r in report.files[0].records if r.name.startswith("q-0000004"))
    assert rest.signer == f"{forge.INSTANCE}/GOV/C1/App"
    assert parse_container(made[4]).attachments == {"attachment1": b'{"n": 4}'}


def test_a_tsa_missing_from_the_configuration_fails_the_timestamp(pki, batch_containers, tmp_path) -> None:
    conf = load_verification_conf(pki.write_conf(tmp_path, tsa=False))
    report = verify_container(batch_containers[0][1], conf)
    assert failures(report) == [("timestamp_validation", "META-INF/timestamp.tst")]
    assert "no_time" in {f.code for f in report.findings if f.status is Status.UNVERIFIED}


def test_revoked_and_stale_ocsp(pki, conf, records) -> None:
    revoked = forge.containers(pki, records[:1], ocsp_status="revoked")[0]
    report = verify_container(revoked, conf)
    assert [(f.layer, f.code) for f in report.findings if f.status is Status.FAIL] == [
        (Layer.OCSP, "cert_validation")]
    assert "REVOKED" in next(f.message for f in report.findings if f.status is Status.FAIL)
    stale = forge.containers(pki, records[:1], ocsp_age=dt.timedelta(hours=3))[0]
    assert [(f.layer, f.code) for f in verify_container(stale, conf).findings if f.status is Status.FAIL] == [
        (Layer.OCSP, "incorrect_validation_info")]


def test_a_certificate_of_another_member_fails_the_signer_name(pki, conf) -> None:
    message = forge.soap_message("q-x", f"{forge.INSTANCE}/GOV/C0/App", f"{forge.INSTANCE}/COM/S0/Svc/get")
    record = forge.Record("q-x", message, f"{forge.INSTANCE}/GOV/C2")  # signed with C2's key
    report = verify_container(forge.containers(pki, [record])[0], conf)
    failure = next(f for f in report.findings if f.status is Status.FAIL)
    assert (failure.layer, failure.code) == (Layer.CERTIFICATE, "incorrect_certificate")
    assert (failure.expected, failure.found) == (f"{forge.INSTANCE}/GOV/C0/App", f"{forge.INSTANCE}/GOV/C2")


def test_an_altered_attachment_fails_its_reference(pki, conf, records) -> None:
    container = forge.containers(pki, records[4:5])[0]
    with zipfile.ZipFile(__import__("io").BytesIO(container)) as source:
        entries = [(i.filename, source.read(i)) for i in source.infolist()]
    altered = forge.container_bytes([(n, b'{"n": 5}' if n == "attachment1" else d) for n, d in entries])
    report = verify_container(altered, conf)
    assert failures(report) == [("invalid_signature_value", "/attachment1")]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_generated_timestamps_verify_with_openssl(pki, batch_containers, tmp_path: Path) -> None:
    container = parse_container(batch_containers[0][1])
    (tmp_path / "token.tst").write_bytes(container.timestamp or b"")
    (tmp_path / "data").write_bytes(container.entries["ts-hashchainresult.xml"])
    (tmp_path / "ca.pem").write_bytes(pki.ca.public_bytes(serialization.Encoding.PEM))
    done = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.tst"),
                           "-data", str(tmp_path / "data"), "-CAfile", str(tmp_path / "ca.pem")],
                          capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr


def test_one_record_with_its_linkinginfo_line(archive_dir: Path, conf, batch_containers) -> None:
    from backend.archive.safety import ArchiveError
    from backend.archive.verify import ContainerVerifier, verify_record

    second = sorted(archive_dir.glob("mlog-*.zip"))[1]
    name = batch_containers[8][0]
    record = verify_record(second, name, verifier=ContainerVerifier(conf))
    assert record.status is Status.PASS and record.findings[0].code == "linkinginfo_link_ok"
    with zipfile.ZipFile(second) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries[name] = batch_containers[9][1]  # another record's container under this name
    with zipfile.ZipFile(second, "w", zipfile.ZIP_DEFLATED, compresslevel=0) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    swapped = verify_record(second, name, verifier=ContainerVerifier(conf))
    assert swapped.findings[0].code == "linkinginfo_digest_mismatch" and swapped.status is Status.FAIL
    with pytest.raises(ArchiveError):
        verify_record(second, "no-such-request-1.asice")
