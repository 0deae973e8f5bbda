"""Helpers for the screen tests: building the app, clients of the sandbox, waiting, TLS files."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from textual.pilot import Pilot
from textual.widgets import Input

from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.models import ROLES
from backend.api.transport import ApiTransport
from backend.sandbox.app import create_app
from backend.sandbox.state import SandboxState
from console.app import KapkaApp
from console.audit import AuditJournal
from console.config import Config
from console.connector import Connector
from console.filekeyring import ScryptParams
from console.secrets import SecretStore

BASE_URL = "https://127.0.0.1:4000/api/v1"
ADMIN_PASSWORD = "pw-for-tests"
PASSPHRASE = "correct horse battery staple"
PIN = "Secret-PIN-1234"
FAST_KDF = ScryptParams(n=2**12, r=8, p=1)
SIZE = (80, 24)


@dataclass
class Initialised:
    state: SandboxState
    auth_hash: str
    sign_hash: str
    member_id: str


def asgi(state: SandboxState) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(state))


def api_key(state: SandboxState, roles: list[str] | None = None) -> str:
    _key_id, key = state.create_api_key(list(roles or ROLES))
    return key


def client_for(transport: httpx.AsyncBaseTransport, key: str = "no-key") -> SecurityServerClient:
    return SecurityServerClient(ApiTransport(BASE_URL, api_key=Secret(key),
                                             http_transport=transport, backoff=0.0))


def make_connector(config: Config, secrets: SecretStore, journal: AuditJournal | None = None,
                   transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
                   read_only: bool = False) -> Connector:
    return Connector(config, secrets, journal, read_only=read_only,
                     http_transport_factory=transport)


def make_app(connector: Connector, config: Config, **kwargs: Any) -> KapkaApp:
    # the setup wizard replaces the dashboard on a fresh server; its own tests ask for it
    kwargs.setdefault("setup_wizard", False)
    return KapkaApp(connector=connector, config=config, **kwargs)


# -- waiting ------------------------------------------------------------------------------------

async def wait_for(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 10.0,
                   what: str = "condition") -> None:
    """Let the app run until ``condition()`` holds (workers run concurrently with the test)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def dashboard_loaded(pilot: Pilot[Any], loads: int = 1) -> Any:
    from screens.dashboard import DashboardScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen)
                   and app.screen.loads >= loads, what=f"dashboard load {loads}")
    await pilot.pause()
    return app.screen


async def until_screen(pilot: Pilot[Any], kind: type, timeout: float = 10.0) -> Any:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind), timeout, kind.__name__)
    await pilot.pause()
    return pilot.app.screen


def set_input(screen: Any, selector: str, value: str) -> None:
    screen.query_one(selector, Input).value = value



# -- certificates for TLS tests -----------------------------------------------------------------

def self_signed(common_name: str, directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / f"{name}.crt"
    key_path = directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
