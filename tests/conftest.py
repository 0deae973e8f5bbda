"""Test-wide isolation: no test touches the developer's real configuration, data or keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("KAPKA_CONFIG", raising=False)
    monkeypatch.delenv("KAPKA_SECRETS_PASSPHRASE", raising=False)
    monkeypatch.delenv("KAPKA_SANDBOX_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


from tests.fixture_server import description_server  # noqa: E402  (WSDL/OpenAPI over HTTP)
from tests.sandboxes import (  # noqa: E402  (fixtures shared by every test package)
    populated_ids,
    populated_state,
    sandbox_state,
    templates,
)

__all__ = ["description_server", "populated_ids", "populated_state", "sandbox_state", "templates"]
