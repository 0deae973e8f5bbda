"""Damaged and hostile zips, made by patching well-formed ones byte by byte."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence

#: byte offsets of fields in a central-directory record and in a local header
CENTRAL = {"flags": (8, "H"), "method": (10, "H"), "crc": (16, "L"), "compressed": (20, "L"),
           "size": (24, "L"), "offset": (42, "L")}
LOCAL = {"flags": (6, "H"), "method": (8, "H"), "crc": (14, "L"), "compressed": (18, "L"), "size": (22, "L")}


def make_zip(entries: Sequence[tuple[str, bytes]], *, level: int | None = 0) -> bytes:
    """A zip of deflated entries (``level`` 0 as X-Road's archives, ``None`` for zlib's default)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, (2024, 3, 1, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=level)
    return buffer.getvalue()


def end_record(data: bytes) -> tuple[int, int, int]:
    """(position of the end record, directory offset, entry count)."""
    position = data.rfind(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HLL", data, position + 10)
    return position, offset, count


def central_records(data: bytes) -> list[int]:
    """Positions of the central-directory records, in order."""
    _end, position, count = end_record(data)
    positions = []
    for _ in range(count):
        positions.append(position)
        name, extra, comment = struct.unpack_from("<3H", data, position + 28)
        position += 46 + name + extra + comment
    return positions


def patch(data: bytes, index: int, **fields: int) -> bytes:
    """Change fields of entry ``index`` in the central directory and in its local header alike."""
    buffer = bytearray(data)
    record = central_records(data)[index]
    local = struct.unpack_from("<L", buffer, record + 42)[0]
    for field, value in fields.items():
        offset, fmt = CENTRAL[field]
        struct.pack_into("<" + fmt, buffer, record + offset, value)
        if field in LOCAL:
            offset, fmt = LOCAL[field]
            struct.pack_into("<" + fmt, buffer, local + offset, value)
    return bytes(buffer)


def patch_central(data: bytes, index: int, **fields: int) -> bytes:
    """Change fields of the central directory only (the local header keeps the truth)."""
    buffer = bytearray(data)
    record = central_records(data)[index]
    for field, value in fields.items():
        offset, fmt = CENTRAL[field]
        struct.pack_into("<" + fmt, buffer, record + offset, value)
    return bytes(buffer)


def duplicate_central(data: bytes, index: int) -> bytes:
    """A second directory record for entry ``index``: two entries over the same bytes."""
    end, offset, count = end_record(data)
    records = central_records(data)
    record_end = records[index + 1] if index + 1 < len(records) else end
    copy = data[records[index]:record_end]
    directory = data[offset:end] + copy
    tail = bytearray(data[end:])
    struct.pack_into("<HHL", tail, 8, count + 1, count + 1, len(directory))
    return data[:offset] + directory + bytes(tail)
