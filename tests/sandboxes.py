"""Sandbox states for tests: fresh, and initialised with keys and certificates.

First-start work (the test PKI) and the RSA keys of a populated token are made once per session in
template data directories; each test gets its own copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.sandbox.state import SandboxState

ADMIN_PASSWORD = "Sandbox-Admin-Password-1"
PIN = "Tunduk-PIN-2024"
OWNER_CLASS, OWNER_CODE, SERVER_CODE = "GOV", "70000001", "SS1"
OWNER_ID = f"SANDBOX-KG:{OWNER_CLASS}:{OWNER_CODE}"
BASE_URL = "https://127.0.0.1:4000"
AUTH_DAYS, SIGN_DAYS = 365, 30


def api_key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"X-Road-ApiKey token={key}"}


def populate(state: SandboxState) -> dict[str, str]:
    """Initialise the server and give it an authentication and a signing key and certificate."""
    state.import_own_anchor()
    state.initialize(OWNER_CLASS, OWNER_CODE, SERVER_CODE, PIN)
    state.add_timestamping_service("Kapka Sandbox TSA")
    auth_key = state.generate_key("auth-key")
    sign_key = state.generate_key("sign-key")
    auth_hash = state.issue_certificate(auth_key, "AUTHENTICATION", OWNER_ID, AUTH_DAYS)
    sign_hash = state.issue_certificate(sign_key, "SIGNING", OWNER_ID, SIGN_DAYS)
    return {"auth_key": auth_key, "sign_key": sign_key, "auth_hash": auth_hash,
            "sign_hash": sign_hash}


@dataclass(frozen=True)
class Templates:
    fresh: Path
    populated: Path
    ids: dict[str, str]


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    root = tmp_path_factory.mktemp("sandbox-templates")
    fresh = root / "fresh"
    SandboxState.open(fresh, admin_password=ADMIN_PASSWORD).close()
    populated = root / "populated"
    shutil.copytree(fresh, populated)
    state = SandboxState.open(populated)
    ids = populate(state)
    state.close()
    return Templates(fresh, populated, ids)


def _copy(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sandbox"
    shutil.copytree(template, target)
    return target


@pytest.fixture
def sandbox_state(templates: Templates, tmp_path: Path) -> Iterator[SandboxState]:
    """A fresh, not initialised sandbox (admin password ``ADMIN_PASSWORD``)."""
    state = SandboxState.open(_copy(templates.fresh, tmp_path))
    yield state
    state.close()


@pytest.fixture
def populated_state(templates: Templates, tmp_path: Path) -> Iterator[SandboxState]:
    """An initialised sandbox with auth and sign keys and certificates, token logged in."""
    state = SandboxState.open(_copy(templates.populated, tmp_path))
    state.login_token(PIN)
    yield state
    state.close()


@pytest.fixture
def populated_ids(templates: Templates) -> dict[str, str]:
    return templates.ids


