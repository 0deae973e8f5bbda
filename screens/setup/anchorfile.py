"""Reading a configuration anchor file on this host: size-limited, no DTDs, no entities.

The server computes the anchor's hash (``POST /system/anchor/previews``); this module only reads
what the operator should see beside it: the instance identifier and the download URLs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import _
from screens.setup.files import read_small_file

MAX_ANCHOR_BYTES = 1024 * 1024  # X-Road's anchors are a few kilobytes
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class AnchorFile:
    path: Path
    content: bytes
    instance: str
    download_urls: tuple[str, ...]
    generated_at: str | None = None


def _title() -> str:
    return _("Not a configuration anchor")


def read_anchor_file(path: Path, limit: int = MAX_ANCHOR_BYTES) -> AnchorFile:
    """Read and check an anchor file (call it off the event loop: it reads the disk)."""
    path = Path(path).expanduser()
    return parse_anchor(read_small_file(path, limit, what=_("configuration anchor")), path)


def parse_anchor(content: bytes, path: Path | None = None) -> AnchorFile:
    """The instance and download URLs of an anchor's XML; a clear error when it is not one."""
    where = str(path) if path is not None else _("The file")
    if not content.strip():
        raise KapkaError(_("{file} is empty.").format(file=where), _title())
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise KapkaError(_("{file} is UTF-16 text; X-Road's anchors are UTF-8 XML.").format(
            file=where), _title())
    if _DTD.search(content):
        raise KapkaError(_("{file} contains a document type declaration (<!DOCTYPE> or "
                           "<!ENTITY>). X-Road's anchors have none, and Kapka does not read XML "
                           "that has one.").format(file=where), _title())
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        line, column = error.position
        raise KapkaError(_("{file} is not XML (line {line}, column {column}). A configuration "
                           "anchor is the XML file your X-Road operator (for Tunduk, its "
                           "administrators) sends you.").format(
            file=where, line=line, column=column), _title()) from error
    if _local(root.tag) != "configurationAnchor":
        raise KapkaError(_("{file} is XML, but its root element is <{tag}>, not "
                           "<configurationAnchor>.").format(file=where, tag=_local(root.tag)),
                         _title())
    instance = _text(root, "instanceIdentifier")
    if not instance:
        raise KapkaError(_("{file} names no X-Road instance (<instanceIdentifier>).").format(
            file=where), _title())
    urls = tuple(text for source in _children(root, "source")
                 if (text := _text(source, "downloadURL")))
    if not urls:
        raise KapkaError(_("{file} has no configuration source (<source><downloadURL>).").format(
            file=where), _title())
    return AnchorFile(path=path or Path(), content=content, instance=instance,
                      download_urls=urls, generated_at=_text(root, "generatedAt"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ElementTree.Element, name: str) -> str | None:
    for child in _children(element, name):
        return (child.text or "").strip() or None
    return None
