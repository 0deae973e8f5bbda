"""Zip files as ``java.util.zip.ZipOutputStream`` writes them onto a stream.

Every entry is deflated (at the level given; 0 makes stored deflate blocks, as X-Road's archiver
sets) and followed by a data descriptor; names carry the UTF-8 flag; the extended-timestamp extra
field (``UT``) holds the modification time, as ``ZipEntry.setLastModifiedTime`` sets it; the DOS
time is UTC. The output is byte for byte what Java writes (the tests rebuild a real X-Road container
from its entries and compare). No Zip64: an archive stays below 4 GiB.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_DESCRIPTOR = struct.Struct("<IIII")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20  # 2.0: deflate; "made by" MS-DOS (0), as Java writes
_FLAGS = 0x0808  # data descriptor, UTF-8 names
_DEFLATED = 8
LIMIT = 0xFFFFFFFF


def dos_time(time_ms: int) -> tuple[int, int]:
    """``(time, date)`` in MS-DOS format, UTC."""
    moment = time.gmtime(time_ms // 1000)
    year = max(moment.tm_year, 1980)
    return ((moment.tm_hour << 11) | (moment.tm_min << 5) | (moment.tm_sec // 2),
            ((year - 1980) << 9) | (moment.tm_mon << 5) | moment.tm_mday)


class ZipStream:
    """Writes entries through ``write``; :meth:`finish` writes the central directory."""

    def __init__(self, write: Callable[[bytes], object], level: int) -> None:
        self._write = write
        self.level = level
        self.offset = 0
        self._central: list[bytes] = []

    def _emit(self, data: bytes) -> None:
        self._write(data)
        self.offset += len(data)

    def add(self, name: str, data: bytes, time_ms: int) -> None:
        encoded = name.encode("utf-8")
        extra = b"UT\x05\x00\x01" + struct.pack("<I", (time_ms // 1000) & LIMIT)
        dos, date = dos_time(time_ms)
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        start = self.offset
        if start + len(packed) + len(encoded) + 200 > LIMIT or len(data) > LIMIT:
            raise OverflowError("zip entry beyond 4 GiB")
        self._emit(_LOCAL.pack(0x04034B50, _VERSION, _FLAGS, _DEFLATED, dos, date, 0, 0, 0,
                               len(encoded), len(extra)) + encoded + extra)
        self._emit(packed)
        self._emit(_DESCRIPTOR.pack(0x08074B50, crc, len(packed), len(data)))
        self._central.append(_CENTRAL.pack(
            0x02014B50, _VERSION, _VERSION, _FLAGS, _DEFLATED, dos, date, crc, len(packed),
            len(data), len(encoded), len(extra), 0, 0, 0, 0, start) + encoded + extra)

    def finish(self, comment: bytes = b"") -> None:
        start = self.offset
        directory = b"".join(self._central)
        self._emit(directory)
        count = len(self._central)
        self._emit(_END.pack(0x06054B50, 0, 0, count, count, len(directory), start, len(comment))
                   + comment)
