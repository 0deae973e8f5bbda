"""Radio buttons and checkboxes whose state reads without colour: ( )/(•) and [ ]/[x]."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, RadioButton, RadioSet


def bracketed(label: str) -> Content:
    """A compact button's label as "[ Label ]", so it reads as a button without colour."""
    return Content(f"[ {label} ]")


def cursor_to_pressed(radio_set: RadioSet) -> None:
    """Put the keyboard cursor of ``radio_set`` on the chosen button (Textual starts at the first)."""
    for _ in range(max(radio_set.pressed_index, 0)):
        radio_set.action_next_button()


class Choice(RadioButton):
    """A radio button drawn as "(•)" when chosen and "( )" when not (NO_COLOR terminals too)."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("(", ("•" if self.value else " ", style), ")")


class Tick(Checkbox):
    """A checkbox drawn as "[x]" when ticked and "[ ]" when not (NO_COLOR terminals too)."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("[", ("x" if self.value else " ", style), "]")


class Checklist(Vertical):
    """A column of ``Tick`` boxes, one per value; ``selected`` lists the ticked values in order."""

    DEFAULT_CSS = """
    Checklist { height: auto; }
    """

    def __init__(self, options: Iterable[tuple[str, str, bool]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = list(options)  # (label, value, ticked)

    def compose(self) -> ComposeResult:
        for label, value, ticked in self.options:
            yield Tick(label, ticked, compact=True, name=value)

    @property
    def selected(self) -> list[str]:
        return [tick.name or "" for tick in self.query(Tick) if tick.value]
