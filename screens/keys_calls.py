"""The server calls and files behind the keys screen's actions that are not one client call."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from backend.api.clients import ClientSearch
from backend.api.errors import NotFound, PermissionDenied
from backend.errors import KapkaError
from backend.i18n import _
from screens.keys_render import ClientsUsing


def operator_confirmed(app: Any, method: str, path: str) -> contextlib.AbstractContextManager[Any]:
    """The operator confirmed this write in a dialog that said more: no second, generic one."""
    confirmed = getattr(app, "operator_confirmed", None)
    return confirmed(method, path) if callable(confirmed) else contextlib.nullcontext()


async def clients_using(server: Any, member_id: str) -> ClientsUsing:
    """The member's clients on this server (they sign with the member's certificates)."""
    parts = member_id.split(":")
    if len(parts) != 3:
        return ClientsUsing(member_id, problem=_("{id} is not a member id").format(id=member_id))
    search = ClientSearch(instance=parts[0], member_class=parts[1], member_code=parts[2],
                          show_members=True, internal_search=True)
    try:
        found = await server.clients.list(search)
    except PermissionDenied:
        return ClientsUsing(member_id, problem=_("this API key may not list clients"))
    except NotFound:
        return ClientsUsing(member_id, problem=_("the server does not answer GET /clients"))
    except KapkaError as error:
        return ClientsUsing(member_id, problem=error.message)
    ids = sorted({client.id for client in found
                  if client.id == member_id or client.id.startswith(member_id + ":")})
    return ClientsUsing(member_id, tuple(ids))


def unique_path(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name-1``… when that file exists (nothing is overwritten)."""
    target = directory / name
    stem, suffix = target.stem, target.suffix
    counter = 1
    while target.exists():
        target = directory / f"{stem}-{counter}{suffix}"
        counter += 1
    return target


def write_new(directory: Path, name: str, content: bytes) -> Path:
    """Write a new file (never over an existing one); its path. Blocks: call it in a thread."""
    path = unique_path(directory, name)
    with path.open("xb") as handle:
        handle.write(content)
    return path
