"""Identifiers in rights files: subjects, clients, service codes and REST endpoints.

X-Road tells a subject's kind by its number of ``:`` separators: a subsystem
``INSTANCE:CLASS:CODE:SUBSYSTEM`` (3), a global group ``INSTANCE:CODE`` (1). A member
``INSTANCE:CLASS:CODE`` (2) cannot hold access rights. The API names a local group by its numeric
id; rights files name it by its code, which has no ``:`` — so a subject without ``:`` is a local
group of the client. Each check returns ``None`` when the text is fine, or what is wrong with it.
"""

from __future__ import annotations

import re

from backend.api.service_models import GLOBALGROUP, LOCALGROUP, SUBSYSTEM
from backend.i18n import _

#: HTTP methods of X-Road's REST endpoints (``*`` is any method)
METHODS = ("*", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
#: the endpoint that stands for a whole REST service
BASE_ENDPOINT = "* **"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KIND_ORDER = {SUBSYSTEM: 0, GLOBALGROUP: 1, LOCALGROUP: 2}


def _part_problem(text: str) -> str | None:
    parts = text.split(":")
    if any(part == "" for part in parts):
        return _("“{text}” has an empty part between its “:” separators").format(text=text)
    if _CONTROL.search(text):
        return _("“{text}” contains a control character").format(text=text)
    if any(part != part.strip() for part in parts):
        return _("“{text}” has spaces around a part").format(text=text)
    return None


def subject_kind(text: str) -> str:
    """SUBSYSTEM, GLOBALGROUP or LOCALGROUP, told by the number of ``:``; "" when none fits."""
    return {0: LOCALGROUP, 1: GLOBALGROUP, 3: SUBSYSTEM}.get(text.count(":"), "")


def subject_problem(text: str) -> str | None:
    """What is wrong with a subject as written in a rights file, or None."""
    if not text.strip():
        return _("the subject is empty")
    problem = _part_problem(text)
    if problem:
        return problem
    colons = text.count(":")
    if colons == 2:
        return _("“{text}” is a member (INSTANCE:CLASS:CODE); members cannot hold access rights. "
                 "Give one of its subsystems (INSTANCE:CLASS:CODE:SUBSYSTEM)").format(text=text)
    if colons > 3:
        return _("“{text}” is not a subject: write a subsystem as INSTANCE:CLASS:CODE:SUBSYSTEM, a "
                 "global group as INSTANCE:GROUP, a local group of the client by its code"
                 ).format(text=text)
    return None


def client_problem(text: str) -> str | None:
    """What is wrong with a client id (``INSTANCE:CLASS:CODE[:SUBSYSTEM]``), or None."""
    if not text.strip():
        return _("the client id is empty")
    if text.count(":") not in (2, 3):
        return _("“{text}” is not a client id: write INSTANCE:CLASS:CODE:SUBSYSTEM").format(
            text=text)
    return _part_problem(text)


def service_problem(code: str) -> str | None:
    """What is wrong with a service code (``code`` or ``code.version``), or None."""
    if not code.strip():
        return _("the service code is empty")
    if ":" in code:
        return _("service code “{code}” contains “:”; X-Road service codes cannot (write the code as "
                 "X-Road shows it, e.g. getPerson.v1, without the client id)").format(code=code)
    if _CONTROL.search(code) or code != code.strip():
        return _("service code “{code}” contains spaces around it or a control character").format(
            code=code)
    return None


def split_endpoint(text: str) -> tuple[str, str]:
    """``"GET /persons/{id}"`` → ``("GET", "/persons/{id}")``."""
    method, _sep, path = text.strip().partition(" ")
    return method.upper(), path.strip()


def endpoint_problem(text: str) -> str | None:
    """What is wrong with an endpoint written as ``METHOD path``, or None."""
    method, path = split_endpoint(text)
    if method not in METHODS or not path:
        return _("“{text}” is not an endpoint: write METHOD PATH, e.g. “GET /persons/{{id}}”, with "
                 "METHOD one of {methods}").format(text=text, methods=", ".join(METHODS))
    if f"{method} {path}" == BASE_ENDPOINT:
        return _("“* **” is the whole service: list its subjects under the service, not as an "
                 "endpoint")
    if _CONTROL.search(path) or " " in path:
        return _("endpoint path “{path}” contains a space or a control character").format(path=path)
    return None


def endpoint_key(method: str, path: str) -> str:
    """How a rights file names an endpoint: ``METHOD path``."""
    return f"{method.upper()} {path}"


def subject_sort_key(subject: str) -> tuple[int, str, str]:
    """Subsystems, then global groups, then local groups; alphabetical within each."""
    return _KIND_ORDER.get(subject_kind(subject), 3), subject.casefold(), subject


def endpoint_sort_key(endpoint: str) -> tuple[str, int, str]:
    """The service itself first, then endpoints by path, then by method."""
    if not endpoint:
        return "", -1, ""
    method, path = split_endpoint(endpoint)
    order = METHODS.index(method) if method in METHODS else len(METHODS)
    return path, order, method
