"""Writing a file whole: into a temporary file beside it, renamed over it when complete.

An interrupted write (Ctrl-C, a full disk, a crash) leaves the old file or none, never half of one,
and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_whole(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` whole; ``mode`` 0644 by default (what is written is public).

    A device or pipe (``-o /dev/stdout``) is written directly: there is no file to rename over.
    ``OSError`` (and Ctrl-C) reach the caller after the temporary file is removed.
    """
    if path.exists() and not path.is_file():
        path.write_bytes(data)
        return
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
