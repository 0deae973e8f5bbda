"""A rights document: for each listed service (or REST endpoint) of a client, who may call it.

A document says nothing about what it does not list: a service left out of a file keeps the rights
it has on the server; a listed service gets exactly the listed subjects (``[]``: nobody). Subjects
are written as in rights files (a local group by its code, see ``subjects``). Everything is
ordered the same way each time, so that two exports of the same rights are the same file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from backend.acl.subjects import endpoint_sort_key, subject_sort_key


@dataclass(frozen=True)
class Where:
    """A place in a rights file (line and column count from 1)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Target:
    """What a right opens: a service of a client (``endpoint`` ""), or one REST endpoint of it."""

    client: str
    service: str  # the full service code, as X-Road shows it (getPerson.v1)
    endpoint: str = ""  # "METHOD path"

    @property
    def sort_key(self) -> tuple[str, str, tuple[str, int, str]]:
        return self.client, self.service.casefold(), endpoint_sort_key(self.endpoint)

    def __str__(self) -> str:
        return f"{self.service} {self.endpoint}" if self.endpoint else self.service


#: finds where a target (and one of its subjects, when given) is written in the file;
#: ``Target(client, "")`` is where the client is named
Locator = Callable[[Target, str | None], Where | None]


def _nowhere(_target: Target, _subject: str | None) -> Where | None:
    return None


@dataclass
class RightsDocument:
    """Listed targets → their subjects; plus, from an export, names to show next to ids."""

    rights: dict[Target, frozenset[str]] = field(default_factory=dict)
    source: str = ""
    #: (client, subject) → the subject's name (a subsystem's or group's), shown in exports
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    #: target → the service's title, shown in exports
    titles: dict[Target, str] = field(default_factory=dict)
    locate: Locator = field(default=_nowhere, repr=False, compare=False)

    def set(self, target: Target, subjects: Iterable[str]) -> None:
        self.rights[target] = frozenset(subjects)

    def clients(self) -> list[str]:
        return sorted({target.client for target in self.rights})

    def targets(self, client: str | None = None) -> list[Target]:
        """The listed targets in file order: by client, service, then endpoint."""
        chosen = (t for t in self.rights if client is None or t.client == client)
        return sorted(chosen, key=lambda t: t.sort_key)

    def subjects(self, target: Target) -> list[str]:
        """The subjects of a target in file order: subsystems, global groups, local groups."""
        return sorted(self.rights.get(target, ()), key=subject_sort_key)

    def items(self) -> Iterator[tuple[Target, list[str]]]:
        for target in self.targets():
            yield target, self.subjects(target)

    def name(self, client: str, subject: str) -> str:
        return self.names.get((client, subject), "")

    def where(self, target: Target, subject: str | None = None) -> Where | None:
        return self.locate(target, subject)

    @property
    def right_count(self) -> int:
        return sum(len(subjects) for subjects in self.rights.values())
