"""Archive encryption as X-Road's ``GPGOutputStream`` does it, with the system ``gpg``.

The sandbox keeps a GnuPG home in its data directory (``messagelog/gpghome``, mode 0700) with one
key pair made like X-Road's ``generate_gpg_keypair.sh``: RSA 4096, no passphrase, the server id as
the user id. Each archive is piped through ``gpg --encrypt --sign`` to that key itself
(``--default-recipient-self``), so ``gpg --homedir <home> --decrypt`` opens it again.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import _

GPG = "gpg"
#: the longest path of a Unix socket (``sun_path`` less its NUL); gpg-agent keeps its sockets,
#: the longest named ``S.gpg-agent.browser``, in the home when there is no ``/run/user/<uid>``
MAX_SOCKET_PATH = 107
KEY_PARAMETERS = """%no-protection
Key-Type: RSA
Key-Length: 4096
Key-Usage: sign
Subkey-Type: RSA
Subkey-Length: 4096
Subkey-Usage: encrypt
Name-Real: {user_id}
Expire-Date: 0
%commit
"""


def _title() -> str:
    return _("Archive encryption")


def gpg_program() -> str:
    path = shutil.which(GPG)
    if path is None:
        raise KapkaError(_("Encrypted archives need GnuPG: the 'gpg' program was not found. Install "
                           "it (Debian/Ubuntu: apt install gnupg) or leave out --encrypt."),
                         _title())
    return path


def _run(arguments: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(arguments, input=stdin, capture_output=True, check=False, timeout=300)


def has_secret_key(home: Path) -> bool:
    if not home.is_dir():
        return False
    result = _run([gpg_program(), "--homedir", str(home), "--batch", "--with-colons",
                   "--list-secret-keys"])
    return result.returncode == 0 and b"\nsec:" in b"\n" + result.stdout


def ensure_home(home: Path, user_id: str) -> bool:
    """Create the GnuPG home with its key pair unless it has one; ``True`` if it was created."""
    if len(str(home.absolute())) + len("/S.gpg-agent.browser") > MAX_SOCKET_PATH:
        raise KapkaError(_("The GnuPG home {home} is too deep for gpg-agent's sockets (at most "
                           "{limit} characters in all); use a data directory with a shorter "
                           "path.").format(home=home, limit=MAX_SOCKET_PATH), _title())
    if has_secret_key(home):
        return False
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.chmod(0o700)
    result = _run([gpg_program(), "--homedir", str(home), "--batch", "--gen-key"],
                  KEY_PARAMETERS.format(user_id=user_id.replace("\n", " ")).encode())
    stop_agent(home)
    if result.returncode != 0 or not has_secret_key(home):
        raise KapkaError(_("gpg could not create the archive key in {home}: {reason}").format(
            home=home, reason=result.stderr.decode(errors="replace").strip()[-400:]), _title())
    return True


def encrypt_command(home: Path, output: Path) -> list[str]:
    """The command that reads a zip on stdin and writes ``output`` (X-Road's options)."""
    return [gpg_program(), "--homedir", str(home), "--batch", "--no-tty", "--yes", "--encrypt",
            "--sign", "--no-auto-key-locate", "--trust-model", "always", "--compress-algo", "none",
            "--cipher-algo", "AES-256", "--digest-algo", "SHA256", "--output", str(output),
            "--default-recipient-self"]


def stop_agent(home: Path) -> None:
    """Stop the gpg-agent that gpg started for ``home`` (it would outlive the command)."""
    gpgconf = shutil.which("gpgconf")
    if gpgconf is not None and home.is_dir():
        _run([gpgconf, "--homedir", str(home), "--kill", "gpg-agent"])


def decrypt(home: Path, source: Path) -> bytes:
    """The plaintext of an archive encrypted to the home's key (for checks and tests)."""
    result = _run([gpg_program(), "--homedir", str(home), "--batch", "--no-tty", "--decrypt",
                   str(source)])
    if result.returncode != 0:
        raise KapkaError(_("gpg could not decrypt {path}: {reason}").format(
            path=source, reason=result.stderr.decode(errors="replace").strip()[-400:]), _title())
    return result.stdout
