"""What ``kapka`` has done by the time its app starts running: the start-up stays light.

Each case runs ``kapka``'s real start path (``console.cli.main``) in a fresh interpreter, with
``App.run`` replaced by a probe that notes what is imported, whether the sandbox's process was
started and how garbage collection stands, then returns. The modules listed here are loaded where
they are first needed, after the first paint: importing one of them at start-up again makes every
``kapka`` start slower (see the start-up benchmark, ``tests/bench/bench_startup.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: loaded after the first paint (connecting, TLS, secrets, other screens, the sandbox server)
DEFERRED = (
    "httpx", "httpcore", "h11", "cryptography", "keyring", "lxml", "signxml", "asn1crypto",
    "pyhanko", "pyhanko_certvalidator", "yaml", "starlette", "uvicorn",
    "backend.api.client", "backend.api.transport", "backend.api.trust", "backend.archive",
    "backend.pki", "backend.acl", "backend.sandbox.server", "backend.sandbox.app",
    "backend.sandbox.state", "backend.sandbox.embedded",
    "console.secrets", "console.filekeyring", "console.commands",
    "screens.connect", "screens.connecting", "screens.keys", "screens.clients", "screens.services",
    "screens.access", "screens.archives", "screens.setup", "screens.help", "screens.expiry",
)

PROBE = """
import gc, json, sys
from pathlib import Path
from textual.app import App

seen = {}

def probe(self, *args, **kwargs):
    seen["app"] = type(self).__name__
    seen["modules"] = sorted(sys.modules)
    seen["gc_enabled"] = gc.isenabled()
    seen["gc_frozen"] = gc.get_freeze_count()
    seen["sandbox_log"] = any(Path(sys.argv[1]).glob("sandbox-*.log"))

App.run = probe
from console.cli import main
status = main(sys.argv[2:])
seen["status"] = status
seen["gc_enabled_after"] = gc.isenabled()
print(json.dumps(seen))
"""


def start_probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPKA_", "XDG_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded(seen: dict[str, object], names: tuple[str, ...]) -> list[str]:
    modules = set(seen["modules"])  # type: ignore[arg-type]
    return sorted(module for module in modules for name in names
                  if module == name or module.startswith(name + "."))


@pytest.mark.parametrize("case", ["sandbox", "profile", "first start"])
def test_start_up_leaves_heavy_modules_for_later(tmp_path: Path, case: str) -> None:
    args: list[str] = []
    if case == "sandbox":
        args = ["--sandbox", "--sandbox-data", str(tmp_path / "sandbox")]
    elif case == "profile":
        config = tmp_path / "config.toml"
        config.write_text('default_profile = "p"\n\n[profiles.p]\nurl = "https://127.0.0.1:4000"\n'
                          'trust = "file"\ncertificate = "/etc/xroad/ssl/proxy-ui-api.crt"\n'
                          'api_key_ref = "profile/p"\n', encoding="utf-8")
        args = ["--config", str(config)]
    seen = start_probe(tmp_path, *args)
    assert seen["app"] == "KapkaApp" and seen["status"] == 0
    assert "screens.dashboard" in seen["modules"]  # type: ignore[operator]
    assert loaded(seen, DEFERRED) == []


def test_sandbox_process_starts_after_the_first_paint(tmp_path: Path) -> None:
    """``kapka --sandbox`` starts the sandbox's process when it connects (after the first paint):
    started beside the console's start-up, the two slowed each other down."""
    seen = start_probe(tmp_path, "--sandbox", "--sandbox-data", str(tmp_path / "sandbox"))
    assert seen["sandbox_log"] is False
    assert not (tmp_path / "sandbox").exists()


def test_garbage_collection_runs_again_once_start_up_objects_are_frozen(tmp_path: Path) -> None:
    seen = start_probe(tmp_path, "--sandbox", "--sandbox-data", str(tmp_path / "sandbox"))
    assert seen["gc_enabled"] is True  # the app runs with collection on
    assert isinstance(seen["gc_frozen"], int) and seen["gc_frozen"] > 10_000  # the imports
    assert seen["gc_enabled_after"] is True
