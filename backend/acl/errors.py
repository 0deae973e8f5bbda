"""Errors of rights files and plans: every problem at once, each with its place in the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backend.acl.model import Where
from backend.errors import KapkaError
from backend.i18n import _, ngettext

#: how many problems a message lists before "… and N more"
SHOWN_PROBLEMS = 20
EXIT_USAGE = 2  # the command line's "usage or configuration error"
EXIT_REFUSED = 3  # the command line's "refused: a check failed"


@dataclass(frozen=True)
class Problem:
    message: str
    where: Where | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def problems_text(problems: Sequence[Problem]) -> str:
    lines = [str(problem) for problem in problems[:SHOWN_PROBLEMS]]
    hidden = len(problems) - SHOWN_PROBLEMS
    if hidden > 0:
        lines.append(ngettext("… and {n} more problem", "… and {n} more problems", hidden).format(
            n=hidden))
    return "\n".join(lines)


class ProblemsError(KapkaError):
    """Several problems found together; ``file``, ``line``, ``column`` are the first one's place."""

    def __init__(self, problems: Sequence[Problem], title: str) -> None:
        self.problems = list(problems)
        first = self.problems[0].where if self.problems else None
        self.file = first.file if first else None
        self.line = first.line if first else None
        self.column = first.column if first else None
        super().__init__(problems_text(self.problems), title)


class RightsFileError(ProblemsError):
    """A rights file that cannot be read as written; nothing was sent to the server."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems, ngettext("Error in the rights file", "Errors in the rights file",
                                            len(problems)))


class PlanInvalid(ProblemsError):
    """The wanted rights do not fit the server (unknown service, subject…); nothing was sent."""

    exit_code = EXIT_REFUSED

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems, _("The plan does not fit the server; nothing was changed"))
