"""A sandbox served over TLS on loopback, a profile for it and ``kapka`` run in-process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.api.models import ROLES
from backend.sandbox.ca import SandboxCA
from backend.sandbox.server import SandboxServer
from backend.sandbox.state import SandboxState
from console.cli import main
from console.filekeyring import ScryptParams
from console.secrets import SecretStore
from tests.sandboxes import PIN, Templates

PASSPHRASE = "cli-tests-passphrase"
PROFILE = "sandbox"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass
class CliSandbox:
    server: SandboxServer
    data_dir: Path
    config: Path
    base_url: str
    certificate: Path
    ids: dict[str, str]
    capsys: pytest.CaptureFixture[str]

    @property
    def state(self) -> SandboxState:
        assert self.server.state is not None
        return self.server.state

    def kapka(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def sign(self, csr: bytes, **kwargs: object) -> bytes:
        """The sandbox CA's certificate (PEM) for a CSR, as ``kapka sandbox ca sign`` makes it."""
        from cryptography.hazmat.primitives import serialization

        ca = SandboxCA.open(self.data_dir)
        try:
            return ca.sign(csr, **kwargs).public_bytes(serialization.Encoding.PEM)  # type: ignore[arg-type]
        finally:
            ca.close()

    def write_profile(self, **fields: str) -> None:
        values = {"url": self.base_url, "trust": "file", "certificate": str(self.certificate),
                  "api_key_ref": f"profile/{PROFILE}", **fields}
        lines = [f'default_profile = "{PROFILE}"', "", f"[profiles.{PROFILE}]"]
        lines += [f'{key} = "{value}"' for key, value in values.items()]
        self.config.write_text("\n".join(lines) + "\n")


@pytest.fixture
def cli(templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Iterator[CliSandbox]:
    """The populated sandbox over real TLS, and a default profile with an API key for it."""
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    server = SandboxServer(data_dir)
    info = server.start()
    try:
        assert server.state is not None
        server.state.login_token(PIN)
        monkeypatch.setenv("KAPKA_SECRETS_BACKEND", "file")
        monkeypatch.setenv("KAPKA_SECRETS_PASSPHRASE", PASSPHRASE)
        _key_id, key = server.state.create_api_key(list(ROLES))
        SecretStore(prefer="file", kdf=ScryptParams(n=2**12, r=8, p=1)).set_api_key(
            f"profile/{PROFILE}", key)
        config = tmp_path / "config.toml"
        monkeypatch.setenv("KAPKA_CONFIG", str(config))
        sandbox = CliSandbox(server, data_dir, config, info.base_url, info.certificate_path,
                             templates.ids, capsys)
        sandbox.write_profile()
        yield sandbox
    finally:
        server.stop()
