"""API keys, managed with a Linux user's password through ``/api-keys`` (loopback only).

X-Road accepts HTTP Basic credentials (checked by PAM) on this path only from 127.0.0.0/8 and ::1
by default, so these calls work when Kapka runs on the security server itself. The password is
used for the one request and kept nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.api.credentials import BasicAuth, Secret
from backend.api.errors import AuthenticationFailed, PermissionDenied
from backend.api.models import ROLES, ApiKey
from backend.api.transport import ApiTransport, decode
from backend.api.writes import WriteRequest
from backend.i18n import _


def _explain_basic(error: AuthenticationFailed | PermissionDenied, username: str) -> Exception:
    if isinstance(error, AuthenticationFailed):
        message = _(
            "The security server did not accept user {user} and this password. Use a Linux "
            "user on the server that is in the xroad-system-administrator group; HTTP Basic "
            "login on /api-keys works only from the server itself (localhost)."
        ).format(user=username)
    else:
        message = _(
            "User {user} may not manage API keys, or asked for a role it does not hold. A "
            "key can only get roles its creator has; the creator needs the system "
            "administrator role."
        ).format(user=username)
    error.message = message
    error.args = (message,)
    return error


async def create_api_key(
    transport: ApiTransport, username: str, password: Secret, roles: Iterable[str]
) -> tuple[ApiKey, Secret]:
    """Create a key with ``roles``; returns its listing and the plaintext key (shown only once)."""
    wanted = list(roles)
    unknown = [r for r in wanted if r not in ROLES]
    if not wanted or unknown:
        raise ValueError(_("Choose at least one of the X-Road roles: {roles}").format(
            roles=", ".join(ROLES)))
    request = WriteRequest(
        method="POST",
        path="/api-keys",
        summary=_("Create an API key for {user} with roles {roles}").format(
            user=username, roles=", ".join(wanted)),
        json=wanted,
        auth=BasicAuth(username, password),
        audit_details={"user": username, "roles": wanted},
    )
    try:
        response = await transport.write(request)
    except (AuthenticationFailed, PermissionDenied) as exc:
        raise _explain_basic(exc, username) from None
    created = decode(response, ApiKey)
    plaintext = Secret(created.key or "")
    return ApiKey(id=created.id, roles=created.roles), plaintext


async def list_api_keys(transport: ApiTransport, username: str, password: Secret) -> list[ApiKey]:
    try:
        return await transport.get_model(
            "/api-keys", list[ApiKey], auth=BasicAuth(username, password)
        )
    except (AuthenticationFailed, PermissionDenied) as exc:
        raise _explain_basic(exc, username) from None


async def revoke_api_key(
    transport: ApiTransport, key_id: int, username: str, password: Secret
) -> None:
    request = WriteRequest(
        method="DELETE",
        path=f"/api-keys/{int(key_id)}",
        summary=_("Revoke API key {id}").format(id=key_id),
        auth=BasicAuth(username, password),
        audit_details={"user": username, "api_key_id": key_id},
    )
    try:
        await transport.write(request)
    except (AuthenticationFailed, PermissionDenied) as exc:
        raise _explain_basic(exc, username) from None
