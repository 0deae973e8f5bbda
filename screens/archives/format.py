"""Small text helpers of the archives screens: cells, sizes, times, durations."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.i18n import _, ngettext


def clip(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis (control characters as ·)."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else "·" for ch in text)
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 1, 0)] + "…" if width > 0 else ""


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def time_text(moment: datetime | None) -> str:
    """UTC, as X-Road's archives keep it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def date_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "—"


def count_text(count: int) -> str:
    return f"{count:,}"


def age_text(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in years and months (or days when under a month)."""
    now = now or datetime.now(UTC)
    months = (now.year - moment.year) * 12 + now.month - moment.month - (now.day < moment.day)
    if months < 1:
        days = max((now - moment).days, 0)
        return ngettext("{n} day", "{n} days", days).format(n=days)
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(ngettext("{n} year", "{n} years", years).format(n=years))
    if months:
        parts.append(ngettext("{n} month", "{n} months", months).format(n=months))
    return _(" and ").join(parts)
