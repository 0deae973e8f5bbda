"""Server calls of the clients and services screens that are more than one client call.

``confirming_warnings`` is the warnings protocol for the typed calls (``clients.add``,
``services.add_description``, …): X-Road's warnings are shown verbatim by the app's
``confirm_warnings`` and the same request is resent with ``ignore_warnings`` only after the operator
agreed. The removal texts say what goes with a client before it is unregistered and deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.content import Content

from backend.api.errors import PermissionDenied, WarningsDetected
from backend.api.service_models import Client
from backend.api.transport import decode
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from screens.clients_rules import member_id_of, status_word

T = TypeVar("T")


class Declined(Exception):
    """The operator declined X-Road's warnings: nothing was changed."""


async def confirming_warnings(app: Any, call: Callable[[], Awaitable[T]], model: type[T] | None,
                              *, ask: Callable[[WarningsDetected], Awaitable[bool]] | None = None
                              ) -> T | None:
    """``call()``; on X-Road's warnings ask (``ask``, else the app's ``confirm_warnings``) and
    resend the same request ignoring them. Raises ``Declined`` when the operator says no."""
    try:
        return await call()
    except WarningsDetected as error:
        if error.request is None:
            raise
        question = ask or app.confirm_warnings
        if not await question(error):
            raise Declined() from error
        response = await app.server.transport.write(error.request.ignoring_warnings())
        return decode(response, model) if model is not None else None


def operator_confirmed(app: Any, method: str, path: str) -> contextlib.AbstractContextManager[Any]:
    """The operator confirmed this write in a dialog that said more: no second, generic one."""
    confirmed = getattr(app, "operator_confirmed", None)
    return confirmed(method, path) if callable(confirmed) else contextlib.nullcontext()


async def removal_impact(server: Any, client: Client) -> list[Content]:
    """What goes with the client: its services (and their rights) and IS TLS certificates."""
    lines: list[Content] = []
    try:
        descriptions = await server.services.descriptions(client.id)
    except PermissionDenied:
        lines.append(Content.styled(_("Its services could not be read (this API key lacks the "
                                      "service administrator role); they go with it."), "italic"))
    except KapkaError as error:
        lines.append(Content.styled(_("Its services could not be read: {error}").format(
            error=error.message), "italic"))
    else:
        services = sum(len(description.services) for description in descriptions)
        if descriptions:
            lines.append(Content.styled(ngettext(
                "{n} service description with {s} services goes with it, and every access right "
                "to them.", "{n} service descriptions with {s} services go with it, and every "
                "access right to them.", len(descriptions)).format(n=len(descriptions),
                                                                  s=services), "bold"))
        else:
            lines.append(Content(_("It publishes no services.")))
    try:
        tls = await server.clients.tls_certificates(client.id)
    except KapkaError:
        tls = []
    if tls:
        lines.append(Content(ngettext("{n} information-system TLS certificate goes with it.",
                                      "{n} information-system TLS certificates go with it.",
                                      len(tls)).format(n=len(tls))))
    lines.append(Content(_("Its access rights to other clients' services and its local group "
                           "memberships on this server go too.")))
    return lines


def unregister_effect(client: Client, impact: list[Content]) -> Content:
    return Content("\n").join([
        Content.assemble(_("Step 1 of 2: Kapka sends a deletion request for "), (client.id, "bold"),
                         _(" to the central server (now {status}).").format(
                             status=status_word(client.status))),
        Content(_("Once it is approved the global configuration no longer lists the client: "
                  "other members can no longer call its services, and it can no longer call "
                  "theirs. The request cannot be withdrawn.")),
        Content(_("Step 2 then deletes it from this server.")), *impact])


def delete_effect(client: Client, impact: list[Content], unregistered: bool) -> Content:
    first = (_("Step 2 of 2: the deletion request is sent. Delete {client} from this server "
               "now?") if unregistered else
             _("Delete {client} ({status}) from this security server?")).format(
        client=client.id, status=status_word(client.status))
    return Content("\n").join([Content.styled(first, "bold"), *impact,
                               Content(_("Adding it again later starts from nothing."))])


async def orphan_lines(server: Any, client: Client) -> list[Content]:
    """The member's keys, certificates and CSRs on the tokens (they sign for nobody now)."""
    member = member_id_of(client)
    lines: list[Content] = []
    try:
        tokens = await server.tokens()
    except KapkaError as error:
        return [Content.styled(_("Which ones could not be read: {error}").format(
            error=error.message), "italic")]
    for token in tokens:
        for key in token.keys:
            certs = [cert for cert in key.certificates if cert.owner_id == member]
            csrs = [csr for csr in key.certificate_signing_requests if csr.owner_id == member]
            if not certs and not csrs:
                continue
            lines.append(Content(_("Key {label} on {token}: {certs}, {csrs}").format(
                label=key.label or key.id, token=token.name,
                certs=ngettext("{n} certificate", "{n} certificates", len(certs)).format(
                    n=len(certs)),
                csrs=ngettext("{n} CSR", "{n} CSRs", len(csrs)).format(n=len(csrs)))))
            for cert in certs:
                details = cert.certificate_details
                lines.append(Content("  " + _("certificate {hash}… {subject}, {status}").format(
                    hash=details.hash[:16], subject=details.subject_common_name,
                    status=cert.status)))
    return lines


def orphans_effect(client: Client, lines: list[Content]) -> Content:
    member = member_id_of(client)
    return Content("\n").join([
        Content.styled(_("{member} has no client on this server any more. Its signing keys, "
                         "certificates and CSRs are left on the token:").format(member=member),
                       "bold"),
        *lines,
        Content(_("Delete them too? Deleted keys cannot be recovered; keep them if the member "
                  "will be added again soon."))])
