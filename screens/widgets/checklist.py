"""``StatusChecklist``: conditions read from a server, each ✓ or ✗ with why (colour optional)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from backend.i18n import _


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool | None  # None: not known yet
    detail: str = ""


class StatusChecklist(Static):
    """One line per check: "✓ label", "✗ label: detail" or "… label"."""

    DEFAULT_CSS = """
    StatusChecklist { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.checks: list[Check] = []

    def show(self, checks: Iterable[Check]) -> None:
        self.checks = list(checks)
        lines: list[Content] = []
        for check in self.checks:
            if check.ok is None:
                mark, style = "…", "$text-muted"
            elif check.ok:
                mark, style = "✓", "bold $text-success"
            else:
                mark, style = "✗", "bold $text-error"
            parts: list[str | tuple[str, str]] = [(mark, style), " ", check.label]
            if check.detail:
                parts += [("  " + check.detail, "$text-muted" if check.ok else "")]
            lines.append(Content.assemble(*parts))
        self.update(Content("\n").join(lines) if lines else Content(_("Nothing to check.")))

    @property
    def all_ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def plain_text(self) -> str:
        return "\n".join(("✓ " if c.ok else "… " if c.ok is None else "✗ ") + c.label +
                         (f"  {c.detail}" if c.detail else "") for c in self.checks)
