"""The sandbox over real TLS on loopback, and the ``kapka sandbox`` command."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from backend.sandbox.cli import main
from backend.sandbox.server import SandboxServer
from backend.sandbox.state import SandboxState
from backend.sandbox.tls import fingerprint
from tests.sandboxes import ADMIN_PASSWORD, Templates

pytestmark = pytest.mark.tls
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_version_over_tls(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "sandbox", admin_password=ADMIN_PASSWORD)
    info = server.start()
    try:
        assert info.base_url == f"https://127.0.0.1:{info.port}/api/v1"
        assert info.admin_username == "admin" and info.admin_password_file is None
        cert = x509.load_pem_x509_certificate(info.certificate_path.read_bytes())
        assert cert.subject.rfc4514_string() == "CN=127.0.0.1"
        assert (info.data_dir / "tls" / "proxy-ui-api.key").stat().st_mode & 0o077 == 0
        context = ssl.create_default_context(cafile=str(info.certificate_path))
        with httpx.Client(verify=context, base_url=info.base_url) as client:
            created = client.post("/api-keys", json=["XROAD_SECURITYSERVER_OBSERVER"],
                                  auth=("admin", ADMIN_PASSWORD))
            assert created.status_code == 200
            key = created.json()["key"]
            response = client.get("/system/version",
                                  headers={"Authorization": f"X-Road-ApiKey token={key}"})
        assert response.status_code == 200
        assert response.json()["info"].startswith("Security Server version 7.8")
        assert response.headers["x-road-ui-correlation-id"]
        assert server.state is not None
        assert server.state.public_base_url == f"https://127.0.0.1:{info.port}"
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(info.base_url + "/system/version", verify=False, timeout=2)


def test_restart_reuses_certificate_and_is_quick(templates: Templates, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    first = SandboxServer(data_dir)
    first_info = first.start()
    first.stop()
    started = time.perf_counter()
    second = SandboxServer(data_dir)
    info = second.start()
    elapsed = time.perf_counter() - started
    second.stop()
    assert fingerprint(info.certificate_path) == fingerprint(first_info.certificate_path)
    assert elapsed < 1.0, f"start-up with existing state took {elapsed:.3f} s"


def test_start_refuses_a_busy_port(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "one", admin_password=ADMIN_PASSWORD)
    info = server.start()
    try:
        from backend.errors import KapkaError

        with pytest.raises(KapkaError):
            SandboxServer(tmp_path / "two", port=info.port, admin_password=ADMIN_PASSWORD).start()
    finally:
        server.stop()


def test_cli_reset_refuses_a_foreign_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["--data", str(foreign), "--reset", "--port", "0"]) == 1
    assert "not deleted" in capsys.readouterr().err
    assert (foreign / "notes.txt").exists()


def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    SandboxState.open(data_dir, admin_password=ADMIN_PASSWORD).close()
    env = {**os.environ, "KAPKA_SANDBOX_ADMIN_PASSWORD": ADMIN_PASSWORD, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from backend.sandbox.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "--port", "0", "--data", str(data_dir), "--reset"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )
    try:
        lines = []
        assert process.stdout is not None
        while not any(line.startswith("Serving") for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            lines.append(line.strip())
        output = "\n".join(lines)
        assert f"Deleted the sandbox data directory {data_dir}" in output
        assert "Admin password:  as given" in output
        url = next(line.split()[-1] for line in lines if line.startswith("API:"))
        cert_path = Path(next(line.split(maxsplit=1)[1] for line in lines
                              if line.startswith("Certificate:")))
        assert next(line.split()[-1] for line in lines if line.startswith("SHA-256:")) == (
            fingerprint(cert_path))
        context = ssl.create_default_context(cafile=str(cert_path))
        response = httpx.get(url + "/api-keys", verify=context, auth=("admin", ADMIN_PASSWORD))
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=15)
    assert returncode == 0
