"""``LocalGroupsScreen``: a client's local groups, their members, and where each group is used.

A local group belongs to one client and may hold access rights to its services. Deleting a group
revokes every right granted through it (UG §8.4), so before deleting the screen lists those rights,
focuses Cancel and asks for the group's code to be typed.
"""

from __future__ import annotations

from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from backend.api.client_ids import path_id
from backend.api.service_models import AccessRight, LocalGroup
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from screens.access.common import (
    GROUP_PERMISSIONS,
    explain_disabled_key,
    member_search,
    operator_confirmed,
    write_reason,
)
from screens.access.group_dialogs import GroupDialog
from screens.access.picker import CandidatePicker
from screens.action_runner import ActionRunner
from screens.base import KapkaScreen, describe_exception
from screens.widgets.confirm import ConfirmDialog
from screens.widgets.error_panel import ErrorPanel

WRITE_ACTIONS = frozenset({"new_group", "edit", "add_members", "remove_member", "delete"})


def where_used_lines(group: LocalGroup, rights: list[AccessRight]) -> list[Content]:
    """What deleting ``group`` takes with it, in words."""
    lines = [Content.assemble(_("Local group "), (group.code, "bold"), ": ", group.description),
             Content(ngettext("{n} member", "{n} members", group.member_count or 0).format(
                 n=group.member_count or 0)), Content("")]
    if not rights:
        lines.append(Content(_("It holds no access rights: no service loses a caller.")))
        return lines
    lines.append(Content.styled(ngettext(
        "Deleting it revokes its right to {n} service; its members lose that access at once:",
        "Deleting it revokes its rights to {n} services; its members lose that access at once:",
        len(rights)).format(n=len(rights)), "bold $text-warning"))
    shown = rights[:12]
    for right in shown:
        title = f" ({right.service_title})" if right.service_title else ""
        lines.append(Content(f"  • {right.service_code}{title}"))
    if len(rights) > len(shown):
        lines.append(Content(_("  … and {n} more").format(n=len(rights) - len(shown))))
    return lines


class LocalGroupsScreen(ActionRunner, KapkaScreen):
    """Local groups of ``client_id``: list, add, describe, members, delete with where-used."""

    SCREEN_TITLE = _("Local groups")
    DANGEROUS_ACTIONS = WRITE_ACTIONS

    BINDINGS = [
        Binding("n", "new_group", _("New group"), id="groups.new",
                tooltip=_("Add a local group to the client")),
        Binding("e", "edit", _("Description"), id="groups.edit",
                tooltip=_("Change the highlighted group's description")),
        Binding("m", "add_members", _("Add members"), id="groups.add_members",
                tooltip=_("Members or subsystems of the global configuration")),
        Binding("x", "remove_member", _("Remove member"), id="groups.remove_member",
                tooltip=_("Remove the highlighted member from the group")),
        Binding("d,delete", "delete", _("Delete group"), id="groups.delete",
                tooltip=_("Delete the group and the access rights it holds")),
        Binding("ctrl+r", "reload", _("Reload"), id="groups.reload"),
        Binding("escape", "back", _("Back"), id="groups.back"),
    ]

    DEFAULT_CSS = """
    LocalGroupsScreen #groups-body { height: 1fr; }
    LocalGroupsScreen #groups-title { height: auto; padding: 0 1; text-style: bold; }
    LocalGroupsScreen Horizontal { height: 1fr; }
    LocalGroupsScreen DataTable { height: 1fr; width: 1fr; border: round $primary 40%; }
    LocalGroupsScreen DataTable:focus { border: round $accent; }
    LocalGroupsScreen #groups-detail { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.groups: list[LocalGroup] = []
        self.group: LocalGroup | None = None  # the highlighted one, with its members
        self.loads = 0
        self.generation = 0  # actions finished
        self.loaded_generation = 0
        self.busy = False
        self.wanted: str | None = None  # the group code to highlight after a load

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="groups-body"):
            yield ErrorPanel(id="groups-error")
            yield Static(_("Local groups of {client}").format(client=self.client_id),
                         id="groups-title", markup=False)
            with Horizontal():
                groups: DataTable[Any] = DataTable(cursor_type="row", id="groups-table")
                groups.border_title = _("Groups")
                yield groups
                members: DataTable[Any] = DataTable(cursor_type="row", id="members-table")
                members.border_title = _("Members")
                yield members
            yield Static(_("Loading…"), id="groups-detail", markup=False)
        yield from self.compose_footer()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#groups-table", DataTable)

    @property
    def members(self) -> DataTable[Any]:
        return self.query_one("#members-table", DataTable)

    def on_mount(self) -> None:
        self.title = _("Local groups: {client}").format(client=self.client_id)
        self.table.add_columns(_("Code"), _("Description"), _("Members"))
        self.members.add_columns(_("Member"), _("Name"), _("Added"))
        self.table.focus()
        self.load()

    # -- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="groups-load", exit_on_error=False)
    async def load(self) -> None:
        server = getattr(self.app, "server", None)
        panel = self.query_one("#groups-error", ErrorPanel)
        if server is None:
            panel.show_error(title=_("Not connected"), message=_(
                "Kapka is not connected to a security server. Press c to connect."))
            return
        generation = self.generation
        try:
            groups = await server.access.local_groups(self.client_id)
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message, hint=_("Press ctrl+r to try again."))
            return
        panel.clear()
        keep = self.wanted or (self.group.code if self.group else None)
        self.wanted = None
        self.groups = sorted(groups, key=lambda group: group.code.lower())
        table = self.table
        table.clear()
        for group in self.groups:
            table.add_row(group.code, group.description, str(group.member_count or 0),
                          key=group.id or group.code)
        index = next((i for i, group in enumerate(self.groups) if group.code == keep), 0)
        if self.groups:
            table.move_cursor(row=index, animate=False)
        await self._show_group(self.groups[index] if self.groups else None)
        self.loads += 1
        self.loaded_generation = generation

    async def _show_group(self, group: LocalGroup | None) -> None:
        members = self.members
        members.clear()
        detail = self.query_one("#groups-detail", Static)
        if group is None:
            self.group = None
            detail.update(_("No local groups yet; n adds one."))
            self.refresh_bindings()
            return
        try:
            full = await self.app.server.access.local_group(group.id or group.code)
        except KapkaError as error:
            self.group = group
            detail.update(f"{error.title}: {error.message}")
            self.refresh_bindings()
            return
        self.group = full
        for member in full.members:
            name = member.subsystem_name or member.member_name or ""
            added = member.created_at.strftime("%Y-%m-%d") if member.created_at else ""
            members.add_row(member.id, name, added, key=member.id)
        detail.update(_("{code}: {description} — {n} members. m adds members, x removes the "
                        "highlighted one, d deletes the group.").format(
            code=full.code, description=full.description, n=len(full.members)))
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#groups-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        group = next((g for g in self.groups if (g.id or g.code) == event.row_key.value), None)
        if group is not None and (self.group is None or group.code != self.group.code):
            self.show_group(group)

    @work(exclusive=True, group="groups-member-load", exit_on_error=False)
    async def show_group(self, group: LocalGroup) -> None:
        await self._show_group(group)

    # -- what is possible -------------------------------------------------------------------

    def reason(self, action: str) -> str | None:
        if action not in WRITE_ACTIONS:
            return None
        why = write_reason(self, GROUP_PERMISSIONS)
        if why:
            return why
        if action in ("edit", "add_members", "delete", "remove_member") and self.group is None:
            return _("no group is highlighted")
        if action == "remove_member" and not self.members.row_count:
            return _("the group has no members")
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS:
            return None if self.reason(action) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        return self.reason(action) or super().disabled_reason(action)

    def on_key(self, event: events.Key) -> None:
        explain_disabled_key(self, event)

    # -- actions ----------------------------------------------------------------------------

    def action_new_group(self) -> None:
        self.start("new_group", self._new_group)

    async def _new_group(self) -> str | None:
        answer = await self.app.push_screen_wait(GroupDialog(self.client_id))
        if answer is None:
            return None
        code, description = answer
        group = await self.app.server.access.add_local_group(self.client_id, code, description)
        self.wanted = group.code
        return _("Local group {code} is added. m adds its members.").format(code=group.code)

    def action_edit(self) -> None:
        self.start("edit", self._edit)

    async def _edit(self) -> str | None:
        group = self.group
        assert group is not None
        answer = await self.app.push_screen_wait(GroupDialog(
            self.client_id, code=group.code, description=group.description))
        if answer is None or answer[1] == group.description:
            return None
        await self.app.server.access.describe_local_group(group.id or group.code, answer[1])
        return _("The description of {code} is changed.").format(code=group.code)

    def action_add_members(self) -> None:
        self.start("add_members", self._add_members)

    async def _add_members(self) -> str | None:
        group = self.group
        assert group is not None
        chosen = await self.app.push_screen_wait(CandidatePicker(
            _("Add members to {code}").format(code=group.code), member_search(self.app.server),
            exclude={member.id for member in group.members}, ok_label=_("Add members")))
        if not chosen:
            return None
        await self.app.server.access.add_group_members(group.id or group.code, chosen)
        return ngettext("Added {n} member to {code}.", "Added {n} members to {code}.",
                        len(chosen)).format(n=len(chosen), code=group.code)

    def action_remove_member(self) -> None:
        self.start("remove_member", self._remove_member)

    async def _remove_member(self) -> str | None:
        group = self.group
        assert group is not None
        table = self.members
        member = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        effect = Content.assemble(
            _("Remove "), (member, "bold"), _(" from local group "), (group.code, "bold"), "\n\n",
            _("It loses every access right it has only through this group."))
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Remove member"), effect, confirm_label=_("Remove"))):
            return None
        group_id = group.id or group.code
        with operator_confirmed(self.app, ("POST", f"/local-groups/{path_id(group_id)}/members/delete")):
            await self.app.server.access.remove_group_members(group_id, [member])
        return _("{member} is no longer in {code}.").format(member=member, code=group.code)

    def action_delete(self) -> None:
        self.start("delete", self._delete)

    async def _delete(self) -> str | None:
        group = self.group
        assert group is not None
        group_id = group.id or group.code
        rights = await self.where_used(group_id)
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Delete local group {code}").format(code=group.code),
                Content("\n").join(where_used_lines(group, rights)),
                confirm_label=_("Delete group"), acknowledgement=group.code)):
            return None
        with operator_confirmed(self.app, ("DELETE", f"/local-groups/{path_id(group_id)}")):
            await self.app.server.access.delete_local_group(group_id, group.code)
        return ngettext("Local group {code} is deleted, with its right to {n} service.",
                        "Local group {code} is deleted, with its rights to {n} services.",
                        len(rights)).format(code=group.code, n=len(rights))

    async def where_used(self, group_id: str) -> list[AccessRight]:
        """The access rights the group holds on this client's services."""
        from backend.api.errors import NotFound

        try:
            rights = await self.app.server.access.rights_of(self.client_id, group_id)
        except NotFound:  # a group without rights is not a service client yet
            return []
        return sorted(rights, key=lambda right: right.service_code.lower())

    # -- navigation -------------------------------------------------------------------------

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            show = getattr(self.app, "show_dashboard", None)
            if callable(show):
                show()
