"""Where Kapka keeps its files, and how it writes the private ones.

Locations follow the XDG base directories through platformdirs (``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``, ``XDG_CACHE_HOME``); ``KAPKA_CONFIG`` names the configuration file directly.
Nothing is created at import: directories appear, mode 0700, when a file is first written into them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "kapka"
CONFIG_ENV = "KAPKA_CONFIG"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def config_path() -> Path:
    """The configuration file: ``$KAPKA_CONFIG`` when set, else ``~/.config/kapka/config.toml``."""
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def config_dir() -> Path:
    """The directory that holds the configuration file (and the pinned certificates)."""
    return config_path().parent


def data_dir() -> Path:
    """Kapka's data: the audit journal and the encrypted secrets file."""
    return platformdirs.user_data_path(APP_NAME)


def cache_dir() -> Path:
    """Files Kapka can rebuild at any time."""
    return platformdirs.user_cache_path(APP_NAME)


def audit_path() -> Path:
    """The operator's audit journal, one JSON line per change."""
    return data_dir() / "audit.jsonl"


def trust_dir() -> Path:
    """Server certificates pinned on first use, one PEM file per profile."""
    return config_dir() / "trust"


def trust_file(profile_name: str) -> Path:
    """The pinned certificate of one profile (profile names are simple identifiers)."""
    return trust_dir() / f"{profile_name}.pem"


def secrets_file() -> Path:
    """Kapka's encrypted secrets file, used when the host has no system keyring."""
    return data_dir() / "secrets.kapka"


def sandbox_data_dir() -> Path:
    """Where the embedded sandbox security server keeps its state."""
    from backend.sandbox.paths import default_data_dir

    return default_data_dir()


def display_path(path: Path) -> str:
    """``path`` with the home directory shortened to ``~``, for messages and screens."""
    try:
        home = Path.home()
    except RuntimeError:  # no home directory known for this user
        return str(path)
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (the XDG rule for new directories).

    Directories that already exist keep their mode: they may be shared on purpose.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, PRIVATE_DIR_MODE)  # mkdir's mode is reduced by the umask
    return path


def atomic_write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, readable by the owner only (mode 0600).

    The bytes go to a new file in the same directory (created exclusively, mode 0600, fsync'ed)
    which then replaces ``path``; a crash leaves either the old file or the new one, never half of
    one. A symbolic link at ``path`` is followed, so the link itself stays in place.
    """
    target = path.resolve() if path.is_symlink() else path
    ensure_private_dir(target.parent)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not every file system allows this, so failures are ignored."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
