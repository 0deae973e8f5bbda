"""What the dashboard shows, computed from the API models: texts, rows and warning levels.

No widgets here; ``screens/dashboard.py`` puts these into sections and tables.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from textual.content import Content

from backend.api.messages import ERROR_MESSAGES, describe_code
from backend.api.models import (
    CaOcspDiagnostics,
    CodeWithDetails,
    GlobalConfDiagnostics,
    InitializationStatus,
    TimestampingServiceDiagnostics,
    Token,
)
from backend.i18n import N_, _, ngettext

OK, WARN, ERROR = "ok", "warning", "error"

# days-left thresholds: ≤30 soon, ≤14 urgent, ≤7 critical, <0 expired
SOON_DAYS, URGENT_DAYS, CRITICAL_DAYS = 30, 14, 7


def when(value: datetime | None) -> str:
    """A time as the operator reads it: local time, to the minute; "—" when absent."""
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def short_dn(dn: str) -> str:
    """The CN of a distinguished name (the whole name when it has none)."""
    match = re.search(r"(?:^|,)\s*CN=((?:\\.|[^,])+)", dn)
    return match.group(1).strip() if match else dn


def status_level(status_class: str) -> str:
    return {"OK": OK, "WAITING": WARN}.get(status_class.upper(), ERROR)


def status_word(status_class: str) -> str:
    mark = {OK: "✓", WARN: "…", ERROR: "✗"}[status_level(status_class)]
    return f"{mark} {status_class}"


def error_text(error: CodeWithDetails | None) -> str:
    return describe_code(error, ERROR_MESSAGES) if error is not None else ""


def _line(label: str, value: str | Content, style: str = "") -> Content:
    head = Content.assemble((f"{label:<16}", "$text-muted"))
    body = value if isinstance(value, Content) else Content.assemble((value, style))
    return Content.assemble(head, body)


LEVEL_STYLE = {OK: "$text-success", WARN: "$text-warning", ERROR: "bold $text-error"}


# -- initialisation ------------------------------------------------------------------------------

def next_step(status: InitializationStatus) -> str | None:
    """What the operator has to do next, or None when the server is initialised."""
    if not status.is_anchor_imported:
        return _("Next step: import the configuration anchor you received from your X-Road "
                 "operator (for Tunduk, from its administrators): web UI → Initial configuration, "
                 "or POST /system/anchor. Then set the owner, the server code and the token PIN.")
    if not (status.is_server_owner_initialized and status.is_server_code_initialized):
        return _("Next step: set the owner member and the security server code "
                 "(web UI → Initial configuration, or POST /initialization).")
    if status.software_token_init_status == "NOT_INITIALIZED":
        return _("Next step: initialise the software token with a PIN (POST /initialization). "
                 "Keep the PIN safe: a lost PIN cannot be recovered.")
    return None


def render_initialisation(status: InitializationStatus, server_id: str | None) -> Content:
    def flag(done: bool, yes: str, no: str) -> Content:
        return Content.assemble(("✓ " + yes, LEVEL_STYLE[OK]) if done else ("✗ " + no,
                                                                            LEVEL_STYLE[ERROR]))

    token = status.software_token_init_status
    token_level = {"INITIALIZED": OK, "UNKNOWN": WARN}.get(token, ERROR)
    lines = [
        _line(_("Anchor"), flag(status.is_anchor_imported, _("imported"), _("not imported"))),
        _line(_("Owner"), flag(status.is_server_owner_initialized, _("set"), _("not set"))),
        _line(_("Server code"), flag(status.is_server_code_initialized, _("set"), _("not set"))),
        _line(_("Software token"), token, LEVEL_STYLE[token_level]),
    ]
    if server_id:
        lines.append(_line(_("Server id"), server_id, "bold"))
    if token == "UNKNOWN":
        lines.append(Content.assemble((_("The signer does not answer, so the token state is "
                                         "unknown. Check: systemctl status xroad-signer"),
                                       LEVEL_STYLE[WARN])))
    step = next_step(status)
    if step is not None:
        lines.append(Content.assemble((_("Not initialised."), "bold $text-warning"), " ", step))
    return Content("\n").join(lines)


# -- global configuration ------------------------------------------------------------------------

def render_globalconf(diag: GlobalConfDiagnostics) -> Content:
    lines = [
        _line(_("Status"), status_word(diag.status_class), LEVEL_STYLE[status_level(diag.status_class)]),
        _line(_("Last update"), when(diag.prev_update_at)),
        _line(_("Next update"), when(diag.next_update_at)),
    ]
    if diag.error is not None:
        lines.append(_line(_("Error"), error_text(diag.error), LEVEL_STYLE[ERROR]))
    return Content("\n").join(lines)


# -- tables ----------------------------------------------------------------------------------------

Cell = tuple[str, str]  # text, level ("" for plain)


def token_rows(tokens: list[Token]) -> list[tuple[Cell, ...]]:
    rows = []
    for token in tokens:
        status_lvl = OK if token.status == "OK" else ERROR
        rows.append((
            (token.name, ""),
            (token.type, ""),
            (token.status, status_lvl),
            ((_("✓ yes"), OK) if token.logged_in else (_("✗ no"), WARN)),
            (str(len(token.keys)), ""),
        ))
    return rows


def timestamping_rows(services: list[TimestampingServiceDiagnostics]) -> list[tuple[Cell, ...]]:
    return [
        ((status_word(s.status_class), status_level(s.status_class)), (when(s.prev_update_at), ""),
         (s.url, ""), (error_text(s.error).split("\n")[0], ERROR))
        for s in services
    ]


def ocsp_rows(cas: list[CaOcspDiagnostics]) -> list[tuple[Cell, ...]]:
    rows = []
    for ca in cas:
        for responder in ca.ocsp_responders:
            rows.append((
                (status_word(responder.status_class), status_level(responder.status_class)),
                (when(responder.next_update_at), ""),
                (short_dn(ca.distinguished_name), ""),
                (responder.url, ""),
                (error_text(responder.error).split("\n")[0], ERROR),
            ))
        if not ca.ocsp_responders:
            rows.append(((_("none"), WARN), ("—", ""), (short_dn(ca.distinguished_name), ""),
                         (_("no OCSP responder"), WARN), ("", "")))
    return rows


@dataclass(frozen=True)
class CertificateRow:
    days_left: int
    level: str  # expired, critical, urgent, soon, ok
    usage: str
    subject: str
    status: str
    active: bool
    ocsp_status: str | None  # None: not checked (e.g. an auth certificate not registered yet)
    not_after: datetime
    token: str
    hash: str


def days_left(not_after: datetime, now: datetime | None = None) -> int:
    """Whole days left, rounded up ("expires in 10 days"); 0 or less once expired."""
    now = now or datetime.now(UTC)
    seconds = (not_after - now).total_seconds()
    return math.ceil(seconds / 86400) if seconds > 0 else math.floor(seconds / 86400)


def expiry_level(days: int) -> str:
    if days <= 0:
        return "expired"
    if days <= CRITICAL_DAYS:
        return "critical"
    if days <= URGENT_DAYS:
        return "urgent"
    if days <= SOON_DAYS:
        return "soon"
    return "ok"


USAGE_WORDS = {"AUTHENTICATION": N_("auth"), "SIGNING": N_("sign")}


def certificate_rows(tokens: list[Token], now: datetime | None = None) -> list[CertificateRow]:
    rows = []
    for token in tokens:
        for key, cert in token.certificates():
            details = cert.certificate_details
            left = days_left(details.not_after, now)
            rows.append(CertificateRow(
                days_left=left, level=expiry_level(left),
                usage=_(USAGE_WORDS[key.usage]) if key.usage in USAGE_WORDS else (key.usage or "?"),
                subject=details.subject_common_name or short_dn(details.subject_distinguished_name),
                status=cert.status, active=cert.active, ocsp_status=cert.ocsp_status,
                not_after=details.not_after, token=token.name, hash=details.hash,
            ))
    return sorted(rows, key=lambda row: (row.days_left, row.usage, row.subject))


EXPIRY_CELL_LEVEL = {"expired": ERROR, "critical": ERROR, "urgent": WARN, "soon": WARN, "ok": ""}
EXPIRY_MARK = {"expired": "", "critical": " !!!", "urgent": " !!", "soon": " !", "ok": ""}


def expiry_text(row: CertificateRow) -> str:
    if row.level == "expired":
        return _("EXPIRED")
    days = ngettext("{n} day", "{n} days", row.days_left).format(n=row.days_left)
    return days + EXPIRY_MARK[row.level]


def certificate_cells(row: CertificateRow) -> tuple[Cell, ...]:
    """Expiry, usage and state first: what must be visible at 80 columns; the names after."""
    ocsp = row.ocsp_status.removeprefix("OCSP_RESPONSE_") if row.ocsp_status else "—"
    return (
        (expiry_text(row), EXPIRY_CELL_LEVEL[row.level]),
        (row.usage, ""),
        (row.status, OK if row.status == "REGISTERED" else ""),
        ((_("yes"), "") if row.active else (_("no"), WARN)),
        (ocsp, OK if ocsp == "GOOD" else "" if ocsp == "—" else WARN),
        (row.not_after.astimezone().strftime("%Y-%m-%d"), ""),
        (row.subject, ""),
        (row.token, ""),
    )


def certificate_summary(rows: list[CertificateRow]) -> str:
    if not rows:
        return _("No certificates on the tokens yet.")
    counts = {level: sum(1 for r in rows if r.level == level)
              for level in ("expired", "critical", "urgent", "soon")}
    parts = [ngettext("{n} certificate", "{n} certificates", len(rows)).format(n=len(rows))]
    if counts["expired"]:
        parts.append(ngettext("{n} expired", "{n} expired", counts["expired"]).format(
            n=counts["expired"]))
    for level, limit in (("critical", CRITICAL_DAYS), ("urgent", URGENT_DAYS),
                         ("soon", SOON_DAYS)):
        if counts[level]:
            parts.append(ngettext("{n} expires within {days} days",
                                  "{n} expire within {days} days", counts[level]).format(
                n=counts[level], days=limit))
    return "; ".join(parts)
