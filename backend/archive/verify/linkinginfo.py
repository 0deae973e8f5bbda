"""Layer (a): the ``linkinginfo`` chain inside each archive file and across the files of a group.

``linkinginfo`` (``xroad-messagelog.md`` §2.2)::

    <prevArchiveLastDigestHex|-> <prevArchiveFileName|-> <HASH-ALGO-NAME>
    <chained digest 1> <entry name 1>
    ...

with ``chained_i = hex(H(chained_{i-1} + hex(H(entry_i))))`` and ``chained_0`` the header's
digest (empty for ``-``). Each line is checked against the previous *recorded* value, so a
change shows at the entry that was changed, not at every entry after it; the last recorded value
is anchored by the 16-hex tag of the file name and by the header of the group's next file.

Across files: each file's header names the previous file of its group and that file's last
digest. A header naming a file that is not there means a missing file (named); a digest that
differs means the named file was altered or replaced; two files naming the same predecessor mean
one of them does not belong; ``- -`` after the first file is a chain restart (X-Road's chain
state was reset), which is reported but cannot be proven either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

from backend.archive.verify.report import Finding, Layer, failed, passed, unverified
from backend.archive.verify.xmlutil import ALGORITHM_NAMES
from backend.i18n import _

LINKINGINFO = "linkinginfo"


class LinkingInfoError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class LinkingInfo:
    prev_digest: str | None        # lower-case hex, None for "-"
    prev_name: str | None          # None for "-"
    algorithm: str                 # X-Road's name, e.g. SHA-512
    hash_name: str                 # hashlib's name
    lines: list[tuple[str, str]] = field(default_factory=list)  # (recorded digest as written, entry name)

    @property
    def last_digest(self) -> str | None:
        return self.lines[-1][0].lower() if self.lines else self.prev_digest


def parse_linkinginfo(data: bytes) -> LinkingInfo:
    """Parse a ``linkinginfo`` entry; raises :class:`LinkingInfoError` (``linkinginfo_malformed``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LinkingInfoError("linkinginfo_malformed",
                               _("linkinginfo is not UTF-8 text: {error}").format(error=exc)) from exc
    rows = text.strip().split("\n")
    if not all(map(str.strip, rows)):  # blank lines inside (X-Road writes none)
        rows = [row for row in rows if row.strip()]
    if not rows:
        raise LinkingInfoError("linkinginfo_malformed", _("linkinginfo is empty."))
    header = rows[0].split(" ")
    if len(header) != 3:
        raise LinkingInfoError("linkinginfo_malformed",
                               _("The first line of linkinginfo is not '<digest> <file> <algorithm>': {line}")
                               .format(line=rows[0][:200]))
    prev_digest, prev_name, algorithm = header
    hash_name = ALGORITHM_NAMES.get(algorithm.upper())
    if hash_name is None:
        raise LinkingInfoError("linkinginfo_malformed",
                               _("linkinginfo names an unknown hash algorithm: {name}")
                               .format(name=algorithm[:40]))
    info = LinkingInfo(None if prev_digest == "-" else prev_digest.lower(),
                       None if prev_name == "-" else prev_name, algorithm, hash_name)
    lines = list(map(str.split, rows[1:], repeat(" "), repeat(1)))
    if lines and (min(map(len, lines)) != 2 or not all(map(itemgetter(1), lines))):
        index = next(n for n, line in enumerate(lines) if len(line) != 2 or not line[1])
        raise LinkingInfoError("linkinginfo_malformed",
                               _("A line of linkinginfo is not '<digest> <entry>': {line}")
                               .format(line=rows[index + 1][:200]))
    info.lines = lines  # type: ignore[assignment]  (two-item lists, read as pairs)
    return info


def check_file(info: LinkingInfo, digests: dict[str, str], archive_entries: list[str],
               file_name: str, name_tag: str | None, *,
               lines_checked: bool = False) -> tuple[list[Finding], dict[str, Finding]]:
    """Check one file's chain.

    ``digests`` maps each ``.asice`` entry to the hex of ``H(entry bytes)`` (H = ``info.hash_name``),
    ``archive_entries`` lists the ``.asice`` entries in zip order, ``name_tag`` is the 16-hex tag
    of the file name (None for names without one). Returns the file's findings and, per entry,
    the finding that concerns that entry's record when it did not pass. ``lines_checked`` says
    every line's chained digest was already found to hold (``inplace.chain_in_place``).
    """
    findings: list[Finding] = []
    per_entry: dict[str, Finding] = {}
    if not archive_entries:
        findings.append(failed(Layer.LINKINGINFO, "no_containers",
                               _("There are no ASiC containers in the archive file {file}; at least one "
                                 "is expected.").format(file=file_name)))
    listed = [name for _digest, name in info.lines]
    listed_set, entries_set = set(listed), set(archive_entries)
    for name in sorted(listed_set - entries_set):
        findings.append(failed(Layer.LINKINGINFO, "linkinginfo_entry_missing",
                               _("linkinginfo lists {entry}, which is not in the archive file: it was "
                                 "removed.").format(entry=name), entry=name))
    for name in sorted(entries_set - listed_set):
        finding = failed(Layer.LINKINGINFO, "linkinginfo_entry_not_listed",
                         _("{entry} is in the archive file but not in its linkinginfo: it was added.")
                         .format(entry=name), entry=name)
        findings.append(finding)
        per_entry[name] = finding
    if len(listed_set) != len(listed):
        findings.append(failed(Layer.LINKINGINFO, "linkinginfo_malformed",
                               _("linkinginfo lists the same entry more than once.")))
    new_hash = getattr(hashlib, info.hash_name)
    previous = info.prev_digest or ""
    for recorded, name in [] if lines_checked else info.lines:
        entry_digest = digests.get(name)
        if entry_digest is not None:
            computed = new_hash((previous + entry_digest).encode()).hexdigest()
            if computed == recorded:  # the usual case: X-Road writes lower-case hex
                previous = recorded
                continue
            if computed != recorded.lower():
                finding = failed(Layer.LINKINGINFO, "linkinginfo_digest_mismatch",
                                 _("The digest of {entry} does not match linkinginfo: the entry (or "
                                   "linkinginfo) was altered.").format(entry=name),
                                 entry=name, expected=recorded, found=computed)
                findings.append(finding)
                per_entry[name] = finding
        previous = recorded.lower()
    last = info.last_digest
    if name_tag is not None and last is not None and not last.startswith(name_tag.lower()):
        findings.append(failed(Layer.LINKINGINFO, "archive_name_tag_mismatch",
                               _("The file name ends in {tag}, but the last digest of its linkinginfo "
                                 "starts with {found}: the file was renamed or its content replaced.")
                               .format(tag=name_tag, found=last[:16]),
                               expected=name_tag.lower(), found=last[:16]))
    if not findings:
        findings.append(passed(Layer.LINKINGINFO, "linkinginfo_ok",
                               _("linkinginfo chain intact: {count} containers, {algorithm}.")
                               .format(count=len(info.lines), algorithm=info.algorithm)))
    return findings, per_entry


@dataclass(slots=True)
class ChainNode:
    """One archive file as the cross-file check sees it."""

    key: str                   # unique: the path relative to the verified directory
    name: str                  # the file name, as linkinginfo headers name files
    group: str | None
    order: tuple               # sort key within the group (start, end, name)
    prev_digest: str | None = None
    prev_name: str | None = None
    last_digest: str | None = None
    readable: bool = True      # False: the file could not be read, its links are unknown


def _lookup(by_name: dict[str, ChainNode], name: str) -> ChainNode | None:
    node = by_name.get(name)
    if node is None:  # the header may name the file with or without its .gpg suffix
        node = by_name.get(name[:-4] if name.endswith(".gpg") else name + ".gpg")
    return node


def check_chains(nodes: list[ChainNode]) -> dict[str, list[Finding]]:
    """Check the links between the files of each group; findings per file name.

    The order of a group is the order its headers give, not the order of the file names (with
    grouping ``none`` consecutive files may start at any time); the names order only the places
    where the chain breaks.
    """
    result: dict[str, list[Finding]] = {node.key: [] for node in nodes}
    by_name = {node.name: node for node in nodes}
    by_key = {node.key: node for node in nodes}
    groups: dict[str | None, list[ChainNode]] = {}
    for node in nodes:
        groups.setdefault(node.group, []).append(node)
    claimed: dict[str, list[ChainNode]] = {}
    for members in groups.values():
        members.sort(key=lambda n: n.order)
        links = {node.name: _lookup(by_name, node.prev_name) if node.prev_name else None
                 for node in members}
        starts = [node for node in members if node.readable and links[node.name] is None]
        first = starts[0] if starts else None
        for index, node in enumerate(members):
            if node.readable:
                previous = links[node.name]
                if previous is None:
                    result[node.key].append(_segment_start(node, node is first, members, index))
                else:
                    claimed.setdefault(previous.key, []).append(node)
                    result[node.key].append(_link(node, previous))
    for previous_key, followers in claimed.items():
        if len(followers) > 1:
            names = ", ".join(sorted(n.name for n in followers))
            previous_name = by_key[previous_key].name
            for node in followers:
                result[node.key].append(failed(
                    Layer.CHAIN, "archive_fork",
                    _("Several files claim to follow {previous}: {files}; only one of them belongs to "
                      "the chain.").format(previous=previous_name, files=names), entry=previous_name))
    return result


def _segment_start(node: ChainNode, first: bool, members: list[ChainNode], index: int) -> Finding:
    if node.prev_name is None:
        if first:
            return passed(Layer.CHAIN, "chain_start",
                          _("{file} starts its chain (linkinginfo header '- -').").format(file=node.name))
        return unverified(Layer.CHAIN, "chain_restarted",
                          _("{file} starts a new chain ('- -'): X-Road's chain state was reset, so the "
                            "files before it cannot be linked to it.").format(file=node.name))
    if first:
        return unverified(Layer.CHAIN, "chain_predecessor_absent",
                          _("The chain of {file} continues from {previous}, which is not in this "
                            "directory (moved away, or missing).").format(file=node.name,
                                                                          previous=node.prev_name),
                          entry=node.prev_name)
    before = members[index - 1].name if index > 0 else None
    return failed(Layer.CHAIN, "archive_missing",
                  _("The archive file {previous} is missing: {file} names it as the previous file of "
                    "its group (the file before it by name is {before}).")
                  .format(previous=node.prev_name, file=node.name, before=before or "-"),
                  entry=node.prev_name)


def _link(node: ChainNode, previous: ChainNode) -> Finding:
    if not previous.readable or previous.last_digest is None:
        return unverified(Layer.CHAIN, "chain_link_unknown",
                          _("The link from {previous} to {file} cannot be checked: {previous} could not "
                            "be read.").format(previous=previous.name, file=node.name), entry=previous.name)
    if previous.last_digest != node.prev_digest:
        return failed(Layer.CHAIN, "archive_link_mismatch",
                      _("{file} expects {previous} to end with another digest: {previous} was altered or "
                        "replaced.").format(file=node.name, previous=previous.name),
                      entry=previous.name, expected=node.prev_digest, found=previous.last_digest)
    return passed(Layer.CHAIN, "chain_link_ok",
                  _("{file} follows {previous}.").format(file=node.name, previous=previous.name))
