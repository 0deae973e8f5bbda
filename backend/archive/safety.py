"""What an archive may declare and what is wrong with it: limits, problem codes, the reading error,
and inflating that never produces more than an entry declares."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from backend.errors import KapkaError
from backend.i18n import N_, _


class ArchiveError(KapkaError):
    """An archive, or one of its entries, cannot be read."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Archive not readable"))


@dataclass(frozen=True, slots=True)
class Limits:
    """What an archive may declare before it is treated as a zip bomb."""

    max_entry_size: int = 2 << 30  # X-Road logs bodies up to 1 GiB
    max_ratio: int = 1100  # deflate cannot compress better than about 1032:1
    ratio_floor: int = 1 << 20  # entries below 1 MiB are not judged by their ratio
    max_total: int = 64 << 30
    max_entries: int = 500_000  # X-Road ends a file every 10,000 records by default


DEFAULT_LIMITS = Limits()

#: problem code → what it means and what to do (shown per file, per entry)
PROBLEMS = {
    "path_traversal": N_("The entry name climbs out of its directory (“..”). X-Road never writes such "
                         "names: the file was altered or is not an X-Road archive. Kapka never extracts "
                         "it."),
    "absolute_path": N_("The entry name is an absolute path. X-Road never writes such names: the file "
                        "was altered or is not an X-Road archive."),
    "unsafe_name": N_("The entry name holds control characters or backslashes, which X-Road never "
                      "writes: the file was altered or is not an X-Road archive."),
    "non_utf8_name": N_("The entry name is not valid UTF-8; it is shown with \\xNN escapes. X-Road "
                        "writes only ASCII names: the file was altered or is not an X-Road archive."),
    "duplicate_name": N_("Two entries have this name; only the first is used. X-Road never writes "
                         "this: the file was altered."),
    "zip_bomb": N_("The entry declares a size far beyond what its compressed bytes can hold (a zip "
                   "bomb); it is not read."),
    "too_large": N_("The entry declares a size larger than Kapka reads; it is not read."),
    "total_too_large": N_("The archive's entries declare more bytes in total than Kapka reads (a zip "
                          "bomb); the archive is not read further."),
    "overlap": N_("The entry's bytes overlap another entry's (a zip bomb or a damaged file); it is "
                  "not read."),
    "outside": N_("The entry's bytes lie outside the file: the file is truncated or damaged."),
    "bad_local_header": N_("The entry's local header is missing or names another file: the file is "
                           "damaged or was altered."),
    "unsupported": N_("The entry uses a compression method or encryption X-Road never uses; it is "
                      "not read."),
    "damaged": N_("The entry cannot be read: it is damaged, truncated or inflates beyond the size it "
                  "declares."),
    "odd_name": N_("The container's name is not in X-Road's form <query id>-request|response-<id>.asice; "
                   "its query id comes from its message only."),
    "count_mismatch": N_("The zip's directory lists a different number of entries than its end record "
                         "says: the file is damaged or was altered."),
}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    entry: str | None = None

    @property
    def message(self) -> str:
        return _(PROBLEMS[self.code]) if self.code in PROBLEMS else self.code


_STORED, _DEFLATED = 0, 8
STORED_BLOCK = struct.Struct("<BHH")  # a stored deflate block's header bits, LEN, NLEN
_STORED_BLOCK = STORED_BLOCK


def stored_content(raw: memoryview, size: int) -> memoryview | bytes | None:
    """The content of a deflate stream made only of stored blocks (X-Road's level 0), or ``None``.

    One block (the usual case) is returned as a view of ``raw``, without copying.
    """
    length = len(raw)
    if length == size + 5 and length >= 5:  # one final stored block: the usual case, no loop
        header, block, check = _STORED_BLOCK.unpack_from(raw, 0)
        if header & 0b111 == 1 and block == size and block ^ check == 0xFFFF:
            return raw[5:]
    parts, position = [], 0
    while True:
        if position + 5 > length:
            return None
        header, block, check = _STORED_BLOCK.unpack_from(raw, position)
        if header & 0b110 or block ^ check != 0xFFFF:  # BTYPE 00 is a stored block
            return None
        start, position = position + 5, position + 5 + block
        if position > length:
            return None
        parts.append(raw[start:position])
        if header & 1:
            break
    if sum(len(part) for part in parts) != size:
        return None
    return parts[0] if len(parts) == 1 else b"".join(parts)


def inflate_view(raw: memoryview, method: int, size: int, archive: str, entry: str) -> memoryview | bytes:
    """Like ``inflate``, but level-0 deflate and stored entries come back as views without a copy."""
    if method == _STORED:
        if len(raw) < size:
            raise ArchiveError(_("Entry {entry} of {archive} is shorter than it declares: the file is "
                                 "truncated or damaged.").format(entry=entry, archive=archive),
                               _("Archive entry damaged"))
        return raw[:size]
    if method == _DEFLATED:
        content = stored_content(raw, size)
        if content is not None:
            return content
    return inflate(raw, method, size, archive, entry)


def inflate(raw: memoryview | bytes, method: int, size: int, archive: str, entry: str) -> bytes:
    """Uncompress stored or deflated bytes, never producing more than ``size`` bytes."""
    if method == _STORED:
        data = bytes(raw[:size])
    elif method == _DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, size + 1)
        except zlib.error as exc:
            raise ArchiveError(_("Entry {entry} of {archive} is damaged ({error}).").format(
                entry=entry, archive=archive, error=exc), _("Archive entry damaged")) from exc
        if len(data) > size or inflater.unconsumed_tail:
            raise ArchiveError(_("Entry {entry} of {archive} inflates beyond the size it declares (a zip "
                                 "bomb or a damaged file); it is not read.").format(
                                     entry=entry, archive=archive), _("Archive entry refused"))
    else:
        raise ArchiveError(Problem("unsupported").message, _("Archive entry refused"))
    if len(data) != size:
        raise ArchiveError(_("Entry {entry} of {archive} is shorter than it declares: the file is "
                             "truncated or damaged.").format(entry=entry, archive=archive),
                           _("Archive entry damaged"))
    return data
