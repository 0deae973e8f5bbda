"""The one error family of Kapka: every error a person may see has a title and a message."""

from __future__ import annotations

from backend.i18n import _


class KapkaError(Exception):
    """An error with a short title and a message that says what happened and what to do.

    Both strings are already translated; the user interface shows them as they are.
    ``exit_code`` is what the command line exits with when this error ends it.
    """

    exit_code: int = 1

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or _("Error")

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"
