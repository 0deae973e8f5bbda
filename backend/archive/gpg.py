"""Decrypting ``.zip.gpg`` archives with the system ``gpg``, as X-Road's guide does it.

X-Road signs and encrypts each archive with ``gpg --encrypt --sign`` (one OpenPGP message holding
the plain zip). Kapka runs ``gpg --homedir <dir> --batch --decrypt`` and writes the plain zip into
a file it was given (an unnamed private temp file in Kapka's cache directory); nothing is written
next to the archives. ``--status-fd`` tells which keys the file is for and how the signature fared.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import platformdirs

from backend.errors import KapkaError
from backend.i18n import _

GPG_TIMEOUT_SECONDS = 600
DEFAULT_XROAD_GPG_HOME = Path("/etc/xroad/gpghome")


class GpgError(KapkaError):
    """An encrypted archive could not be decrypted."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Encrypted archive not readable"))


@dataclass(frozen=True, slots=True)
class GpgResult:
    """How decryption went: the key ids the file is for and the state of its signature."""

    #: key ids the archive is encrypted for (16 hex digits each)
    recipients: tuple[str, ...] = ()
    #: "good", "bad", "unchecked" (the signer's public key is not in the home) or "none"
    signature: str = "none"
    signer: str | None = None
    notes: tuple[str, ...] = field(default=())


GPG_HOME_ENV = "KAPKA_GPG_HOME"


def default_gpg_home() -> Path | None:
    """``$KAPKA_GPG_HOME``, else X-Road's ``/etc/xroad/gpghome`` when it exists, else gpg's own default."""
    configured = os.environ.get(GPG_HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    return DEFAULT_XROAD_GPG_HOME if DEFAULT_XROAD_GPG_HOME.is_dir() else None


def private_temp_dir() -> Path:
    """Kapka's own directory for decrypted archives (mode 0700, in the user's cache directory)."""
    path = platformdirs.user_cache_path("kapka") / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def temp_file(directory: Path | None = None) -> IO[bytes]:
    """An unnamed temp file readable by this user only; it disappears when closed."""
    return tempfile.TemporaryFile(dir=directory or private_temp_dir())


def gpg_program() -> str:
    program = shutil.which("gpg") or shutil.which("gpg2")
    if program is None:
        raise GpgError(_("The archive is encrypted (.gpg) and the gpg program was not found. Install "
                         "GnuPG (the gnupg package) and try again."), _("gpg not installed"))
    return program


@functools.cache
def _knows_pinentry_mode(program: str) -> bool:
    """GnuPG 2.1 and later take ``--pinentry-mode``; older ones would refuse the option."""
    try:
        first = subprocess.run([program, "--version"], capture_output=True, timeout=30, check=False
                               ).stdout.split(b"\n", 1)[0]
    except (OSError, subprocess.TimeoutExpired):
        return False
    version = re.search(rb"(\d+)\.(\d+)", first)
    return version is not None and (int(version[1]), int(version[2])) >= (2, 1)


def _status(stderr: bytes) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """gpg's machine-readable status lines, and its other (human) lines."""
    status, human = [], []
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("[GNUPG:] "):
            keyword, *args = line[9:].split()
            status.append((keyword, args))
        elif line.strip():
            human.append(line.strip())
    return status, human


def decrypt(path: Path, output: IO[bytes], *, gpg_home: Path | None = None) -> GpgResult:
    """Decrypt ``path`` into ``output`` (a binary file); ``GpgError`` says what to do when it fails.

    ``gpg_home`` is the GnuPG home holding the secret key (X-Road's is ``/etc/xroad/gpghome``);
    ``None`` uses gpg's own default (``$GNUPGHOME`` or ``~/.gnupg``).
    """
    if gpg_home is not None and not gpg_home.is_dir():
        raise GpgError(_("The GnuPG home {home} does not exist. Give the directory that holds the "
                         "archive key (on the security server /etc/xroad/gpghome) with --gpg-home.")
                       .format(home=gpg_home), _("GnuPG home not found"))
    command = [gpg_program()]
    if gpg_home is not None:
        command += ["--homedir", str(gpg_home)]
    command += ["--batch", "--no-tty", "--status-fd", "2"]
    if _knows_pinentry_mode(command[0]):
        command += ["--pinentry-mode", "error"]  # a key with a passphrase fails at once, never waits
    command += ["--decrypt", str(path)]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.PIPE,
                              timeout=GPG_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise GpgError(_("gpg did not finish decrypting {name} within {seconds} seconds. Check that "
                         "the key needs no passphrase and that gpg-agent works for this home.")
                       .format(name=path.name, seconds=GPG_TIMEOUT_SECONDS)) from exc
    except OSError as exc:
        raise GpgError(_("gpg could not be started: {error}.").format(error=exc.strerror or exc)) from exc
    status, human = _status(done.stderr)
    keywords = {keyword for keyword, _args in status}
    recipients = tuple(dict.fromkeys(args[0] for keyword, args in status if keyword == "ENC_TO" and args))
    missing = [args[0] for keyword, args in status if keyword == "NO_SECKEY" and args]
    if "DECRYPTION_OKAY" not in keywords or "DECRYPTION_FAILED" in keywords:
        home = str(gpg_home) if gpg_home is not None else _("gpg's default home")
        if "NODATA" in keywords and not recipients:
            raise GpgError(_("{name} is not an OpenPGP file, though its name ends in .gpg: it is "
                             "damaged or not an X-Road archive.").format(name=path.name))
        if missing or "NO_SECKEY" in keywords:
            raise GpgError(_("{name} is encrypted for key {keys}, and {home} has no secret key for it. "
                             "Give the GnuPG home that holds the key with --gpg-home (on the security "
                             "server /etc/xroad/gpghome; with per-member keys the member's own key).")
                           .format(name=path.name, keys=", ".join(missing or recipients), home=home),
                           _("Archive key missing"))
        if any(keyword == "ERROR" and args[:1] == ["pkdecrypt_failed"] for keyword, args in status):
            reason = next((line for line in human if "public key decryption failed" in line),
                          _("gpg gave no reason"))
            raise GpgError(_("The key for {name} is in {home} but could not be used ({reason}): it is "
                             "probably protected by a passphrase, which Kapka does not ask for. X-Road's "
                             "archive keys have none: give a GnuPG home with such a key, or decrypt the "
                             "file with gpg yourself.").format(name=path.name, home=home, reason=reason),
                           _("Archive key locked"))
        detail = human[-1] if human else _("gpg gave no reason")
        raise GpgError(_("gpg could not decrypt {name}: {detail}. Check the GnuPG home {home} and "
                         "the key's passphrase (X-Road's archive keys have none).")
                       .format(name=path.name, detail=detail, home=home))
    signature, signer = "none", None
    for keyword, args in status:
        if keyword == "GOODSIG":
            signature, signer = "good", " ".join(args[1:]) or args[0]
        elif keyword == "BADSIG":
            signature, signer = "bad", " ".join(args[1:]) or args[0]
            break
        elif keyword == "ERRSIG" and signature == "none":
            signature, signer = "unchecked", args[0] if args else None
    if signature == "bad":
        raise GpgError(_("The OpenPGP signature of {name} is BAD: the encrypted file was altered after "
                         "X-Road wrote it. Keep the file as evidence and compare it with a backup copy.")
                       .format(name=path.name), _("Archive signature bad"))
    return GpgResult(recipients, signature, signer, tuple(human))
