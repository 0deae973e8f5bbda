"""What the clients screens show: tree labels, a client's facts and its keys with their reasons.

No widgets here; ``screens/clients.py`` and ``screens/client_detail.py`` put these into place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.content import Content

from backend.api.service_models import Client
from backend.i18n import _
from screens.clients_rules import (
    CONNECTION_WORDS,
    GLOBAL_ERROR,
    IN_PROGRESS,
    REGISTERED,
    MemberGroup,
    status_word,
)

#: the actions the detail panel lists, in this order
ACTION_ORDER = ("open_detail", "register", "remove", "connection_type", "tls", "disable_enable",
                "rename", "services", "access", "local_groups")

Describe = Callable[[str], tuple[str, str, str | None]]


def _status_style(status: str | None) -> str:
    if status == REGISTERED:
        return ""
    if status == GLOBAL_ERROR:
        return "bold underline"
    return "bold" if status in IN_PROGRESS else "italic"


def member_label(group: MemberGroup, pending: str = "") -> Text:
    member = group.member
    code = group.member_id.split(":", 1)[-1]
    parts: list[str | tuple[str, str]] = [(code, "bold")]
    if group.name:
        parts.append(f"  {group.name}")
    if group.owner:
        parts.append(("  ★ " + _("owner"), "bold"))
    if member is None:
        parts.append(("  · " + _("not a client itself"), "italic"))
    else:
        parts.append(("  · " + status_word(member.status), _status_style(member.status)))
    if pending:
        parts.append(f"  · {pending}")
    return Text.assemble(*parts)


def client_label(client: Client, pending: str = "") -> Text:
    """A subsystem under its member."""
    parts: list[str | tuple[str, str]] = [(client.subsystem_code or client.id, "bold")]
    if client.subsystem_name:
        parts.append(f"  {client.subsystem_name}")
    parts.append(("  · " + status_word(client.status), _status_style(client.status)))
    if client.rename_status == "NAME_SUBMITTED":
        parts.append(("  · " + _("rename waiting"), "italic"))
    if pending:
        parts.append(f"  · {pending}")
    return Text.assemble(*parts)


def _line(label: str, value: str | Content) -> Content:
    return Content.assemble((f"{label:<16}", "$text-muted"), value)


def client_facts(client: Client, pending: str, describe: Describe,
                 order: Iterable[str] = ACTION_ORDER) -> list[Content]:
    """The client's facts, then one line of keys: enabled ones, and the disabled ones with why."""
    status = status_word(client.status)
    if pending:
        status += f" · {pending}"
    lines = [
        _line(_("Client"), Content.assemble((client.id, "bold"),
                                            ("  ★ " + _("owner") if client.owner else "", "bold"))),
        _line(_("Name"), client.display_name if client.is_subsystem else
              (client.member_name or _("(not in the global configuration)"))),
        _line(_("Status"), status),
        _line(_("Connection"), _(CONNECTION_WORDS[client.connection_type])
              if client.connection_type in CONNECTION_WORDS else (client.connection_type or "?")),
        _line(_("Signing cert"), _("valid on this server") if client.has_valid_local_sign_cert
              else _("none valid on this server (register needs one)")
              if client.has_valid_local_sign_cert is False else _("not known")),
    ]
    if client.rename_status == "NAME_SUBMITTED":
        lines.append(_line(_("Rename"), _("sent; waiting for the central server")))
    lines.extend(action_lines(describe, order))
    return lines


def action_lines(describe: Describe, order: Iterable[str]) -> list[Content]:
    enabled: list[str] = []
    disabled: list[Content] = []
    for action in order:
        key, description, why = describe(action)
        if not key:
            continue
        if why:
            disabled.append(Content.assemble((f"{key} {description}", "$text-muted"), f": {why}"))
        else:
            enabled.append(f"{key} {description}")
    lines = [Content.assemble((_("Keys") + "  ", "$text-muted"), " · ".join(enabled))] \
        if enabled else []
    if disabled:
        lines.append(Content.styled(_("Not now:"), "$text-muted"))
        lines.extend(Content("  ").append(line) for line in disabled)
    return lines
