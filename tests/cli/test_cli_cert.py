"""From a CSR to an active certificate with ``kapka csr``/``kapka cert`` against a sandbox over TLS."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from backend.pki.certfile import public_key_der, read_certificate, read_csr_file
from console import paths
from tests.cli.conftest import CliSandbox
from tests.pki.pkitools import REFERENCE_DIR, der, issue, make_ca, pem
from tests.sandboxes import OWNER_ID

FIXTURES = REFERENCE_DIR / "fixtures" / "certs"
YESTERDAY = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


def new_csr(cli: CliSandbox, usage: str, label: str) -> tuple[str, str]:
    key_id = cli.state.generate_key(label)
    csr_id = cli.state.create_csr(key_id, usage, OWNER_ID if usage == "SIGNING" else None)
    return key_id, csr_id


def certificates(cli: CliSandbox) -> dict[str, dict]:
    data = json.loads(cli.kapka("keys", "list", "--json").out)
    return {cert["certificate_details"]["hash"]: cert for token in data["tokens"]
            for key in token["keys"] for cert in key["certificates"]}


def test_export_a_csr_as_der_into_a_directory_and_as_pem_to_stdout(
        cli: CliSandbox, tmp_path: Path) -> None:
    key_id, csr_id = new_csr(cli, "AUTHENTICATION", "new-auth")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = cli.kapka("csr", "export", key_id, "--format", "der", "-o", str(out_dir))
    assert result.code == 0, result.err
    files = list(out_dir.iterdir())
    assert len(files) == 1 and files[0].suffix == ".der"
    csr = read_csr_file(files[0])
    assert csr.encoding == "DER" and csr.signature_valid
    assert csr_id in result.err and "kapka cert import" in result.err
    by_label = cli.kapka("csr", "export", "new-auth", csr_id)
    assert by_label.code == 0 and by_label.out.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    again = cli.kapka("csr", "export", key_id, "--format", "der", "-o", str(files[0]))
    assert again.code == 2 and "--force" in again.err
    forced = cli.kapka("csr", "export", key_id, "--format", "der", "-o", str(files[0]),
                       "--force")
    assert forced.code == 0


def test_export_errors(cli: CliSandbox) -> None:
    assert cli.kapka("csr", "export", "no-such-key").code == 2
    result = cli.kapka("csr", "export", cli.ids["auth_key"])
    assert result.code == 2 and "has no CSR" in result.err


def test_import_register_activate_an_authentication_certificate(
        cli: CliSandbox, tmp_path: Path) -> None:
    key_id, csr_id = new_csr(cli, "AUTHENTICATION", "renewed-auth")
    csr_file = tmp_path / "auth.der"
    assert cli.kapka("csr", "export", key_id, "--format", "der", "-o", str(csr_file)).code == 0
    cert_file = tmp_path / "auth.cer"  # a CA may send PEM under any name
    cert_file.write_bytes(cli.sign(csr_file.read_bytes(), days=365))
    digest = read_certificate(cert_file.read_bytes()).hash

    checked = cli.kapka("cert", "check", str(cert_file), "--json")
    assert checked.code == 0, checked.err
    result = json.loads(checked.out)
    assert result["key_id"] == key_id and result["csr_id"] == csr_id
    assert result["usage"] == "AUTHENTICATION" and result["certificate"]["hash"] == digest

    imported = cli.kapka("cert", "import", str(cert_file))
    assert imported.code == 0, imported.err
    assert "passes the checks" in imported.out and digest in imported.out
    assert f"kapka cert register {digest} --address" in imported.out
    assert certificates(cli)[digest]["status"] == "SAVED"

    twice = cli.kapka("cert", "import", str(cert_file))
    assert twice.code == 3 and "already imported" in twice.err

    bad_address = cli.kapka("cert", "register", digest[:12], "--address", "https://x:5500")
    assert bad_address.code == 2 and "public DNS name" in bad_address.err
    registered = cli.kapka("cert", "register", digest[:12], "--address", "ss1.example.kg")
    assert registered.code == 0, registered.err
    assert certificates(cli)[digest]["status"] in ("REGISTRATION_IN_PROGRESS", "REGISTERED")

    activated = cli.kapka("cert", "activate", str(cert_file))
    assert activated.code == 0, activated.err
    assert certificates(cli)[digest]["active"] is True
    assert "active already" in cli.kapka("cert", "activate", digest).out


def test_import_a_signing_certificate_as_json(cli: CliSandbox, tmp_path: Path) -> None:
    key_id, _csr_id = new_csr(cli, "SIGNING", "new-sign")
    csr_pem = cli.kapka("csr", "export", key_id).out.encode()
    cert_file = tmp_path / "sign.pem"
    cert_file.write_bytes(cli.sign(csr_pem))
    result = cli.kapka("cert", "import", str(cert_file), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    imported = data["imported"]
    assert imported["status"] == "REGISTERED" and imported["owner_id"] == OWNER_ID
    assert data["checked"]["key_id"] == key_id and data["checked"]["member_id"] == OWNER_ID


def test_nothing_is_sent_when_a_check_fails(cli: CliSandbox, tmp_path: Path) -> None:
    before = certificates(cli)
    unrelated = tmp_path / "unrelated.pem"
    unrelated.write_bytes(pem(issue(make_ca(), ec.generate_private_key(ec.SECP256R1())
                                    .public_key(), usages=("digital_signature",),
                                    not_before=YESTERDAY)))
    cases = {
        str(FIXTURES / "google-cert.pem"): "no key-usage extension",
        str(FIXTURES / "invalidchain.crt"): "not one chain",
        str(unrelated): "No key on this server waits",
    }
    big = tmp_path / "big.pem"
    with big.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    cases[str(big)] = "more than the 10.0 MB"
    for path, reason in cases.items():
        result = cli.kapka("cert", "import", path)
        assert result.code == 3, (path, result.err)
        assert reason in result.err
    assert cli.kapka("cert", "import", str(tmp_path / "missing.pem")).code == 2
    assert certificates(cli) == before
    journal = paths.audit_path()  # every write Kapka attempts is journaled: none was
    assert not journal.exists() or "/token-certificates" not in journal.read_text()


def test_a_certificate_from_an_unapproved_ca(cli: CliSandbox, tmp_path: Path) -> None:
    key_id, _csr_id = new_csr(cli, "AUTHENTICATION", "stranger-auth")
    csr = x509.load_pem_x509_csr(cli.kapka("csr", "export", key_id).out.encode())
    cert_file = tmp_path / "stranger.der"
    cert_file.write_bytes(der(issue(make_ca("Stranger CA"), csr.public_key(),
                                    not_before=YESTERDAY)))
    result = cli.kapka("cert", "check", str(cert_file))
    assert result.code == 3 and "not an approved certification authority" in result.err
    as_json = cli.kapka("cert", "check", str(cert_file), "--json")
    assert as_json.code == 3 and json.loads(as_json.out)["reason"] == "unknown_ca"
    assert public_key_der(csr.public_key())  # the key was the right one: only the CA is wrong


def test_read_only_runs_the_checks_and_sends_nothing(cli: CliSandbox, tmp_path: Path) -> None:
    key_id, _csr_id = new_csr(cli, "AUTHENTICATION", "read-only-auth")
    cert_file = tmp_path / "auth.pem"
    cert_file.write_bytes(cli.sign(cli.kapka("csr", "export", key_id).out.encode()))
    result = cli.kapka("cert", "import", str(cert_file), "--read-only")
    assert result.code == 3 and "read-only" in result.err
    assert "passes the checks" in result.out
    assert read_certificate(cert_file.read_bytes()).hash not in certificates(cli)


def test_no_check_sends_the_file_as_it_is(cli: CliSandbox, tmp_path: Path) -> None:
    before = certificates(cli)
    result = cli.kapka("cert", "import", str(FIXTURES / "google-cert.der"), "--no-check")
    assert result.code in (1, 3)  # X-Road refuses it instead (or fails on it)
    assert "Not checking" in result.err and certificates(cli) == before


def test_show_reads_standard_input(cli: CliSandbox, monkeypatch) -> None:
    data = (FIXTURES / "google-cert.pem").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = cli.kapka("cert", "show", "-")
    assert result.code == 0 and "standard input (PEM)" in result.out


def test_show_describes_a_file_offline(cli: CliSandbox) -> None:
    result = cli.kapka("cert", "show", str(FIXTURES / "google-cert.der"))
    assert result.code == 0
    assert "4F4B6A726626F51E" in result.out and "EXPIRED" in result.out
    data = json.loads(cli.kapka("cert", "show", str(FIXTURES / "validchain.crt"), "--json").out)
    assert data["subject_common_name"] == "subcert.niis.org" and data["chain"] == \
        ["CN=5e18422580b8"]


def test_register_refuses_a_signing_certificate(cli: CliSandbox) -> None:
    result = cli.kapka("cert", "register", cli.ids["sign_hash"], "--address", "ss1.example.kg")
    assert result.code == 3 and "signing certificate" in result.err
    assert cli.kapka("cert", "activate", "ABCDEF").code == 2  # too short to name one
