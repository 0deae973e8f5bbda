"""Rights files in TOML: one ``[[clients]]`` table per client, one table per service.

::

    version = 1

    [[clients]]
    id = "SANDBOX-KG:GOV:70000001:registry"

    [clients.services."getPerson.v1"]  # Get a person
    subjects = [
        "SANDBOX-KG:GOV:70000002:portal",  # Citizen portal
        "admins",  # local group
    ]

    [clients.services.personsApi.endpoints."GET /persons/{id}"]
    subjects = ["SANDBOX-KG:COM:40000001:crm"]

Reading uses ``tomllib`` (fast on files of 150,000 rights) and points at problems with
``tomlpos``; writing is done here, line by line, so that the output is the same every time.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable
from typing import Any

from backend.acl.errors import Problem, RightsFileError
from backend.acl.model import RightsDocument, Target, Where
from backend.acl.subjects import (
    client_problem,
    endpoint_key,
    endpoint_problem,
    service_problem,
    split_endpoint,
    subject_problem,
)
from backend.acl.tomlpos import Path, TomlPositions
from backend.i18n import _

FORMAT_VERSION = 1
TOP_KEYS = ("version", "clients")
CLIENT_KEYS = ("id", "services")
SERVICE_KEYS = ("subjects", "endpoints")
ENDPOINT_KEYS = ("subjects",)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DECODE_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)$")


# -- writing -------------------------------------------------------------------------------------

def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def _comment(text: str) -> str:
    cleaned = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())
    return f"  # {cleaned}" if cleaned else ""


def dump_toml(document: RightsDocument, header: Iterable[str] = ()) -> str:
    """The document as TOML, names and titles as comments; ``header`` lines open the file."""
    lines = [f"# {line}".rstrip() for line in header]
    lines += [f"version = {FORMAT_VERSION}"]
    for client in document.clients():
        lines += ["", "[[clients]]", f"id = {toml_string(client)}"]
        for target in document.targets(client):
            path = f"clients.services.{toml_key(target.service)}"
            if target.endpoint:
                path += f".endpoints.{toml_key(target.endpoint)}"
            lines += ["", f"[{path}]{_comment(document.titles.get(target, ''))}"]
            subjects = document.subjects(target)
            if not subjects:
                lines.append("subjects = []")
                continue
            lines.append("subjects = [")
            lines += [f"    {toml_string(subject)},{_comment(document.name(client, subject))}"
                      for subject in subjects]
            lines.append("]")
    return "\n".join(lines) + "\n"


# -- reading -------------------------------------------------------------------------------------

class _Reader:
    """Checks the decoded file and collects every problem, each with its path in the file."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.issues: list[tuple[str, Path, bool]] = []  # message, path, point at the value
        self.document = RightsDocument(source=source)
        self.paths: dict[tuple[Target, str | None], Path] = {}
        self.indexes: dict[Target, dict[str, int]] = {}  # each subject's place in its list
        self._positions: TomlPositions | None = None
        self._subject_problems: dict[str, str | None] = {}

    def issue(self, message: str, path: Path, *, value: bool = False) -> None:
        self.issues.append((message, path, value))

    def where(self, path: Path, *, value: bool = False) -> Where | None:
        if self._positions is None:
            self._positions = TomlPositions(self.text)
        found = self._positions.find(path, value=value)
        return Where(self.source, *found) if found else Where(self.source, 1, 1)

    def place(self, path: Path) -> str:
        """"line 12, column 5" of a value, for messages about a second occurrence."""
        where = self.where(path, value=True)
        assert where is not None
        return _("line {line}, column {column}").format(line=where.line, column=where.column)

    def locate(self, target: Target, subject: str | None) -> Where | None:
        path = self.paths.get((target, None))
        index = self.indexes.get(target, {}).get(subject) if subject is not None else None
        if path is not None and index is not None:
            return self.where((*self.paths[(target, "")], index), value=True)
        value = subject is not None or not target.service  # a subject, or the client's id
        return self.where(path, value=value) if path else None

    def unknown_keys(self, table: dict[str, Any], allowed: tuple[str, ...], path: Path) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            if close:
                message = _("unknown key “{key}” — did you mean “{close}”?").format(
                    key=key, close=close[0])
            else:
                message = _("unknown key “{key}” (allowed here: {allowed})").format(
                    key=key, allowed=", ".join(allowed))
            self.issue(message, (*path, key))

    def table(self, value: Any, path: Path, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.issue(_("{what} must be a table").format(what=what), path, value=True)
        return None

    def read(self, data: dict[str, Any]) -> None:
        self.unknown_keys(data, TOP_KEYS, ())
        version = data.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            self.issue(_("version must be a number: version = {known}").format(
                known=FORMAT_VERSION), ("version",), value=True)
        elif version != FORMAT_VERSION:
            self.issue(_("this file is version {found}; Kapka reads version {known}").format(
                found=version, known=FORMAT_VERSION), ("version",), value=True)
        clients = data.get("clients", [])
        if not isinstance(clients, list):
            self.issue(_("“clients” must be a list of [[clients]] tables"), ("clients",), value=True)
            return
        seen: dict[str, Path] = {}
        for index, entry in enumerate(clients):
            path: Path = ("clients", index)
            table = self.table(entry, path, _("a [[clients]] entry"))
            if table is not None:
                self.client(table, path, seen)

    def client(self, table: dict[str, Any], path: Path, seen: dict[str, Path]) -> None:
        self.unknown_keys(table, CLIENT_KEYS, path)
        client = table.get("id")
        if not isinstance(client, str):
            self.issue(_("this [[clients]] table needs an id = \"INSTANCE:CLASS:CODE:SUBSYSTEM\""),
                       (*path, "id") if "id" in table else path, value=True)
            return
        problem = client_problem(client)
        if problem:
            self.issue(problem, (*path, "id"), value=True)
            return
        if client in seen:
            self.issue(_("client {client} is listed twice (first at {place})").format(
                client=client, place=self.place(seen[client])), (*path, "id"), value=True)
            return
        seen[client] = (*path, "id")
        self.paths[(Target(client, ""), None)] = (*path, "id")
        services = self.table(table.get("services", {}), (*path, "services"), "services")
        for code, value in (services or {}).items():
            self.service(client, code, value, (*path, "services", code))

    def service(self, client: str, code: str, value: Any, path: Path) -> None:
        problem = service_problem(code)
        if problem:
            self.issue(problem, path)
            return
        table = self.table(value, path, _("service {code}").format(code=code))
        if table is None:
            return
        self.unknown_keys(table, SERVICE_KEYS, path)
        self.paths[(Target(client, code), None)] = path
        if "subjects" in table:
            self.subjects(Target(client, code), table["subjects"], (*path, "subjects"))
        endpoints = self.table(table.get("endpoints", {}), (*path, "endpoints"), "endpoints")
        for key, entry in (endpoints or {}).items():
            self.endpoint(client, code, key, entry, (*path, "endpoints", key))

    def endpoint(self, client: str, code: str, key: str, value: Any, path: Path) -> None:
        problem = endpoint_problem(key)
        if problem:
            self.issue(problem, path)
            return
        table = self.table(value, path, _("endpoint {key}").format(key=key))
        if table is None:
            return
        self.unknown_keys(table, ENDPOINT_KEYS, path)
        if "subjects" not in table:
            self.issue(_("endpoint “{key}” needs a subjects = [...] list").format(key=key), path)
            return
        target = Target(client, code, endpoint_key(*split_endpoint(key)))
        if target in self.document.rights:
            self.issue(_("endpoint “{key}” is listed twice").format(key=key), path)
            return
        self.paths[(target, None)] = path
        self.subjects(target, table["subjects"], (*path, "subjects"))

    def subjects(self, target: Target, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.issue(_("subjects must be a list of strings, e.g. subjects = [\"INST:CLASS:CODE:SUB\"]"),
                       path, value=True)
            return
        self.paths.setdefault((target, None), path)
        self.paths[(target, "")] = path  # the list itself
        found: dict[str, int] = {}
        checked = self._subject_problems
        for index, subject in enumerate(value):
            if not isinstance(subject, str):
                self.issue(_("a subject must be a string in quotes"), (*path, index), value=True)
                continue
            if subject not in checked:
                checked[subject] = subject_problem(subject)
            problem = checked[subject]
            if problem:
                self.issue(problem, (*path, index), value=True)
                continue
            if subject in found:
                self.issue(_("subject {subject} is listed twice for {target} (first at {place})"
                             ).format(subject=subject, target=target,
                                      place=self.place((*path, found[subject]))),
                           (*path, index), value=True)
                continue
            found[subject] = index
        self.indexes[target] = found
        self.document.set(target, found)


def parse_toml(text: str, source: str = "rights.toml") -> RightsDocument:
    """Read a TOML rights file; every problem in it is raised together as ``RightsFileError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RightsFileError([_decode_problem(exc, text, source)]) from exc
    reader = _Reader(text, source)
    reader.read(data)
    if reader.issues:
        raise RightsFileError(_sorted_problems(reader, reader.issues))
    reader.document.locate = reader.locate
    return reader.document


def _sorted_problems(reader: _Reader, issues: list[tuple[str, Path, bool]]) -> list[Problem]:
    problems = [Problem(message, reader.where(path, value=value)) for message, path, value in issues]
    return sorted(problems, key=_place)


def _place(problem: Problem) -> tuple[int, int]:
    return (problem.where.line, problem.where.column) if problem.where else (0, 0)


def _decode_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> Problem:
    message = str(exc)
    match = _DECODE_PLACE.search(message)
    if match:
        where = Where(source, int(match.group(1)), int(match.group(2)))
        message = message[:match.start()].rstrip()
    else:  # "(at end of document)"
        lines = text.splitlines() or [""]
        where = Where(source, len(lines), len(lines[-1]) + 1)
        message = re.sub(r"\s*\(at end of document\)$", "", message)
    return Problem(_("not valid TOML: {error}").format(error=message), where)
