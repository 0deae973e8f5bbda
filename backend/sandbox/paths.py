"""Where the sandbox keeps its data."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path


def default_data_dir() -> Path:
    """The sandbox data directory of this user: ``<user data dir>/kapka/sandbox``."""
    return user_data_path("kapka") / "sandbox"
