"""How long a client's management request has waited: "pending since …", from the audit journal.

X-Road never reports a rejection: a client stays REGISTRATION_IN_PROGRESS until the central server
approves it. The journal says when this console sent the request; a request sent before (or from
elsewhere) is timed from when this console first saw it waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.api.client_ids import path_id
from backend.i18n import _
from screens.clients_rules import DELETION_IN_PROGRESS, DISABLING, ENABLING, IN_PROGRESS

#: how often the screens read a client that waits for the central server (X-Road limits requests)
POLL_SECONDS = 10.0
#: after this long, the recovery steps are shown in bold
OVERDUE_AFTER = timedelta(hours=2)

#: the status → the request whose time the journal keeps
REQUEST_OF = {"REGISTRATION_IN_PROGRESS": "register", DELETION_IN_PROGRESS: "unregister",
              DISABLING: "disable", ENABLING: "enable"}


def elapsed_text(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("{h} h {m:02d} min").format(h=hours, m=minutes)
    return _("{m} min {s:02d} s").format(m=minutes, s=seconds)


def request_time(journal: Any, client_id: str, status: str | None) -> datetime | None:
    """When this console sent the request behind ``status`` for the client (None: not known)."""
    action = REQUEST_OF.get(status or "")
    tail = getattr(journal, "tail", None)
    if action is None or not callable(tail):
        return None
    try:
        records = tail(2000)
    except Exception:  # the journal helps here; it is not required
        return None
    path = f"/clients/{path_id(client_id)}/{action}"
    for record in reversed(records):
        if record.get("path") == path and record.get("outcome") == "ok":
            try:
                return datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
            except (KeyError, ValueError):
                return None
    return None


class PendingClock:
    """Since when each client has waited, as far as this console knows."""

    def __init__(self, journal: Any) -> None:
        self.journal = journal
        self._since: dict[tuple[str, str], tuple[datetime, bool]] = {}

    def note(self, client_id: str, status: str | None, now: datetime | None = None) -> None:
        """Record the client's status as just read (call after every load)."""
        for key in [key for key in self._since if key[0] == client_id and key[1] != status]:
            del self._since[key]
        if status in IN_PROGRESS and (client_id, status) not in self._since:
            sent = request_time(self.journal, client_id, status)
            self._since[(client_id, status)] = (
                (sent, True) if sent is not None else (now or datetime.now(UTC), False))

    def text(self, client_id: str, status: str | None, now: datetime | None = None) -> str:
        """"pending since 14:02 (3 min 10 s)", or "" when the client does not wait."""
        found = self._since.get((client_id, status or ""))
        if found is None:
            return ""
        since, sent_here = found
        now = now or datetime.now(UTC)
        if sent_here:
            return _("pending since {time} ({elapsed})").format(
                time=since.astimezone().strftime("%Y-%m-%d %H:%M"), elapsed=elapsed_text(now - since))
        return _("pending; watched for {elapsed} (sent before, or from elsewhere)").format(
            elapsed=elapsed_text(now - since))

    def overdue(self, client_id: str, status: str | None, now: datetime | None = None) -> bool:
        found = self._since.get((client_id, status or ""))
        return found is not None and (now or datetime.now(UTC)) - found[0] > OVERDUE_AFTER

    @property
    def waiting(self) -> bool:
        return bool(self._since)


def recovery_text(client_id: str, status: str | None) -> str:
    """What to do when the central server does not answer."""
    if status == "REGISTRATION_IN_PROGRESS":
        return _("The central server's administrators approve the registration; X-Road never "
                 "reports a rejection. If it waits for hours, ask your X-Road operator about the "
                 "request for {client}; if they rejected or lost it, unregister and delete the "
                 "client (d), add it again and register it again.").format(client=client_id)
    if status == DELETION_IN_PROGRESS:
        return _("The deletion request is sent; the client can be deleted from this server "
                 "now (d).")
    return _("The change reaches this server with the next global configuration.")
