"""The errors of certificate checks: what was refused, and why (``reason``, for scripts)."""

from __future__ import annotations

from backend.errors import KapkaError
from backend.i18n import _


class CertificateRejected(KapkaError):
    """A certificate (or the file meant to hold one) that must not be imported; nothing was sent.

    ``reason`` names the failed check for scripts and tests (``expired``, ``no_matching_key``…);
    ``title`` and ``message`` say it for people. Exit code 3: the check failed.
    """

    exit_code = 3

    def __init__(self, message: str, reason: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Certificate refused"))
        self.reason = reason
