"""One change of an access right, and one call to the server that makes several of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.acl.model import Target
from backend.acl.subjects import subject_sort_key
from backend.i18n import _, ngettext

Action = Literal["grant", "revoke"]
GRANT: Action = "grant"
REVOKE: Action = "revoke"
#: how a call names what it changes: one subject's services, one service's or endpoint's subjects
By = Literal["subject", "service", "endpoint"]


@dataclass(frozen=True)
class Change:
    """Grant or revoke one subject's right to one service (or REST endpoint) of a client."""

    action: Action
    target: Target
    subject: str  # as rights files write it (a local group by its code)
    subject_id: str  # as the admin API names it (a local group by its number)
    service_id: str  # "<client id>:<full service code>", for the by-service call
    rights_code: str  # the service code without version: what X-Road keeps rights on
    endpoint_id: str | None = None  # set for a right on one REST endpoint
    name: str = ""  # the subject's name, for people
    #: may go in a by-subject call. Not a revocation on a service with REST endpoints: X-Road's
    #: by-subject revocation takes the subject's rights on those endpoints away as well
    by_subject: bool = True

    @property
    def sort_key(self) -> tuple[object, ...]:
        return (self.target.sort_key, self.action != GRANT, subject_sort_key(self.subject))

    @property
    def sign(self) -> str:
        return "+" if self.action == GRANT else "-"

    def describe(self) -> str:
        """"grant X access to getPerson.v1"."""
        text = (_("grant {subject} access to {target}") if self.action == GRANT
                else _("revoke the access of {subject} to {target}"))
        return text.format(subject=self.subject, target=self.target)


@dataclass(frozen=True)
class Call:
    """One batch call: all or nothing on the server."""

    action: Action
    by: By
    client: str
    key: str  # the subject id, the service id or the endpoint id the call is made on
    changes: tuple[Change, ...]

    @property
    def size(self) -> int:
        return len(self.changes)

    def describe(self) -> str:
        first = self.changes[0]
        n = len(self.changes)
        if self.by == "subject":
            if self.action == GRANT:
                text = ngettext("grant {subject} access to {n} service",
                                "grant {subject} access to {n} services", n)
            else:
                text = ngettext("revoke the access of {subject} to {n} service",
                                "revoke the access of {subject} to {n} services", n)
            return text.format(subject=first.subject, n=n)
        if self.action == GRANT:
            text = ngettext("grant {n} subject access to {target}",
                            "grant {n} subjects access to {target}", n)
        else:
            text = ngettext("revoke the access of {n} subject to {target}",
                            "revoke the access of {n} subjects to {target}", n)
        return text.format(n=n, target=first.target)
