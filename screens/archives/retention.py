"""Retention: the oldest archive, the retention period, and what the chain says is missing.

Tunduk keeps the message log at least three years (Decree 200 ¶36); the period comes from the
configuration (``retention_years``, never below 3). Kapka only reports: it has no action that deletes
or moves archives, and says so here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from backend.archive.fileinfo import FileInfo
from backend.archive.verify.report import Finding
from backend.i18n import _, ngettext
from screens.archives.format import age_text, count_text, date_text, size_text


def years_before(moment: datetime, years: int) -> datetime:
    """The same day ``years`` earlier (28 February for 29 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class Retention:
    years: int
    cutoff: datetime  # archives ending before this are older than the retention period
    oldest: FileInfo | None
    files: int
    size: int
    past: tuple[FileInfo, ...]  # files entirely older than the period (kept all the same)
    missing: tuple[Finding, ...]


def retention(files: list[FileInfo], years: int, missing: list[Finding],
              now: datetime | None = None) -> Retention:
    now = now or datetime.now(UTC)
    dated = [info for info in files if info.start is not None]
    oldest = min(dated, key=lambda info: info.start or now) if dated else None
    cutoff = years_before(now, years)
    past = tuple(info for info in files if info.end is not None and info.end < cutoff)
    size = sum(info.size for info in files)
    return Retention(years, cutoff, oldest, len(files), size, past, tuple(missing))


def retention_lines(summary: Retention, now: datetime | None = None) -> list[tuple[str, str]]:
    """(style, text) lines for the retention panel; style is "", "warning" or "muted"."""
    now = now or datetime.now(UTC)
    lines = [("", _("Retention period: {years} years (Tunduk requires at least 3: Decree 200 ¶36). Records "
                    "after {cutoff} must be kept.").format(years=summary.years,
                                                            cutoff=date_text(summary.cutoff)))]
    if summary.oldest is None or summary.oldest.start is None:
        lines.append(("muted", _("No archive files are indexed yet.")))
    else:
        start = summary.oldest.start
        lines.append(("", _("Oldest archive: {name}, from {date} ({age} ago).").format(
            name=summary.oldest.name, date=date_text(start), age=age_text(start, now))))
        lines.append(("", ngettext("{n} archive file, {size} in all.", "{n} archive files, {size} in all.",
                                   summary.files).format(n=count_text(summary.files),
                                                         size=size_text(summary.size))))
        if summary.past:
            lines.append(("muted", ngettext(
                "{n} file ends before {cutoff}, older than the retention period. It is kept; moving it off "
                "this host is the operator's decision.",
                "{n} files end before {cutoff}, older than the retention period. They are kept; moving them "
                "off this host is the operator's decision.", len(summary.past)).format(
                n=count_text(len(summary.past)), cutoff=date_text(summary.cutoff))))
        elif summary.oldest.start > summary.cutoff:
            lines.append(("muted", _("Every archive is within the retention period.")))
    for finding in summary.missing:
        lines.append(("warning", "⚠ " + finding.message))
    if not summary.missing and summary.files:
        lines.append(("muted", _("No file is missing from a chain (as far as the linkinginfo headers tell; "
                                 "v verifies every digest).")))
    lines.append(("muted", _("Kapka never deletes, moves or changes archive files: it has no action that "
                             "could. X-Road does not delete them either.")))
    return lines
