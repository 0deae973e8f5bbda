"""Message-log archives end to end: the sandbox's generated traffic, read in a pseudo-terminal.

``kapka sandbox traffic`` (the token PIN typed at its prompt) writes signed, timestamped archives
in X-Road's format. In ``kapka --sandbox`` a person opens the message log (m), finds a message by
its query id, reads it with its verification, exports its ``.asice`` and the search as CSV, and
verifies every archive. In the shell: ``kapka archives find --query-id`` and
``kapka archives verify --json`` exit 0; after one byte of one archive is flipped, ``verify`` exits
non-zero and names that file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.e2e.terminal import (
    SGR,
    Key,
    SpawnKapka,
    exits_with,
    keys,
    quit_with_0,
    see,
    see_dashboard,
    shell,
    submit,
    typed,
)
from tests.sandboxes import ADMIN_PASSWORD, PIN, Templates

pytestmark = pytest.mark.e2e

RECORDS, PER_FILE = 120, 40  # three archive files in one chain
#: the traffic's span: well inside one six-hourly archiving run, so that all of it lands in one
DAYS = "0.001"
ENTRY = re.compile(r"(?P<query>.+)-(?P<direction>request|response)-[0-9a-f]+\.asice")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: the sandbox's admin password is known to the console (``kapka --sandbox`` needs it)
OPERATOR_ENV = {"KAPKA_SANDBOX_ADMIN_PASSWORD": ADMIN_PASSWORD}


def clear_of_an_archiving_run() -> None:
    """Wait, if need be, until the traffic's span (the last ``DAYS``) holds none of the six-hourly
    archiving runs (00, 06, 12, 18 UTC), which would split the records into more files."""
    span = float(DAYS) * 86_400 + 30
    since = time.time() % (6 * 3600)
    if since < span:
        time.sleep(span - since)


def generate_traffic(spawn_kapka: SpawnKapka, data_dir: Path) -> None:
    """``kapka sandbox traffic``, the PIN typed at its prompt as the operator would."""
    clear_of_an_archiving_run()
    child = spawn_kapka("sandbox", "traffic", "--records", str(RECORDS), "--data", str(data_dir),
                        "--seed", "7", "--transaction-batch", str(PER_FILE), "--days", DAYS,
                        extra_env=OPERATOR_ENV, timeout=90)
    see(child, "PIN of token softToken-0: ")
    child.sendline(PIN)
    see(child, rf"Logged {RECORDS} records", timeout=90)
    see(child, r"New archive files:\s+3")
    exits_with(child, 0)


def soap_request(archive_dir: Path) -> tuple[str, Path, str, bytes]:
    """A SOAP request with a UUID query id used by no other exchange (generated traffic repeats
    some, as real traffic does), read straight from the zips: (query id, archive file, entry
    name, the entry's bytes)."""
    entries: dict[str, list[tuple[Path, str, str]]] = {}
    for archive in sorted(archive_dir.glob("mlog-*.zip")):
        with zipfile.ZipFile(archive) as outer:
            for name in outer.namelist():
                if (match := ENTRY.fullmatch(name)) is not None:
                    entries.setdefault(unquote(match["query"]), []).append(
                        (archive, name, match["direction"]))
    for query, found in entries.items():
        if not UUID.fullmatch(query) or sorted(kind for _a, _n, kind in found) != [
                "request", "response"]:
            continue
        archive, name = next((archive, name) for archive, name, kind in found if kind == "request")
        with zipfile.ZipFile(archive) as outer:
            data = outer.read(name)
        with zipfile.ZipFile(io.BytesIO(data)) as container:
            if b"Envelope" in container.read("message.xml"):
                return query, archive, name, data
    raise AssertionError(f"no SOAP exchange with a UUID query id of its own in {archive_dir}")


def flip_a_byte(archive: Path, entry: str) -> None:
    """One bit changed in the middle of ``entry``'s stored bytes."""
    with zipfile.ZipFile(archive) as outer:
        info = outer.getinfo(entry)
    data = bytearray(archive.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0x01
    archive.write_bytes(bytes(data))


def test_find_read_verify_and_export_a_message_then_the_command_line(
        templates: Templates, spawn_kapka: SpawnKapka, tmp_path: Path) -> None:
    home = tmp_path
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    generate_traffic(spawn_kapka, data_dir)
    archive_dir = data_dir / "messagelog" / "archive"
    conf = data_dir / "messagelog" / "verificationconf"
    files = sorted(path.name for path in archive_dir.glob("mlog-*.zip"))
    assert len(files) == 3
    query_id, archive, entry, container = soap_request(archive_dir)
    with zipfile.ZipFile(io.BytesIO(container)) as asice:
        body = re.search(r"<((?:[\w.-]+:)?Body)\b", asice.read("message.xml").decode())
    assert body is not None
    soap_body = body.group(1)  # e.g. SOAP-ENV:Body
    evidence = tmp_path / "evidence"
    evidence.mkdir()

    console = spawn_kapka("--sandbox", "--sandbox-data", str(data_dir), extra_env=OPERATOR_ENV)
    see_dashboard(console)

    # the message log: the archive files are indexed, then the query id is searched for
    keys(console, "m")
    see(console, "Message-log archives")
    see(console, rf"3 files, {RECORDS} records")
    keys(console, "/")
    typed(console, query_id)  # seen in the filter (the list shows query ids shortened)
    keys(console, Key.ENTER)
    see(console, rf"2 of {RECORDS} records match")
    keys(console, Key.ENTER)  # the first line: the request

    # the record: its facts, its verification, its message
    see(console, "Message-log record")
    see(console, "query id" + SGR + query_id)
    see(console, "direction" + SGR + "request")
    see(console, "Container:" + SGR + "✓ PASS")
    keys(console, Key.PAGE_DOWN)  # the layers of the verification, below
    see(console, "signature_ok")  # the XAdES signature over message.xml
    see(console, "cert_path_ok")  # the signer certificate chains to an approved CA
    keys(console, Key.END)  # end: the message itself, pretty-printed
    see(console, re.escape(soap_body))

    # the evidence: the record's container exactly as archived
    keys(console, "e")
    see(console, "Export the record's container")
    submit(console, str(evidence))
    see(console, "Container exported")
    assert (evidence / entry).read_bytes() == container

    # the search result as CSV, from the records view
    keys(console, Key.ESCAPE)
    see(console, rf"2 of {RECORDS} records match")
    keys(console, "e")
    see(console, "Export the search result as CSV")
    submit(console, str(evidence))
    see(console, "CSV exported")
    [saved] = evidence.glob("*.csv")
    rows = list(csv.DictReader(saved.open(encoding="utf-8", newline="")))
    assert [(row["query_id"], row["direction"]) for row in rows] == [
        (query_id, "request"), (query_id, "response")]
    assert rows[0]["archive"] == archive.name

    # every archive verified, every layer
    keys(console, "v")
    see(console, "Verify message-log archives")
    see(console, "✓ PASS" + SGR + r"3 files \(0 failed\), " +
        rf"{RECORDS} records: {RECORDS} passed, 0 not verified, 0 failed", timeout=60)
    for name in files:
        see(console, "PASS" + SGR + re.escape(name))
    keys(console, Key.ESCAPE)
    quit_with_0(console)

    # the command line, as in a script or over SSH
    found = shell(home, "archives", "find", str(archive_dir), "--query-id", query_id,
                  extra_env=OPERATOR_ENV)
    assert found.returncode == 0, found.stderr
    assert "2 records match." in found.stdout and entry in found.stdout, found.stdout
    assert re.search(rf"request +SOAP +{query_id}", found.stdout), found.stdout
    found = shell(home, "archives", "find", str(archive_dir), "--query-id", query_id, "--json",
                  extra_env=OPERATOR_ENV)
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert answer["count"] == 2
    assert {(record["direction"], record["archive"]) for record in answer["records"]} == {
        ("request", archive.name), ("response", archive.name)}

    verified = shell(home, "archives", "verify", str(archive_dir), "--conf", str(conf), "--json",
                     extra_env=OPERATOR_ENV)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr
    report = json.loads(verified.stdout)
    assert report["status"] == "PASS"
    assert report["totals"]["records_passed"] == RECORDS and report["totals"]["files_failed"] == 0
    assert {"linkinginfo", "timestamp", "signature", "certificate", "ocsp"} <= set(report["layers"])

    flip_a_byte(archive, entry)
    broken = shell(home, "archives", "verify", str(archive_dir), "--conf", str(conf),
                   extra_env=OPERATOR_ENV)
    assert broken.returncode == 3, broken.stdout[-2000:] + broken.stderr
    assert re.search(rf"FAIL\s+\S*{re.escape(archive.name)}", broken.stdout), broken.stdout
    assert "linkinginfo_digest_mismatch" in broken.stdout and entry in broken.stdout
    others = [name for name in files if name != archive.name]
    assert all(re.search(rf"PASS\s+\S*{re.escape(name)}", broken.stdout) for name in others)
    broken = shell(home, "archives", "verify", str(archive_dir), "--conf", str(conf), "--json",
                   extra_env=OPERATOR_ENV)
    assert broken.returncode == 3
    failed = [file["name"] for file in json.loads(broken.stdout)["files"] if file["status"] == "FAIL"]
    assert failed == [archive.name]
