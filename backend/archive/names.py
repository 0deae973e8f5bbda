"""Archive file names as X-Road writes them, and the order of a group's files.

7.x (``LogArchiveWriter.getArchiveFilename``)::

    mlog-[<group>-]<start>-<end>-<16 hex of the last linkinginfo digest>.zip[.gpg]

6.x and older: ``mlog-<start>-<end>-<10 random letters and digits>.zip``. ``<start>``/``<end>`` are
``yyyyMMddHHmmss`` in the archiver's clock (UTC on a host set to UTC, which X-Road's guide assumes).
The group (only with grouping by member or subsystem) is the client id's short form with
``/`` and other unsafe characters replaced by ``_``, so it is parsed from the right and kept as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

T = TypeVar("T")

PREFIX = "mlog-"
GROUP_MAX_LENGTH = 200
TAG_LENGTH = 16
TIME_FORMAT = "%Y%m%d%H%M%S"

_NAME_7 = re.compile(
    r"^mlog-(?:(?P<group>.+)-)?(?P<start>\d{14})-(?P<end>\d{14})-(?P<tag>[0-9a-f]{16})"
    r"\.zip(?P<gpg>\.gpg)?$", re.S)
_NAME_6 = re.compile(r"^mlog-(?P<start>\d{14})-(?P<end>\d{14})-(?P<random>[A-Za-z0-9]{10})\.zip$")
# Java's [\0\\<>/:|*?\p{Cc}] (\p{Cc}: C0 controls, DEL and C1 controls)
_GROUP_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\<>/:|*?]")

NameForm = Literal["7", "6", "other"]


@dataclass(frozen=True, slots=True)
class ArchiveName:
    """What a file name says about an archive; ``form`` "other" means none of X-Road's forms."""

    name: str
    form: NameForm
    encrypted: bool
    group: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    tag: str | None = None
    random: str | None = None

    @property
    def legacy(self) -> bool | None:
        """True for 6.x names (containers with random suffixes), False for 7.x, None if unknown."""
        return {"7": False, "6": True}.get(self.form)


def _time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_archive_name(name: str) -> ArchiveName:
    """Split an archive file name into its parts; a name of no known form gives ``form="other"``."""
    encrypted = name.endswith(".gpg")
    match = _NAME_7.match(name)
    if match:
        start, end = _time(match["start"]), _time(match["end"])
        if start is not None and end is not None:
            return ArchiveName(name, "7", encrypted, match["group"], start, end, match["tag"])
    match = _NAME_6.match(name)
    if match:
        start, end = _time(match["start"]), _time(match["end"])
        if start is not None and end is not None:
            return ArchiveName(name, "6", False, None, start, end, random=match["random"])
    return ArchiveName(name, "other", encrypted)


def is_archive_name(name: str) -> bool:
    """``mlog-*.zip`` or ``mlog-*.zip.gpg`` (X-Road's own temp files ``tmp-mlog-*.tmp`` are not)."""
    return name.startswith(PREFIX) and (name.endswith(".zip") or name.endswith(".zip.gpg"))


def is_zip_name(name: str) -> bool:
    """Any ``*.zip`` or ``*.zip.gpg``: archives copied under other names are recognised by content."""
    return (name.endswith(".zip") or name.endswith(".zip.gpg")) and not name.startswith(".")


def group_name(client_id: str) -> str:
    """The group part X-Road puts in a file name for a client id's short form ``INST/CLASS/CODE[/SUB]``."""
    return _GROUP_UNSAFE.sub("_", client_id)[:GROUP_MAX_LENGTH]


def archive_file_name(start: datetime, end: datetime, last_digest: str, *, group: str | None = None,
                      encrypted: bool = False) -> str:
    """The 7.x file name for an archive; ``group`` is a client id's short form (grouping on)."""
    parts = [PREFIX.rstrip("-")]
    if group:
        parts.append(group_name(group))
    parts += [start.strftime(TIME_FORMAT), end.strftime(TIME_FORMAT), last_digest[:TAG_LENGTH].lower()]
    return "-".join(parts) + (".zip.gpg" if encrypted else ".zip")


def time_key(name: ArchiveName) -> tuple[float, float, str]:
    """Sort key within a group: start, end, then the name (names without times sort first)."""
    start = name.start.timestamp() if name.start else float("-inf")
    end = name.end.timestamp() if name.end else float("-inf")
    return (start, end, name.name)


def group_files(names: Iterable[str]) -> dict[str | None, list[ArchiveName]]:
    """File names by group (``None`` without grouping), each group in time order."""
    groups: dict[str | None, list[ArchiveName]] = {}
    for name in names:
        parsed = parse_archive_name(name)
        groups.setdefault(parsed.group, []).append(parsed)
    for files in groups.values():
        files.sort(key=time_key)
    return groups


def order_by_links(items: Sequence[T], name_of: Callable[[T], str],
                   previous_of: Callable[[T], str | None]) -> list[T]:
    """A group's files in chain order: each after the file its linkinginfo header names.

    ``items`` come in time order (see ``time_key``); a file whose header names no file present
    (``-`` for a chain start, or a file that is missing) begins a run, runs stay in time order, and
    a file named by two others (a fork) is followed by both in time order. Nothing is dropped.
    """
    present = {name_of(item) for item in items}
    followers: dict[str, list[T]] = {}
    starts: list[T] = []
    for item in items:
        previous = previous_of(item)
        if previous and previous != "-" and previous in present and previous != name_of(item):
            followers.setdefault(previous, []).append(item)
        else:
            starts.append(item)
    ordered: list[T] = []
    placed: set[int] = set()

    def walk(first: T) -> None:
        stack = [first]
        while stack:
            item = stack.pop()
            if id(item) in placed:
                continue
            placed.add(id(item))
            ordered.append(item)
            stack.extend(reversed(followers.get(name_of(item), [])))

    for item in starts:
        walk(item)
    for item in items:  # files in a loop of links: keep them, in time order
        walk(item)
    return ordered


def previous_names(headers: Mapping[str, str | None]) -> Callable[[str], str | None]:
    """``previous_of`` for ``order_by_links`` when the items are file names."""
    return headers.get
