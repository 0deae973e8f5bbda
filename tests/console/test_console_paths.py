from __future__ import annotations

import stat
import sys
import types
from pathlib import Path

import pytest

from console import paths


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_locations_follow_xdg(isolated_home: Path) -> None:
    assert paths.config_path() == isolated_home / ".config" / "kapka" / "config.toml"
    assert paths.config_dir() == isolated_home / ".config" / "kapka"
    assert paths.data_dir() == isolated_home / ".local" / "share" / "kapka"
    assert paths.cache_dir() == isolated_home / ".cache" / "kapka"
    assert paths.audit_path() == paths.data_dir() / "audit.jsonl"
    assert paths.secrets_file() == paths.data_dir() / "secrets.kapka"
    assert paths.trust_dir() == paths.config_dir() / "trust"
    assert paths.trust_file("prod") == paths.trust_dir() / "prod.pem"


def test_kapka_config_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPKA_CONFIG", str(tmp_path / "etc" / "kapka.toml"))
    assert paths.config_path() == tmp_path / "etc" / "kapka.toml"
    assert paths.trust_dir() == tmp_path / "etc" / "trust"


def test_nothing_is_created_by_asking(isolated_home: Path) -> None:
    for function in (paths.config_path, paths.data_dir, paths.cache_dir, paths.audit_path,
                     paths.trust_dir, paths.secrets_file):
        function()
    assert list(isolated_home.iterdir()) == []


def test_sandbox_data_dir_delegates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = types.ModuleType("backend.sandbox.paths")
    fake.default_data_dir = lambda: tmp_path / "sandbox"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "backend.sandbox.paths", fake)
    assert paths.sandbox_data_dir() == tmp_path / "sandbox"


def test_sandbox_data_dir_real_module() -> None:
    pytest.importorskip("backend.sandbox.paths")
    assert paths.sandbox_data_dir() == paths.data_dir() / "sandbox"


def test_ensure_private_dir_creates_missing_with_0700(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    target = shared / "a" / "b"
    paths.ensure_private_dir(target)
    assert mode(shared / "a") == 0o700
    assert mode(target) == 0o700
    assert mode(shared) == 0o755  # existing directories keep their mode


def test_atomic_write_private(tmp_path: Path) -> None:
    target = tmp_path / "new" / "file"
    paths.atomic_write_private(target, b"one")
    assert target.read_bytes() == b"one"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    target.chmod(0o644)
    paths.atomic_write_private(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["file"]  # no temp files left


def test_atomic_write_keeps_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text("old")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    paths.atomic_write_private(link, b"new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_display_path_shortens_home(isolated_home: Path) -> None:
    assert paths.display_path(isolated_home / "x" / "y") == "~/x/y"
    assert paths.display_path(Path("/etc/kapka")) == "/etc/kapka"
