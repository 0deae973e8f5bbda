"""Helpers for the keys and renewal tests: API models as X-Road sends them, and sandbox steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from backend.api.models import Key, Token, TokenCertificate, TokenCertificateSigningRequest

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MEMBER = "KG:GOV:70000001"


def certificate(cert_hash: str, *, days: int = 100, issued_days_ago: int = 10,
                status: str = "REGISTERED", active: bool = True,
                ocsp: str | None = "OCSP_RESPONSE_GOOD", owner: str | None = None,
                actions: tuple[str, ...] = (), renewed: str | None = None,
                subject: str = "CN=SS1, SERIALNUMBER=70000001, O=Ala-Too, C=KG",
                saved: bool = True) -> TokenCertificate:
    data: dict[str, Any] = {
        "ocsp_status": ocsp, "owner_id": owner, "active": active, "status": status,
        "saved_to_configuration": saved, "possible_actions": list(actions),
        "renewed_cert_hash": renewed,
        "certificate_details": {
            "issuer_distinguished_name": "CN=Kapka Test CA, O=Sandbox, C=KG",
            "issuer_common_name": "Kapka Test CA",
            "subject_distinguished_name": subject,
            "subject_common_name": subject.split(",")[0].removeprefix("CN="),
            "not_before": (NOW - timedelta(days=issued_days_ago)).isoformat(),
            "not_after": (NOW + timedelta(days=days)).isoformat(),
            "serial": "1", "version": 3, "signature_algorithm": "SHA256withRSA",
            "signature": "00", "public_key_algorithm": "RSA", "hash": cert_hash,
        },
    }
    return msgspec.convert({k: v for k, v in data.items() if v is not None}, TokenCertificate)


def csr(csr_id: str, owner: str | None = None) -> TokenCertificateSigningRequest:
    return TokenCertificateSigningRequest(id=csr_id, owner_id=owner, possible_actions=["DELETE"])


def key(key_id: str, usage: str | None, *, certs: tuple[TokenCertificate, ...] = (),
        csrs: tuple[TokenCertificateSigningRequest, ...] = (), label: str | None = None,
        actions: tuple[str, ...] = ("DELETE",)) -> Key:
    return Key(id=key_id, name=label or key_id, label=label or key_id, usage=usage,
               certificates=list(certs), certificate_signing_requests=list(csrs),
               possible_actions=list(actions))


def token(*keys: Key, logged_in: bool = True, actions: tuple[str, ...] | None = None) -> Token:
    if actions is None:
        actions = ("GENERATE_KEY", "LOGOUT", "TOKEN_CHANGE_PIN") if logged_in else ("LOGIN",)
    return Token(id="0", name="softToken-0", type="SOFTWARE", status="OK", logged_in=logged_in,
                 available=True, keys=list(keys), possible_actions=list(actions))


# -- the app against the sandbox ------------------------------------------------------------------

def start(initialised: Any, config: Any, secrets: Any, *, roles: list[str] | None = None,
          read_only: bool = False, journal: Any = None) -> Any:
    """The app connected to the sandbox with an API key of ``roles`` (all roles by default)."""
    from screen_support import api_key, asgi, client_for, make_app, make_connector

    state = getattr(initialised, "state", initialised)
    client = client_for(asgi(state), api_key(state, roles))
    client.transport.read_only = read_only
    client.transport.observer = journal
    return make_app(make_connector(config, secrets, journal, read_only=read_only), config,
                    client=client, profile_label="sandbox", read_only=read_only)


async def open_keys(pilot: Any, *, press: str | None = "k", loads: int = 1) -> Any:
    """Press ``k`` on the dashboard and wait until the keys screen has loaded."""
    from screen_support import wait_for

    from screens.dashboard import DashboardScreen
    from screens.keys import KeysScreen

    if press:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DashboardScreen),
                       what="dashboard")
        await pilot.press(press)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, KeysScreen)
                   and pilot.app.screen.loads >= loads, what="keys screen")
    await pilot.pause()
    return pilot.app.screen


async def keys_reloaded(pilot: Any, keys: Any, before: int) -> Any:
    """Wait until an action started when ``keys.generation`` was ``before`` has finished and the
    screen shows its result (the keys and the renew screen count finished actions)."""
    from screen_support import wait_for

    await wait_for(pilot, lambda: keys.generation > before and not keys.busy
                   and keys.loaded_generation >= keys.generation, what="reload")
    await pilot.pause()
    return keys


async def dialog(pilot: Any, kind: type) -> Any:
    from screen_support import until_screen

    return await until_screen(pilot, kind)


async def confirm(pilot: Any, acknowledgement: str | None = None) -> Any:
    """In the ConfirmDialog on top: type the acknowledgement (if any), then press the confirm button."""
    from textual.widgets import Button, Input

    from screens.widgets.confirm import ConfirmDialog

    screen = await dialog(pilot, ConfirmDialog)
    assert pilot.app.focused is screen.query_one("#cancel", Button)  # Cancel has the focus
    if acknowledgement is not None:
        assert screen.query_one("#confirm", Button).disabled
        screen.query_one("#confirm-ack", Input).focus()
        for char in acknowledgement:
            await pilot.press("space" if char == " " else char)
        await pilot.pause()
    button = screen.query_one("#confirm", Button)
    assert not button.disabled
    button.press()
    await pilot.pause()
    return screen


def sign_csr(state: Any, key_id: str, csr_id: str, directory: Any, *, days: int = 365,
             not_before: Any = None) -> Any:
    """Have the sandbox CA sign a CSR of the token (as ``kapka sandbox ca sign``); the PEM file."""
    from cryptography.hazmat.primitives import serialization

    from backend.sandbox.ca import SandboxCA

    data, _name = state.csr_file(key_id, csr_id, "PEM")
    ca = SandboxCA.open(state.data_dir)
    try:
        cert = ca.sign(data, days=days, not_before=not_before)
    finally:
        ca.close()
    path = directory / f"{csr_id}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def record_notifications(app: Any) -> list[tuple[str, str]]:
    """Every toast from now on, as (title, message)."""
    told: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, *, title: str = "", **kwargs: Any) -> Any:
        told.append((title, message))
        return original(message, title=title, **kwargs)

    app.notify = notify
    return told
