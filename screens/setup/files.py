"""Files on this host for the wizard: small files read safely, exports that never overwrite silently.

These functions touch the disk: call them off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import _


def read_small_file(path: Path, limit: int, *, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never blocks on a FIFO or device)."""
    path = Path(path).expanduser()
    title = _("Cannot read the file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise KapkaError(_("There is no file {path}.").format(path=path), title) from error
    except OSError as error:
        raise KapkaError(_("Kapka cannot read {path}: {reason}.").format(
            path=path, reason=error.strerror or error), title) from error
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise KapkaError(_("{path} is a directory; choose the {what} in it.").format(
                path=path, what=what), title)
        if not stat.S_ISREG(info.st_mode):
            raise KapkaError(_("{path} is not a regular file.").format(path=path), title)
        if info.st_size > limit:
            raise KapkaError(_("{path} has {size} bytes; a {what} has at most {limit}. Check "
                               "that you chose the right file.").format(
                path=path, size=info.st_size, what=what, limit=limit), title)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise KapkaError(_("{path} is larger than a {what} can be.").format(
                    path=path, what=what), title)
        return b"".join(chunks)
    except OSError as error:
        raise KapkaError(_("Kapka cannot read {path}: {reason}.").format(
            path=path, reason=error.strerror or error), title) from error
    finally:
        os.close(fd)


def same_content(path: Path, content: bytes) -> bool:
    """Whether the regular file at ``path`` holds exactly ``content``."""
    try:
        return path.is_file() and path.stat().st_size == len(content) and \
            path.read_bytes() == content
    except OSError:
        return False


def safe_name(name: str) -> str:
    """A plain file name (no directories, no hidden-file dot, nothing empty)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name.lstrip(".") or "download"


def write_new_file(directory: Path, name: str, content: bytes, *, replace: bool = False) -> Path:
    """Write ``content`` to ``directory/name``; ``FileExistsError`` unless ``replace`` is given.

    The file appears complete or not at all (written to a temporary file, then renamed).
    """
    directory = Path(directory).expanduser()
    target = directory / safe_name(name)
    if not directory.is_dir():
        raise KapkaError(_("{path} is not a directory.").format(path=directory),
                         _("Cannot save the file"))
    if target.exists() and not replace:
        raise FileExistsError(str(target))
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".kapka-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            if replace:
                os.replace(temporary, target)
            else:
                os.link(temporary, target)  # fails if the name was taken meanwhile
                os.unlink(temporary)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except FileExistsError:
        raise
    except OSError as error:
        raise KapkaError(_("Kapka cannot write {path}: {reason}.").format(
            path=target, reason=error.strerror or error), _("Cannot save the file")) from error
    return target
