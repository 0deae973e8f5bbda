"""Small text helpers of the archives screens: cells, sizes, times, durations.

The ``clip`` helpers return exactly ``width`` terminal cells: wide characters count two, control
characters are shown as ``·`` and a wide character that would straddle the edge is left out (the
cell is padded), so columns built from them stay aligned.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len, get_character_cell_size

from backend.i18n import _, ngettext

ELLIPSIS = "…"


def printable(text: str) -> str:
    """``text`` with every character that is not printable (controls, line breaks) as ``·``."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else "·" for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _head(text: str, cells: int) -> str:
    """The longest start of ``text`` that takes at most ``cells`` cells."""
    used = 0
    for index, ch in enumerate(text):
        used += get_character_cell_size(ch)
        if used > cells:
            return text[:index]
    return text


def _tail(text: str, cells: int) -> str:
    """The longest end of ``text`` in at most ``cells`` cells, not starting with a combining mark."""
    used, start = 0, len(text)
    for index in range(len(text) - 1, -1, -1):
        used += get_character_cell_size(text[index])
        if used > cells:
            break
        start = index
    while start < len(text) and get_character_cell_size(text[start]) == 0:
        start += 1
    return text[start:]


def clip(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or its start with an ellipsis at the end."""
    text = printable(text)
    if cell_len(text) <= width:
        return _pad(text, width)
    if width <= 0:
        return ""
    return _pad(_head(text, width - 1) + ELLIPSIS, width)


def clip_start(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or its end after an ellipsis."""
    text = printable(text)
    if cell_len(text) <= width:
        return _pad(text, width)
    if width <= 0:
        return ""
    return _pad(ELLIPSIS + _tail(text, width - 1), width)


def clip_middle(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut in the middle so that its start and its
    (often more distinctive) end both stay — ``3f2a9c1e-7b…-5d41c2e8a9f0``; the end gets the odd cell."""
    text = printable(text)
    if cell_len(text) <= width:
        return _pad(text, width)
    if width <= 0:
        return ""
    room = width - 1
    head = _head(text, room // 2)
    tail = _tail(text, room - cell_len(head))
    return _pad(head + ELLIPSIS + tail, width)


def clip_path(text: str, width: int, sep: str = "/") -> str:
    """An identifier of ``sep``-joined parts, most general first (X-Road's ``CS/GOV/1234/SUBSYS`` or
    ``CS/GOV/1234/SUBSYS/getPerson/v1``), in exactly ``width`` cells. When it does not fit, its most
    specific end stays: the leading parts give way first (the instance, then the member class, …) and
    an ellipsis stands for them — ``…GOV/1234/SUBSYS``, ``…/1234/SUBSYS``. A part is cut only when
    whole parts would leave more than a third of the cells empty (``…etPerson/v1``)."""
    text = printable(text)
    if cell_len(text) <= width:
        return _pad(text, width)
    if width <= 0:
        return ""
    tail = _tail(text, width - 1)
    if tail.startswith(sep) or text[len(text) - len(tail) - 1] == sep:
        return _pad(ELLIPSIS + tail, width)  # the cut falls between two parts
    parts = text.split(sep)
    for start in range(1, len(parts)):
        candidate = ELLIPSIS + sep + sep.join(parts[start:])
        if cell_len(candidate) <= width:
            if width - cell_len(candidate) <= width // 3:
                return _pad(candidate, width)
            break
    return _pad(ELLIPSIS + tail, width)


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def short_size_text(size: int, *, compact: bool = False) -> str:
    """``size`` in at most seven cells (below 1,000 TB), for a narrow column: ``999 B``, ``99.9 KB``,
    ``512 KB``, ``1.0 MB`` — whole numbers from 100 up, the next unit from 1,000 up. ``compact``:
    at most five cells, as ``ls -h`` writes them (``999B``, ``99.9K``, ``512K``, ``1.0M``)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if unit == "B" and value < 1000:
            number = f"{value:.0f}"
        elif round(value, 1) < 100:
            number = f"{value:.1f}"
        elif round(value) < 1000 or unit == "TB":
            number = f"{value:.0f}"
        else:
            value /= 1024
            continue
        return number + unit[0] if compact else f"{number} {unit}"
    raise AssertionError("unreachable: the last unit always returns")


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
