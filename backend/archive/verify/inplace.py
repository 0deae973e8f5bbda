"""Layer (a)'s hot loop: hashing containers where they lie in the mapped archive file.

X-Road writes its archives with deflate level 0, so every container is one final stored deflate
block: a five-byte header (final bit, LEN, NLEN) and then the container's bytes as they are. Those
bytes are hashed straight from the mapped file, a chunk of entries at a time with the per-entry
work done by ``map`` rather than by Python statements, because at 12 KiB per container the
interpreter's overhead is a fair part of the hashing itself. Entries in any other form are left
to the general path, which inflates them.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import methodcaller

from backend.archive.files import Entry
from backend.archive.safety import STORED_BLOCK

_DEFLATED = 8
_HEXDIGEST = methodcaller("hexdigest")


def hash_in_place(view: memoryview, entries: list[Entry], new_hash: Callable,
                  digests: dict[str, str]) -> list[Entry]:
    """Hash each entry that is one final stored block into ``digests`` (name → hex digest).

    Returns the entries not hashed (refused, stored otherwise, or compressed), in their order.
    """
    unpack = STORED_BLOCK.unpack_from
    plain = [entry for entry in entries
             if entry.method == _DEFLATED and entry.compressed_size == entry.size + 5 and not entry.refused
             and unpack(view, entry.data_offset) == (1, entry.size, entry.size ^ 0xFFFF)]
    starts = [entry.data_offset + 5 for entry in plain]
    ends = [start + entry.size for start, entry in zip(starts, plain, strict=True)]
    pieces = map(view.__getitem__, map(slice, starts, ends))
    digests.update(zip([entry.name for entry in plain], map(_HEXDIGEST, map(new_hash, pieces)), strict=True))
    if len(plain) == len(entries):
        return []
    hashed = {id(entry) for entry in plain}
    return [entry for entry in entries if id(entry) not in hashed]


def chain_in_place(view: memoryview, entries: list[Entry], recorded: list[str], previous: str,
                   new_hash: Callable) -> tuple[int, str]:
    """Hash each entry in place and check it against its ``linkinginfo`` line, in one pass.

    ``recorded`` holds the lines' digests for ``entries`` (same order), ``previous`` the digest
    before the first. Returns how many entries hold, and the last digest that held: it stops at the
    first entry that is not one stored block, or whose chained digest is not the recorded one in
    lower case, so that the general path can say what is wrong.
    """
    unpack = STORED_BLOCK.unpack_from
    for done, (entry, digest) in enumerate(zip(entries, recorded, strict=True)):
        size, start = entry.size, entry.data_offset + 5
        if (entry.method != _DEFLATED or entry.compressed_size != size + 5 or entry.refused
                or unpack(view, start - 5) != (1, size, size ^ 0xFFFF)
                or new_hash((previous + new_hash(view[start:start + size]).hexdigest()).encode()).hexdigest()
                != digest):
            return done, previous
        previous = digest
    return len(entries), previous
