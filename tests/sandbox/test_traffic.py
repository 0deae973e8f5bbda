"""``kapka sandbox traffic``: the archives it writes pass every check of X-Road's format."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
import subprocess
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from backend.archive.verify import Status, load_verification_conf, verify_directory
from backend.sandbox.cli import main
from backend.sandbox.state import SandboxState
from backend.sandbox.traffic import gpg
from backend.sandbox.traffic.generate import Options, Result, generate
from tests.conftest import REFERENCE_DIR
from tests.sandbox import traffic_checks as checks
from tests.sandboxes import OWNER_ID, PIN, Templates

FIXTURES = REFERENCE_DIR / "fixtures" / "messagelog"


def _copy(templates: Templates, target: Path, fresh: bool = False) -> Path:
    shutil.copytree(templates.fresh if fresh else templates.populated, target)
    return target


def _ca(data_dir: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((data_dir / "pki" / "ca.crt").read_bytes())


@dataclass
class Archived:
    data_dir: Path
    files: list[Path]
    records: dict[int, checks.Checked]
    sizes: dict[Path, list[int]]
    heads: dict[Path, tuple[str, str, str]]
    last: dict[Path, str]


def _check_files(data_dir: Path, files: list[Path], gpg_home: Path | None = None) -> Archived:
    """Check archive files and every container in them."""
    ca = _ca(data_dir)
    records: dict[int, checks.Checked] = {}
    sizes: dict[Path, list[int]] = {}
    heads, last = {}, {}
    for path in files:
        match = checks.NAME.match(path.name)
        assert match is not None, path.name
        content = gpg.decrypt(gpg_home, path) if gpg_home else path.read_bytes()
        archive = zipfile.ZipFile(io.BytesIO(content))
        heads[path], last[path] = checks.linkinginfo(archive)
        assert match["tag"] == last[path][:16]
        times = []
        for info in archive.infolist()[:-1]:
            record_id = int(info.filename.rsplit("-", 1)[1].removesuffix(".asice"), 32)
            assert record_id not in records
            records[record_id] = checks.container(info.filename, record_id,
                                                  archive.read(info.filename), ca)
            times.append(int.from_bytes(info.extra[5:9], "little"))
            sizes.setdefault(path, []).append(info.file_size)
        assert archive.infolist()[-1].extra[5:9] == max(times).to_bytes(4, "little")
        assert (match["start"], match["end"]) == tuple(
            dt_name(t) for t in (min(times), max(times)))
    return Archived(data_dir, files, records, sizes, heads, last)


def _check_run(data_dir: Path, result: Result) -> Archived:
    return _check_files(data_dir, [saved.path for saved in result.files])


def dt_name(seconds: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(seconds))


def _kapka_verifies(data_dir: Path, records: int, gpg_home: Path | None = None) -> None:
    """Kapka's own verifier passes every file and every record, against the printed configuration."""
    layout = data_dir / "messagelog"
    report = verify_directory(layout / "archive", conf=load_verification_conf(
        layout / "verificationconf"), gpg_home=gpg_home)
    failed = [record.to_dict() for file in report.files for record in file.records]
    assert report.status is Status.PASS, (report.findings, failed[:2])
    assert report.totals()["records_passed"] == records


def _chained(archived: Archived, files: list[Path]) -> None:
    """Each file's linkinginfo header names the file before it in the group (the first: ``- -``)."""
    previous = ("-", "-")
    for path in files:
        assert archived.heads[path][:2] == previous, path.name
        previous = (archived.last[path], path.name)


@dataclass
class Run:
    result: Result
    archived: Archived


def _token_signing_key_since(data_dir: Path, start: dt.datetime) -> str:
    """A second signing key of the owner on the token, certified from ``start`` (the template's own
    signing certificate starts only when the template was made)."""
    state = SandboxState.open(data_dir)
    try:
        state.login_token(PIN)
        key_id = state.generate_key("sign-key-2")
        return state.issue_certificate(key_id, "SIGNING", OWNER_ID, 30, not_before=start)
    finally:
        state.close()


SIX_HOURS = dt.timedelta(hours=6)


def _within_one_archive_run() -> dt.datetime:
    """A moment an hour before the last six-hour archiving boundary: minutes of traffic up to it
    are archived by one run, whatever the time of day the tests run at."""
    now = dt.datetime.now(dt.UTC)
    boundary = dt.datetime.fromtimestamp(now.timestamp() // SIX_HOURS.total_seconds()
                                         * SIX_HOURS.total_seconds(), dt.UTC)
    return boundary - dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def run(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """400 records in five minutes, rotated at 150 kB, from a populated sandbox whose token signs
    for the owner; the five minutes lie within one archiving run, so only the size ends files."""
    data_dir = _copy(templates, tmp_path_factory.mktemp("traffic") / "sandbox")
    later = _within_one_archive_run()
    _token_signing_key_since(data_dir, later - dt.timedelta(days=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("backend.sandbox.traffic.generate.utcnow", lambda: later)
        result = generate(data_dir, Options(400, days=5 / 1440, seed=7, max_filesize=150_000),
                          lambda: PIN)
    assert later - dt.timedelta(minutes=6) < _utc(result.start_ms) < _utc(result.end_ms) < later
    return Run(result, _check_run(data_dir, result))


@pytest.fixture
def archived(run: Run) -> Archived:
    return run.archived


def test_every_record_is_archived_once_and_verifies(run: Run, archived: Archived) -> None:
    _kapka_verifies(archived.data_dir, 400)
    assert run.result.records == 400
    assert sorted(archived.records) == list(range(1, 401))
    assert run.result.signatures < 400 and run.result.batch_timestamps >= 1
    assert all(path.parent == archived.data_dir / "messagelog" / "archive" for path in archived.files)
    assert not list((archived.data_dir / "messagelog" / "archive").glob("tmp-mlog-*"))


def test_files_chain_from_the_start_and_rotate_by_size(archived: Archived) -> None:
    _chained(archived, archived.files)
    assert len(archived.files) > 3
    for path in archived.files[:-1]:
        sizes = archived.sizes[path]
        assert sum(sizes) > 150_000 >= sum(sizes[:-1])  # X-Road checks after each container


def test_archives_are_ordered_by_member_then_record_id(archived: Archived) -> None:
    for path in archived.files:
        names = zipfile.ZipFile(path).namelist()[:-1]
        ids = [int(name.rsplit("-", 1)[1].removesuffix(".asice"), 32) for name in names]
        assert len(ids) == len(set(ids))
    everything = [int(n.rsplit("-", 1)[1].removesuffix(".asice"), 32)
                  for path in archived.files for n in zipfile.ZipFile(path).namelist()[:-1]]
    assert everything != sorted(everything)  # member first, then id: not in time order


def _openssl_verifies(checked: list[checks.Checked], ca: Path, directory: Path) -> None:
    """``openssl ts -verify`` accepts each record's time-stamp token over its data."""
    tokens = {(c.token, c.token_data) for c in checked}
    assert tokens
    for number, (token, data) in enumerate(sorted(tokens)):
        (directory / f"{number}.tst").write_bytes(token)
        (directory / f"{number}.xml").write_bytes(data)
        run = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", f"{number}.tst",
                              "-data", f"{number}.xml", "-CAfile", str(ca)],
                             cwd=directory, capture_output=True, text=True, check=False)
        assert run.returncode == 0 and "Verification: OK" in run.stdout, run.stderr


def test_timestamps_verify_with_openssl(archived: Archived, tmp_path: Path) -> None:
    _openssl_verifies(list(archived.records.values()), archived.data_dir / "pki" / "ca.crt",
                      tmp_path)


def test_traffic_is_soap_and_rest_between_the_seed_subsystems(archived: Archived) -> None:
    parsed = [c.parsed for c in archived.records.values()]
    assert {p.rest for p in parsed} == {True, False}
    by_query = Counter(p.query_id for p in parsed)
    assert all(count in (1, 2, 4) for count in by_query.values())
    assert any("/" in q for q in by_query) and any(not q.isascii() for q in by_query)
    subsystems = {"registry", "notifications", "permits", "cadastre", "maps", "tracking", "payments",
                  "reports"}
    assert {p.service_owner[2] for p in parsed} <= subsystems
    owner = ("GOV", "70000001")
    assert all(p.client[:2] == owner or p.service_owner[:2] == owner for p in parsed)


def test_the_owner_signs_with_its_token_key_and_others_with_registered_traffic_keys(
        run: Run, archived: Archived) -> None:
    connection = sqlite3.connect(archived.data_dir / "sandbox.db")
    token_certs = {bytes(der) for (der,) in connection.execute(
        "SELECT der FROM certificates c JOIN keys k ON k.id = c.key_id WHERE k.usage = 'SIGNING'")}
    registered = {int(serial) for (serial,) in connection.execute("SELECT serial FROM ca_issued")}
    connection.close()
    owner = [c for c in archived.records.values() if c.signer_member == ("GOV", "70000001")]
    assert owner and all(c.signer_der in token_certs for c in owner)
    assert all(c.signer_der not in token_certs for c in archived.records.values() if c not in owner)
    assert run.result.token_signers == ["SANDBOX-KG/GOV/70000001"]
    signers = list((archived.data_dir / "messagelog" / "signers").glob("*.crt"))
    assert len(signers) == len(run.result.issued) == 5  # the other members of the seed
    for path in signers:
        assert x509.load_pem_x509_certificate(path.read_bytes()).serial_number in registered
        assert (path.with_suffix(".key").stat().st_mode & 0o077) == 0


def _shape(xml: bytes) -> list[tuple[str, tuple[str, ...]]]:
    from lxml import etree
    return [(element.tag, tuple(sorted(element.attrib))) for element in etree.fromstring(xml).iter()]


def _fixture(path: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(FIXTURES / path)


def test_containers_have_the_structure_of_the_real_fixtures(archived: Archived) -> None:
    real = _fixture("asice/asic-verifier-cli/valid-batch-ts.asice")
    with zipfile.ZipFile(archived.files[0]) as archive:
        name = archive.namelist()[0]
        ours = zipfile.ZipFile(io.BytesIO(archive.read(name)))
        outer, real_outer = archive.infolist()[0], _fixture("archives/message-archive-0.zip").infolist()[0]
    assert (outer.compress_type, outer.flag_bits, outer.create_system, outer.extra[:5]) == \
        (real_outer.compress_type, real_outer.flag_bits, real_outer.create_system, real_outer.extra[:5])
    assert ours.comment == real.comment
    for mine, theirs in zip(ours.infolist(), real.infolist(), strict=False):
        assert (mine.compress_type, mine.flag_bits, mine.create_system, mine.extra[:5]) == \
            (theirs.compress_type, theirs.flag_bits, theirs.create_system, theirs.extra[:5])
    batch_signed = _fixture("archives/message-archive-0.zip")
    inner = zipfile.ZipFile(io.BytesIO(batch_signed.read(batch_signed.namelist()[0])))
    real_shape = [item for item in _shape(inner.read("META-INF/signatures.xml"))
                  if "SignatureTimeStamp" not in item[0] and "EncapsulatedTimeStamp" not in item[0]]
    assert _shape(ours.read("META-INF/signatures.xml")) == real_shape
    assert _shape(ours.read("ts-hashchainresult.xml")) == _shape(real.read("ts-hashchainresult.xml"))
    assert _shape(ours.read("META-INF/ASiCManifest.xml")) == _shape(real.read("META-INF/ASiCManifest.xml"))


def test_lone_messages_get_plain_signatures_and_single_timestamps(
        templates: Templates, tmp_path: Path) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    result = generate(data_dir, Options(40, seed=3, window_ms=1), lambda: PIN)
    archived = _check_run(data_dir, result)
    _kapka_verifies(data_dir, 40)
    plain = [c for c in archived.records.values() if not c.batch_signature]
    single = [c for c in archived.records.values() if not c.batch_timestamp]
    assert plain and single and result.single_timestamps == len(single)
    real = _fixture("asice/asic-verifier-cli/valid-signed-message.asice").read("META-INF/signatures.xml")
    with zipfile.ZipFile(archived.files[0]) as archive:
        for name in archive.namelist()[:-1]:
            inner = zipfile.ZipFile(io.BytesIO(archive.read(name)))
            if inner.namelist() == ["mimetype", "message.xml", "META-INF/signatures.xml",
                                    "META-INF/manifest.xml"]:
                assert _shape(inner.read("META-INF/signatures.xml")) == _shape(real)
                return
    pytest.fail("no container with a plain signature and a single timestamp")


def _utc(moment_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC)


@pytest.mark.parametrize("grouping", ["member", "subsystem"])
def test_grouping_gives_one_chain_per_group(templates: Templates, tmp_path: Path,
                                            grouping: str) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    with sqlite3.connect(data_dir / "sandbox.db") as connection:  # registered subsystems
        for client in ("GOV:70000001:registry", "GOV:70000001:notifications", "COM:50010002:payments",
                       "COM:50010002:reports"):
            member_class, code, subsystem = client.split(":")
            status = "SAVED" if subsystem == "reports" else "REGISTERED"  # not in the traffic
            connection.execute(
                "INSERT INTO clients (id, instance_identifier, member_class, member_code, "
                "subsystem_code, status, created_at) VALUES (?, 'SANDBOX-KG', ?, ?, ?, ?, "
                "'2025-01-01T00:00:00+00:00')",
                (f"SANDBOX-KG:{client}", member_class, code, subsystem, status))
    result = generate(data_dir, Options(160, seed=11, grouping=grouping, max_filesize=60_000),
                      lambda: PIN)
    archived = _check_run(data_dir, result)
    _kapka_verifies(data_dir, 160)
    groups: dict[str, list[Path]] = {}
    for path in archived.files:
        group = checks.NAME.match(path.name)["group"]
        assert group and group.startswith("SANDBOX-KG_")
        groups.setdefault(group, []).append(path)
    expected = {"SANDBOX-KG_GOV_70000001", "SANDBOX-KG_COM_50010002"} if grouping == "member" else {
        "SANDBOX-KG_GOV_70000001_registry", "SANDBOX-KG_GOV_70000001_notifications",
        "SANDBOX-KG_COM_50010002_payments"}
    assert set(groups) == expected and any(len(files) > 1 for files in groups.values())
    for group, files in groups.items():
        _chained(archived, files)
        parts = tuple(group.split("_")[1:])
        assert len(parts) == (2 if grouping == "member" else 3)
        for path in files:
            for name in zipfile.ZipFile(path).namelist()[:-1]:
                record = archived.records[int(name.rsplit("-", 1)[1].removesuffix(".asice"), 32)]
                size = len(parts)
                assert parts in (record.parsed.client[:size], record.parsed.service_owner[:size])


def test_a_second_run_continues_the_ids_and_the_chain(templates: Templates, tmp_path: Path) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    first = generate(data_dir, Options(30, seed=1), lambda: PIN)
    second = generate(data_dir, Options(20, seed=2), lambda: PIN)
    assert second.first_id == 31 and second.start_ms > first.end_ms
    archived = _check_run(data_dir, second)
    assert archived.heads[second.files[0].path][:2] == (first.files[-1].last_digest,
                                                         first.files[-1].path.name)
    assert sorted(archived.records) == list(range(31, 51))
    _kapka_verifies(data_dir, 50)


def test_encrypted_archives_open_with_the_printed_gnupg_home(
        templates: Templates, tmp_path_factory: pytest.TempPathFactory, pin_fd: int,
        capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path_factory.mktemp("gpg") / "s")  # gpg-agent's socket paths
    assert main(["traffic", "--records", "24", "--encrypt", "--seed", "5", "--max-filesize",
                 "40000", "--data", str(data_dir), "--pin-fd", str(pin_fd)]) == 0
    out = capsys.readouterr().out
    home = Path(next(line for line in out.splitlines() if line.startswith("GnuPG home")).split()[-1])
    assert home == data_dir / "messagelog" / "gpghome" and f"--gpg-home {home}" in out
    files = list((data_dir / "messagelog" / "archive").glob("mlog-*"))
    assert len(files) > 1 and all(path.name.endswith(".zip.gpg") for path in files)
    assert all(path.read_bytes()[:2] != b"PK" for path in files)  # OpenPGP messages, not zips
    try:
        archived = _check_files(data_dir, files, home)
        _kapka_verifies(data_dir, 24, home)
    finally:
        gpg.stop_agent(home)  # decrypting started one
    by_previous = {archived.heads[path][1]: path for path in files}
    ordered = [by_previous["-"]]
    while ordered[-1].name in by_previous:
        ordered.append(by_previous[ordered[-1].name])
    assert sorted(ordered) == sorted(files)
    _chained(archived, ordered)
    assert len(archived.records) == 24
