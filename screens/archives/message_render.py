"""A record's message as the detail screen shows it: SOAP as indented, highlighted XML; REST as its
request or status line, headers and body (text, or a hex preview when it is binary).

The XML is parsed without entities, DTDs or network (as the index reads it) and only to indent it;
a message that does not parse is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text

from backend.archive.asic import AsicContainer
from backend.archive.records import REST, SOAP, MessageInfo, parse_message
from backend.i18n import _
from screens.archives.format import size_text

#: more than this is shown without highlighting (rich highlights a few hundred KB per second)
HIGHLIGHT_LIMIT = 256 * 1024
#: more than this of a body or message is not shown at all (the .asice export has everything)
SHOW_LIMIT = 2 * 1024 * 1024
HEX_PREVIEW = 1024
BODY_ENTRY = "attachment1"


@dataclass(frozen=True)
class Message:
    """The parts of a container the detail screen shows."""

    info: MessageInfo
    raw: bytes
    attachments: tuple[tuple[str, bytes], ...]


def read_message(container: AsicContainer) -> Message:
    raw = container.message
    return Message(parse_message(raw, full=True), raw, tuple(sorted(container.attachments.items())))


def pretty_xml(data: bytes) -> str:
    """``data`` indented (or as it is when it is not well-formed XML)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return data.decode("utf-8", "backslashreplace")
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def is_text(data: bytes) -> bool:
    """UTF-8 without control characters other than tab and line ends."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def hex_preview(data: bytes, limit: int = HEX_PREVIEW) -> str:
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset:offset + 16]
        hexed = " ".join(f"{byte:02x}" for byte in chunk)
        shown = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append(f"{offset:08x}  {hexed:<47}  |{shown}|")
    if len(data) > limit:
        lines.append(_("… {size} in all; export the .asice for every byte").format(size=size_text(len(data))))
    return "\n".join(lines)


def _syntax(text: str, lexer: str) -> RenderableType:
    if len(text) > HIGHLIGHT_LIMIT:
        return Text(text)
    return Syntax(text, lexer, theme="ansi_dark", word_wrap=True, background_color="default")


def body_renderable(name: str, data: bytes, content_type: str | None = None) -> RenderableType:
    """One body or attachment: highlighted when it is JSON or XML text, else text or a hex preview."""
    title = Text(_("{name} ({size})").format(name=name, size=size_text(len(data))), style="bold")
    if not data:
        return Group(title, Text(_("(empty)"), style="dim"))
    if len(data) > SHOW_LIMIT:
        return Group(title, Text(hex_preview(data)))
    if not is_text(data):
        return Group(title, Text(_("binary content; the first bytes:"), style="dim"), Text(hex_preview(data)))
    text = data.decode("utf-8")
    kind = (content_type or "").lower()
    stripped = text.lstrip()
    if "json" in kind or stripped[:1] in ("{", "["):
        return Group(title, _syntax(text, "json"))
    if "xml" in kind or stripped[:1] == "<":
        return Group(title, _syntax(pretty_xml(data), "xml"))
    return Group(title, Text(text))


def message_renderable(message: Message) -> RenderableType:
    """The whole message: SOAP envelope, or REST line, headers and body, then any other attachments."""
    info, parts = message.info, []
    if info.kind == SOAP or (info.kind != REST and message.raw.lstrip()[:1] == b"<"):
        if len(message.raw) > SHOW_LIMIT:
            parts.append(Text(_("The SOAP message is {size}; its first bytes:").format(
                size=size_text(len(message.raw))), style="dim"))
            parts.append(Text(hex_preview(message.raw)))
        else:
            parts.append(_syntax(pretty_xml(message.raw), "xml"))
        attachments = message.attachments
    elif info.kind == REST:
        first = (f"{info.method} {info.path or ''}" if info.method
                 else f"{info.status} {info.reason or ''}")
        parts.append(Text(first.strip(), style="bold"))
        content_type = None
        for name, value in info.headers:
            parts.append(Text.assemble((name, "bold cyan"), ": ", value))
            if name.lower() == "content-type":
                content_type = value
        body = dict(message.attachments).get(BODY_ENTRY)
        parts.append(Text(""))
        if body is None:
            parts.append(Text(_("No body (X-Road logged none, or the request has none)."), style="dim"))
        else:
            parts.append(body_renderable(_("body"), body, content_type))
        attachments = tuple(item for item in message.attachments if item[0] != BODY_ENTRY)
    else:
        parts.append(Text(info.issue_message or _("The message cannot be read."), style="bold red"))
        parts.append(body_renderable("message.xml", message.raw))
        attachments = message.attachments
    for name, data in attachments:
        parts.append(Text(""))
        parts.append(body_renderable(name, data))
    return Group(*parts)
