"""Local groups of a client and their members, as X-Road's ``LocalGroupService`` keeps them.

A local group belongs to one client; its code is unique within that client
(``local_group_code_already_exists``). Members are members or subsystems that this server or the
global configuration knows (else ``local_group_member_not_found``), each at most once
(``local_group_member_already_exists``). A deleted group takes its access rights with it.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.globalmembers import GlobalView
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


def local_group_not_found(group_id: int) -> SandboxError:
    return SandboxError("local_group_not_found", _("There is no such local group."), status=404,
                        metadata=[str(group_id)])


class LocalGroupStateMixin:
    """Local group operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def require_client(self, encoded: str) -> sqlite3.Row: ...
        def client_row(self, encoded: str) -> sqlite3.Row | None: ...
        def global_view(self) -> GlobalView: ...

    # -- reading ---------------------------------------------------------------------------------

    def local_groups_of(self, client_id: str) -> list[sqlite3.Row]:
        """The groups of a client (by its stored id), by code."""
        with self.lock:
            return self.db.execute(
                "SELECT * FROM local_groups WHERE client_id = ? ORDER BY code, id", (client_id,)
            ).fetchall()

    def group_members(self, group_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
        """The members of these groups (one query), oldest first."""
        found: dict[int, list[sqlite3.Row]] = {group_id: [] for group_id in group_ids}
        if not group_ids:
            return found
        marks = ",".join("?" * len(group_ids))
        with self.lock:
            rows = self.db.execute(
                f"SELECT * FROM local_group_members WHERE group_id IN ({marks}) "
                "ORDER BY added_at, member_id", group_ids).fetchall()
        for row in rows:
            found[row["group_id"]].append(row)
        return found

    def local_group(self, group_id: int) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM local_groups WHERE id = ?",
                                   (group_id,)).fetchone()

    def require_local_group(self, group_id: int) -> sqlite3.Row:
        """The group, or 404 ``local_group_not_found``."""
        row = self.local_group(group_id)
        if row is None:
            raise local_group_not_found(group_id)
        return row

    # -- changes ---------------------------------------------------------------------------------

    def add_local_group(self, encoded: str, code: str, description: str) -> int:
        """A new group of the client; its id."""
        client = self.require_client(encoded)
        now = store_time(utcnow())
        try:
            with self.transaction() as connection:
                cursor = connection.execute(
                    "INSERT INTO local_groups (client_id, code, description, updated_at) "
                    "VALUES (?, ?, ?, ?)", (client["id"], code, description, now))
        except sqlite3.IntegrityError as error:
            raise SandboxError("local_group_code_already_exists",
                               _("The client already has a local group {code}.").format(code=code),
                               status=409, metadata=[code]) from error
        return int(cursor.lastrowid or 0)

    def describe_local_group(self, group_id: int, description: str) -> sqlite3.Row:
        self.require_local_group(group_id)
        with self.transaction() as connection:
            connection.execute(
                "UPDATE local_groups SET description = ?, updated_at = ? WHERE id = ?",
                (description, store_time(utcnow()), group_id))
        return self.require_local_group(group_id)

    def delete_local_group(self, group_id: int) -> None:
        """Delete the group, its members and every access right given to it."""
        group = self.require_local_group(group_id)
        with self.transaction() as connection:
            connection.execute("DELETE FROM access_rights WHERE client_id = ? AND subject_id = ?",
                               (group["client_id"], str(group_id)))
            connection.execute("DELETE FROM local_groups WHERE id = ?", (group_id,))

    def add_group_members(self, group_id: int, member_ids: list[str]) -> None:
        """Add members (encoded member or subsystem ids), all or none."""
        self.require_local_group(group_id)
        view = self.global_view()
        with self.lock:
            existing = {row["member_id"] for row in self.db.execute(
                "SELECT member_id FROM local_group_members WHERE group_id = ?", (group_id,))}
        for member_id in member_ids:
            if not view.lists(member_id) and self.client_row(member_id) is None:
                raise SandboxError("local_group_member_not_found",
                                   _("Neither this server nor the global configuration knows "
                                     "{member}.").format(member=member_id), status=404,
                                   metadata=[member_id])
            if member_id in existing:
                raise SandboxError("local_group_member_already_exists",
                                   _("{member} is already a member of the group.").format(
                                       member=member_id), status=409, metadata=[member_id])
        now = store_time(utcnow())
        with self.transaction() as connection:
            connection.executemany(
                "INSERT INTO local_group_members (group_id, member_id, added_at) VALUES (?, ?, ?)",
                [(group_id, member_id, now) for member_id in member_ids])

    def remove_group_members(self, group_id: int, member_ids: list[str]) -> None:
        """Remove members, all or none: each must be in the group (409
        ``local_group_member_not_found``)."""
        self.require_local_group(group_id)
        with self.lock:
            existing = {row["member_id"] for row in self.db.execute(
                "SELECT member_id FROM local_group_members WHERE group_id = ?", (group_id,))}
        found = existing.intersection(member_ids)
        if not found or len(found) != len(member_ids):
            raise SandboxError("local_group_member_not_found",
                               _("Not every one of them is a member of the group."), status=409,
                               metadata=sorted(set(member_ids) - existing))
        with self.transaction() as connection:
            connection.executemany(
                "DELETE FROM local_group_members WHERE group_id = ? AND member_id = ?",
                [(group_id, member_id) for member_id in found])
