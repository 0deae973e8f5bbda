"""The records view's filter bar: ``key:value`` words that become a ``RecordFilter``.

``q-123`` (a word without a key) is a query id, ``q-12*`` a query-id prefix; then ``client:``,
``service:``, ``member:``, ``since:``, ``until:``, ``kind:soap|rest``, ``dir:request|response`` and
``file:`` (an archive file's name). Values with spaces go in quotes. Times are UTC, as X-Road writes
them: ``2024-03-01`` or ``2024-03-01T08:00``; a date alone for ``until`` means the end of that day.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from backend.archive.search import RecordFilter
from backend.errors import KapkaError
from backend.i18n import _

KEYS = ("q", "client", "service", "member", "since", "until", "kind", "dir", "file")
_ALIASES = {"query": "q", "id": "q", "query_id": "q", "from": "since", "to": "until", "type": "kind",
            "direction": "dir"}


class FilterError(KapkaError):
    def __init__(self, message: str) -> None:
        super().__init__(message, _("Filter not understood"))


def filter_help() -> str:
    return _("query id (q-12* for a prefix)  client:  service:  member:  since:  until:  kind:soap|rest  "
             "dir:request|response  file:")


def parse_time(text: str, *, end_of_day: bool = False) -> datetime:
    """``2024-03-01`` or ``2024-03-01T08:00[:00]`` (UTC unless an offset is given)."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1).removesuffix("Z").removesuffix("z"))
    except ValueError:
        raise FilterError(_("“{text}” is not a time. Write 2024-03-01 or 2024-03-01T08:00 (UTC).")
                          .format(text=text)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(value) == 10:
        moment += timedelta(days=1)
    return moment


def parse_filter(text: str, files: Mapping[str, int] | None = None) -> RecordFilter:
    """The filter that ``text`` describes; ``files`` maps archive file names to their index ids."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise FilterError(_("A quote is not closed. Put values with spaces in \"double quotes\".")) from None
    flt = RecordFilter()
    for word in words:
        key, colon, value = word.partition(":")
        key = _ALIASES.get(key.lower(), key.lower())
        if not colon or key not in KEYS:
            key, value = "q", word
        value = value.strip()
        if not value:
            raise FilterError(_("“{word}” has no value. Write it as {key}:value.").format(word=word, key=key))
        flt = _apply(flt, key, value, files or {})
    if flt.since is not None and flt.until is not None and flt.until <= flt.since:
        raise FilterError(_("The time range is empty: until must come after since."))
    return flt


def _apply(flt: RecordFilter, key: str, value: str, files: Mapping[str, int]) -> RecordFilter:
    if key == "q":
        return replace(flt, query_id=value)
    if key in ("client", "service", "member"):
        return replace(flt, **{key: value.replace(":", "/")})
    if key == "since":
        return replace(flt, since=parse_time(value))
    if key == "until":
        return replace(flt, until=parse_time(value, end_of_day=True))
    if key == "kind":
        kind = value.lower()
        if kind not in ("soap", "rest"):
            raise FilterError(_("kind is soap or rest, not “{value}”.").format(value=value))
        return replace(flt, kind=kind)
    if key == "dir":
        direction = value.lower()
        if direction in ("request", "req", "in"):
            return replace(flt, response=False)
        if direction in ("response", "res", "resp", "out"):
            return replace(flt, response=True)
        raise FilterError(_("dir is request or response, not “{value}”.").format(value=value))
    file_id = files.get(value)
    if file_id is None:
        matches = [file_id for name, file_id in files.items() if name.startswith(value)]
        if len(matches) != 1:
            raise FilterError(_("No archive file (or more than one) is named like “{value}”; the Files tab "
                                "lists them.").format(value=value))
        file_id = matches[0]
    return replace(flt, file_id=file_id)


def describe(flt: RecordFilter, files: Mapping[int, str] | None = None) -> str:
    """The filter as the bar would show it (the inverse of ``parse_filter``)."""
    words: list[str] = []
    if flt.query_id:
        words.append(_quote(flt.query_id))
    for key in ("client", "service", "member"):
        value = getattr(flt, key)
        if value:
            words.append(f"{key}:{_quote(value)}")
    if flt.since is not None:
        words.append("since:" + flt.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    if flt.until is not None:
        words.append("until:" + flt.until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    if flt.kind:
        words.append(f"kind:{flt.kind}")
    if flt.response is not None:
        words.append("dir:" + ("response" if flt.response else "request"))
    if flt.file_id is not None:
        words.append("file:" + _quote((files or {}).get(flt.file_id, str(flt.file_id))))
    return " ".join(words)


def _quote(value: str) -> str:
    return shlex.quote(value) if any(ch.isspace() or ch in "\"'" for ch in value) else value
