"""``kapka sandbox ca sign|revoke``: the sandbox CA on a data directory, with real files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from backend.sandbox.cli import main
from backend.sandbox.state import SandboxState
from tests.sandboxes import OWNER_ID, PIN, Templates

TEST_CA = "Kapka Sandbox Test CA"
ACME_CA = "Kapka Sandbox ACME CA"


@pytest.fixture
def data_dir(templates: Templates, tmp_path: Path) -> Path:
    """A populated sandbox that is not running, with an authentication and a signing CSR."""
    target = tmp_path / "sandbox"
    shutil.copytree(templates.populated, target)
    state = SandboxState.open(target)
    try:
        state.login_token(PIN)
        auth_key = state.generate_key("auth")
        sign_key = state.generate_key("sign")
        for key_id, usage, member, name in ((auth_key, "AUTHENTICATION", None, "auth.csr"),
                                            (sign_key, "SIGNING", OWNER_ID, "sign.der")):
            csr_id = state.create_csr(key_id, usage, member)
            data, _filename = state.csr_file(key_id, csr_id, "PEM" if name.endswith("csr") else "DER")
            (tmp_path / name).write_bytes(data)
    finally:
        state.close()
    return target


def _ca_cert(data_dir: Path, name: str = "ca.crt") -> x509.Certificate:
    return x509.load_pem_x509_certificate((data_dir / "pki" / name).read_bytes())


def test_sign_an_authentication_csr(data_dir: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "auth.pem"
    assert main(["ca", "sign", str(tmp_path / "auth.csr"), "-o", str(out), "--data",
                 str(data_dir), "--days", "90"]) == 0
    assert "Signed O=Ala-Too State Registry Service, C=KG, SERIALNUMBER=70000001, CN=SS1, serial" \
        in capsys.readouterr().out
    cert = x509.load_pem_x509_certificate(out.read_bytes())
    request = x509.load_pem_x509_csr((tmp_path / "auth.csr").read_bytes())
    cert.verify_directly_issued_by(_ca_cert(data_dir))
    assert cert.subject == request.subject and cert.public_key() == request.public_key()
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 90
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.content_commitment
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ExtendedKeyUsageOID.CLIENT_AUTH in eku
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "https://127.0.0.1:4000/sandbox/ocsp"


def test_sign_a_der_signing_csr_as_der(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sign.cer"
    assert main(["ca", "sign", str(tmp_path / "sign.der"), "-o", str(out), "--der",
                 "--data", str(data_dir)]) == 0
    cert = x509.load_der_x509_certificate(out.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    state = SandboxState.open(data_dir)
    try:
        state.login_token(PIN)
        digest = state.import_certificate(out.read_bytes())
        row = state.certificate(digest)
        assert (row["status"], row["active"], row["member_id"]) == ("REGISTERED", 1, OWNER_ID)
    finally:
        state.close()


def test_expired_not_yet_valid_wrong_usage_and_other_ca(data_dir: Path, tmp_path: Path) -> None:
    request = str(tmp_path / "auth.csr")
    out = tmp_path / "cert.pem"
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).date().isoformat()
    assert main(["ca", "sign", request, "-o", str(out), "--data", str(data_dir),
                 "--not-before", past, "--days", "10"]) == 0
    assert x509.load_pem_x509_certificate(out.read_bytes()).not_valid_after_utc < dt.datetime.now(
        dt.UTC)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(timespec="minutes")
    assert main(["ca", "sign", request, "-o", str(out), "--data", str(data_dir),
                 "--not-before", future]) == 0
    assert x509.load_pem_x509_certificate(out.read_bytes()).not_valid_before_utc > dt.datetime.now(
        dt.UTC)
    assert main(["ca", "sign", request, "-o", str(out), "--data", str(data_dir),
                 "--usage", "sign"]) == 0
    usage = x509.load_pem_x509_certificate(out.read_bytes()).extensions.get_extension_for_class(
        x509.KeyUsage).value
    assert usage.content_commitment and not usage.digital_signature
    assert main(["ca", "sign", request, "-o", str(out), "--data", str(data_dir),
                 "--ca", ACME_CA]) == 0
    x509.load_pem_x509_certificate(out.read_bytes()).verify_directly_issued_by(
        _ca_cert(data_dir, "extra-ca1.crt"))


def test_revoke_while_the_sandbox_runs(data_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    state = SandboxState.open(data_dir)  # the server's state stays open meanwhile
    try:
        out = tmp_path / "auth.pem"
        assert main(["ca", "sign", str(tmp_path / "auth.csr"), "-o", str(out),
                     "--data", str(data_dir)]) == 0
        cert = x509.load_pem_x509_certificate(out.read_bytes())
        request = ocsp.OCSPRequestBuilder().add_certificate(
            cert, _ca_cert(data_dir), hashes.SHA1()).build().public_bytes(serialization.Encoding.DER)
        answer = ocsp.load_der_ocsp_response(state.ocsp_respond(request))
        assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert main(["ca", "revoke", str(out), "--data", str(data_dir),
                     "--reason", "superseded"]) == 0
        assert "Revoked serial" in capsys.readouterr().out
        answer = ocsp.load_der_ocsp_response(state.ocsp_respond(request))
        assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert answer.revocation_reason == x509.ReasonFlags.superseded
    finally:
        state.close()


def test_refusals(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.pem"
    not_sandbox = tmp_path / "elsewhere"
    not_sandbox.mkdir()
    assert main(["ca", "sign", str(tmp_path / "auth.csr"), "-o", str(out),
                 "--data", str(not_sandbox)]) == 1
    assert "not a sandbox data directory" in capsys.readouterr().err
    garbage = tmp_path / "garbage.csr"
    garbage.write_bytes(b"hello")
    assert main(["ca", "sign", str(garbage), "-o", str(out), "--data", str(data_dir)]) == 1
    plain_key = rsa.generate_private_key(65537, 2048)
    plain = (x509.CertificateSigningRequestBuilder()
             .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "plain")]))
             .sign(plain_key, hashes.SHA256()))
    plain_path = tmp_path / "plain.csr"
    plain_path.write_bytes(plain.public_bytes(serialization.Encoding.PEM))
    assert main(["ca", "sign", str(plain_path), "-o", str(out), "--data", str(data_dir)]) == 1
    assert "--usage" in capsys.readouterr().err
    assert main(["ca", "sign", str(plain_path), "-o", str(out), "--data", str(data_dir),
                 "--usage", "auth"]) == 0
    assert main(["ca", "sign", str(plain_path), "-o", str(out), "--data", str(data_dir),
                 "--ca", "No CA"]) == 1
    foreign = tmp_path / "foreign.pem"
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "elsewhere")])
    now = dt.datetime.now(dt.UTC)
    self_signed = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(plain_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
                   .sign(plain_key, hashes.SHA256()))
    foreign.write_bytes(self_signed.public_bytes(serialization.Encoding.PEM))
    assert main(["ca", "revoke", str(foreign), "--data", str(data_dir)]) == 1
    assert "did not issue" in capsys.readouterr().err
    assert main(["ca", "sign", str(tmp_path / "missing.csr"), "-o", str(out),
                 "--data", str(data_dir)]) == 1


def test_an_interrupted_sign_leaves_no_certificate_file(data_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from backend import atomicfile

    class InterruptedRename:  # ``os``, but Ctrl-C arrives just before the rename
        def __getattr__(self, name: str) -> object:
            return getattr(os, name)

        @staticmethod
        def replace(source: object, target: object) -> None:
            raise KeyboardInterrupt

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["ca", "sign", str(tmp_path / "auth.csr"), "-o", str(out_dir / "auth.pem"),
            "--data", str(data_dir)]
    with monkeypatch.context() as patched:
        patched.setattr(atomicfile, "os", InterruptedRename())
        with pytest.raises(KeyboardInterrupt):
            main(argv)
    assert list(out_dir.iterdir()) == []
    assert main(argv) == 0
    assert [path.name for path in out_dir.iterdir()] == ["auth.pem"]
