"""One ASiC-E container of X-Road's message log, parsed from its bytes.

Two layouts exist (``xroad-messagelog.md`` §2.3):

* X-Road 6.x/7.x: ``mimetype``, ``message.xml``, ``META-INF/signatures.xml`` (any
  ``META-INF/*signatures*.xml``), optional ``sig-hashchain*.xml``, ``ts-hashchain*.xml``,
  ``META-INF/timestamp.tst``, manifests and ``attachmentN``;
* the oldest containers (2012–2015): ``META-INF/signature.xml`` and ``<sha1>-message.xml``.

The structural checks follow X-Road's ``AsicHelper`` in its order and with its error codes: the
mimetype first (``asic_mime_type_not_found``, ``asic_invalid_mime_type``; a file that is not a zip
at all has no mimetype either), then the message (``asic_message_not_found``), the signature
(``asic_signature_not_found``), the pairs of hash-chain files and the manifests. Entry names are
matched without regard to case, as X-Road does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backend.archive.files import open_archive_bytes
from backend.archive.safety import ArchiveError, Limits
from backend.i18n import _

MIMETYPE = "application/vnd.etsi.asic-e+zip"
#: the most one container may hold when unpacked, read into memory (X-Road logs bodies up to
#: 10 MiB by default; larger containers are reported as not verified)
MAX_CONTAINER_BYTES = 64 * 1024 * 1024

ENTRY_MIMETYPE = "mimetype"
ENTRY_MESSAGE = "message.xml"
ENTRY_SIGNATURE = "META-INF/signatures.xml"
ENTRY_SIG_HASH_CHAIN_RESULT = "sig-hashchainresult.xml"
ENTRY_SIG_HASH_CHAIN = "sig-hashchain.xml"
ENTRY_TS_HASH_CHAIN_RESULT = "ts-hashchainresult.xml"
ENTRY_TS_HASH_CHAIN = "ts-hashchain.xml"
ENTRY_MANIFEST = "META-INF/manifest.xml"
ENTRY_ASIC_MANIFEST = "META-INF/ASiCManifest.xml"
ENTRY_TIMESTAMP = "META-INF/timestamp.tst"
ATTACHMENT_PREFIX = "attachment"

_FIXED = (ENTRY_MIMETYPE, ENTRY_MESSAGE, ENTRY_SIG_HASH_CHAIN_RESULT, ENTRY_SIG_HASH_CHAIN,
          ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN, ENTRY_MANIFEST, ENTRY_ASIC_MANIFEST,
          ENTRY_TIMESTAMP)
_FIXED_BY_KEY = {name.casefold(): name for name in _FIXED}
_SIGNATURE = re.compile(r"META-INF/.*signatures.*\.xml")
_LEGACY_SIGNATURE = "meta-inf/signature.xml"
_LEGACY_MESSAGE = re.compile(r"[0-9a-fA-F]{40}-message\.xml")

LAYOUT_ASIC = "asic-e"
LAYOUT_LEGACY = "legacy"


class AsicError(Exception):
    """The container cannot be used; ``code`` is X-Road's error code for it."""

    def __init__(self, code: str, message: str, entry: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.entry = entry


@dataclass(slots=True)
class AsicContainer:
    """The entries of one container that verification needs, as bytes."""

    layout: str
    names: list[str]                     # every entry name, in zip order
    entries: dict[str, bytes]            # canonical entry name → bytes
    attachments: dict[str, bytes] = field(default_factory=dict)
    message_name: str = ENTRY_MESSAGE
    signature_name: str = ENTRY_SIGNATURE

    def get(self, name: str) -> bytes | None:
        """An entry by name or URI (``/message.xml``), case-insensitively; attachments too."""
        key = name.removeprefix("/")
        if key.startswith(ATTACHMENT_PREFIX):
            return self.attachments.get(key)
        canonical = _FIXED_BY_KEY.get(key.casefold(), key)
        if canonical == ENTRY_MESSAGE:
            canonical = self.message_name
        elif canonical.casefold() == self.signature_name.casefold():
            canonical = self.signature_name
        return self.entries.get(canonical)

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def message(self) -> bytes:
        return self.entries[self.message_name]

    @property
    def signature(self) -> bytes:
        return self.entries[self.signature_name]

    @property
    def timestamp(self) -> bytes | None:
        return self.entries.get(ENTRY_TIMESTAMP)

    @property
    def batch_signature(self) -> bool:
        return ENTRY_SIG_HASH_CHAIN_RESULT in self.entries

    @property
    def batch_timestamp(self) -> bool:
        return ENTRY_TS_HASH_CHAIN_RESULT in self.entries


def _blank(data: bytes | None) -> bool:
    return data is None or not data.strip()


def _classify(name: str) -> tuple[str, str] | None:
    """(kind, canonical name) of an entry that verification reads, or None to skip it."""
    fixed = _FIXED_BY_KEY.get(name.casefold())
    if fixed is not None:
        return "fixed", fixed
    if _SIGNATURE.fullmatch(name):
        return "signature", name
    if name.startswith(ATTACHMENT_PREFIX):
        return "attachment", name
    if name.casefold() == _LEGACY_SIGNATURE:
        return "legacy-signature", name
    if _LEGACY_MESSAGE.fullmatch(name):
        return "legacy-message", name
    return None


_LIMITS = Limits(max_entry_size=MAX_CONTAINER_BYTES, max_total=MAX_CONTAINER_BYTES, max_entries=10_000)


def _read_entries(data: bytes, limit: int) -> tuple[list[str], dict[str, tuple[str, bytes]]]:
    limits = _LIMITS if limit == MAX_CONTAINER_BYTES else Limits(max_entry_size=limit, max_total=limit)
    try:
        archive = open_archive_bytes(data, "container.asice", limits=limits)
    except ArchiveError as exc:
        # X-Road reads such a file as a container without entries: no mimetype.
        raise AsicError("asic_mime_type_not_found",
                        _("Not an ASiC-E container: the file is not a ZIP archive ({error}).")
                        .format(error=exc.message)) from exc
    names = [entry.name for entry in archive.entries]
    wanted: dict[str, tuple[str, bytes]] = {}
    with archive:
        for entry in archive.entries:
            kind = _classify(entry.name)
            if kind is None or entry.name.endswith("/"):
                continue
            if kind[1] in wanted or entry.name_problem == "duplicate_name":
                raise AsicError("asic_invalid_container",
                                _("The container holds the entry {name} twice.").format(name=kind[1]),
                                kind[1])
            if entry.refused in ("too_large", "total_too_large"):
                raise AsicError("asic_too_large",
                                _("The container unpacks to more than {limit} MiB; it is not read.")
                                .format(limit=limit // (1024 * 1024)), entry.name)
            try:
                content = archive.read(entry)
            except ArchiveError as exc:
                raise AsicError("asic_invalid_container",
                                _("The entry {name} of the container cannot be read: {error}")
                                .format(name=entry.name, error=exc.message), entry.name) from exc
            wanted[kind[1]] = (kind[0], content)
    return names, wanted


def parse_container(data: bytes, *, limit: int = MAX_CONTAINER_BYTES) -> AsicContainer:
    """Parse and structurally check one container; raises :class:`AsicError`."""
    names, wanted = _read_entries(data, limit)
    entries: dict[str, bytes] = {}
    attachments: dict[str, bytes] = {}
    signature_name = message_name = None
    legacy_signature = legacy_message = None
    for name, (kind, content) in wanted.items():
        if kind == "fixed":
            entries[name] = content
        elif kind == "attachment":
            attachments[name] = content
        elif kind == "signature" and signature_name is None:
            signature_name = name
            entries[name] = content
        elif kind == "legacy-signature":
            legacy_signature = (name, content)
        elif kind == "legacy-message":
            legacy_message = (name, content)
    layout = LAYOUT_ASIC
    if ENTRY_MESSAGE not in entries and legacy_message is not None:
        message_name, entries[legacy_message[0]] = legacy_message
        layout = LAYOUT_LEGACY
    if signature_name is None and legacy_signature is not None:
        signature_name, entries[legacy_signature[0]] = legacy_signature
        layout = LAYOUT_LEGACY
    container = AsicContainer(layout, names, entries, attachments,
                              message_name or ENTRY_MESSAGE, signature_name or ENTRY_SIGNATURE)
    _check_structure(container)
    return container


def _check_structure(container: AsicContainer) -> None:
    entries = container.entries
    mimetype = entries.get(ENTRY_MIMETYPE)
    if _blank(mimetype):
        raise AsicError("asic_mime_type_not_found",
                        _("The container has no mimetype entry (or it is empty)."), ENTRY_MIMETYPE)
    assert mimetype is not None
    if mimetype.decode("utf-8", "replace").casefold() != MIMETYPE:
        raise AsicError("asic_invalid_mime_type",
                        _("The container's mimetype is {found}, not {expected}.")
                        .format(found=mimetype.decode("utf-8", "replace")[:80], expected=MIMETYPE),
                        ENTRY_MIMETYPE)
    if _blank(entries.get(container.message_name)):
        raise AsicError("asic_message_not_found",
                        _("The container has no message.xml (or it is empty)."), ENTRY_MESSAGE)
    if _blank(entries.get(container.signature_name)):
        raise AsicError("asic_signature_not_found",
                        _("The container has no META-INF/signatures.xml (or it is empty)."),
                        ENTRY_SIGNATURE)
    _check_pair(entries, ENTRY_SIG_HASH_CHAIN_RESULT, ENTRY_SIG_HASH_CHAIN)
    timestamp = entries.get(ENTRY_TIMESTAMP)
    if timestamp is not None and _blank(timestamp):
        raise AsicError("asic_timestamp_not_found",
                        _("The container's META-INF/timestamp.tst is empty."), ENTRY_TIMESTAMP)
    _check_pair(entries, ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN)
    for name in (ENTRY_MANIFEST, ENTRY_ASIC_MANIFEST):
        if name in entries and _blank(entries[name]):
            raise AsicError("asic_manifest_not_found",
                            _("The container's {name} is empty.").format(name=name), name)


def _check_pair(entries: dict[str, bytes], result_name: str, chain_name: str) -> None:
    result, chain = entries.get(result_name), entries.get(chain_name)
    if _blank(result) and _blank(chain):
        return
    if _blank(result):
        raise AsicError("asic_hash_chain_result_not_found",
                        _("The container has {chain} but no {result}.")
                        .format(chain=chain_name, result=result_name), result_name)
    if _blank(chain):
        raise AsicError("asic_hash_chain_not_found",
                        _("The container has {result} but no {chain}.")
                        .format(chain=chain_name, result=result_name), chain_name)
