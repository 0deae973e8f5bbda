"""``PinInput``: a new PIN typed twice without echo, with a meter for the token PIN policy.

X-Road's policy (``enforce-token-pin-policy``): at least 10 printable ASCII characters from at least
3 of 4 classes (lower case, upper case, digits, other symbols). When the server enforces it, a PIN
below it is refused here; otherwise the meter still says how the PIN compares.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static

from backend.i18n import _
from backend.secret import Secret

MIN_LENGTH = 10
MIN_CLASSES = 3
PRINTABLE_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits,
           string.punctuation + " ")


@dataclass(frozen=True)
class PinAssessment:
    length: int
    classes: int
    ascii_only: bool
    matches: bool
    confirmed: bool  # the second entry is not empty
    enforced: bool

    @property
    def meets_policy(self) -> bool:
        return self.ascii_only and self.length >= MIN_LENGTH and self.classes >= MIN_CLASSES

    @property
    def acceptable(self) -> bool:
        return (self.length > 0 and self.ascii_only and self.matches
                and (self.meets_policy or not self.enforced))

    @property
    def problem(self) -> str:
        """Why the PIN cannot be used yet ("" when it can)."""
        if self.length == 0:
            return _("Type the new PIN.")
        if not self.ascii_only:
            return _("Use printable ASCII characters only (no letters with accents, no Cyrillic, "
                     "no tabs): the PIN may have to be typed on other keyboards.")
        if self.enforced and not self.meets_policy:
            return _("The server enforces the token PIN policy: at least {length} characters "
                     "from at least {classes} of: lower case, upper case, digits, "
                     "symbols.").format(length=MIN_LENGTH, classes=MIN_CLASSES)
        if not self.confirmed:
            return _("Type the PIN a second time.")
        if not self.matches:
            return _("The two entries differ.")
        return ""


def assess_pin(pin: str, again: str, *, enforced: bool) -> PinAssessment:
    return PinAssessment(
        length=len(pin),
        classes=sum(any(ch in group for ch in pin) for group in CLASSES),
        ascii_only=all(ch in PRINTABLE_ASCII for ch in pin),
        matches=pin == again,
        confirmed=bool(again),
        enforced=enforced,
    )


def meter(assessment: PinAssessment) -> Content:
    """The policy meter: a bar, then one line per rule with ✓ or ✗ (readable without colour)."""
    score = min(assessment.length, 16) / 16 * 0.6 + assessment.classes / 4 * 0.4
    cells = 0 if not assessment.length else max(1, round(score * 10))
    verdict = (_("meets X-Road's PIN policy") if assessment.meets_policy
               else _("below X-Road's PIN policy"))
    bar_style = "$text-success" if assessment.meets_policy else "$text-warning"

    def rule(ok: bool, text: str) -> Content:
        return Content.assemble(("✓ " if ok else "✗ ", "bold"), text)

    rules = [
        Content.assemble(("▰" * cells, bar_style), ("▱" * (10 - cells), "$text-muted"), " ",
                         (verdict, "bold" if assessment.meets_policy else "")),
        rule(assessment.length >= MIN_LENGTH, _("{n} characters (at least {min})").format(
            n=assessment.length, min=MIN_LENGTH)),
        rule(assessment.classes >= MIN_CLASSES,
             _("{n} of 4 character classes: a-z, A-Z, 0-9, symbols (at least {min})").format(
                 n=assessment.classes, min=MIN_CLASSES)),
        rule(assessment.ascii_only, _("printable ASCII only")),
        rule(assessment.matches and assessment.confirmed, _("both entries match")),
    ]
    if not assessment.enforced:
        rules.append(Content.styled(_("This server does not enforce the policy; following it "
                                      "is still strongly advised."), "italic $text-muted"))
    return Content("\n").join(rules)


class PinInput(Vertical):
    """Two no-echo inputs and the meter; ``pin`` is the PIN once it is acceptable."""

    DEFAULT_CSS = """
    PinInput { height: auto; }
    PinInput Input { width: 40; }
    PinInput #pin-meter { margin-top: 1; height: auto; }
    """

    class Changed(Message):
        def __init__(self, pin_input: PinInput, assessment: PinAssessment) -> None:
            super().__init__()
            self.pin_input = pin_input
            self.assessment = assessment

        @property
        def control(self) -> PinInput:
            return self.pin_input

    def __init__(self, *, enforced: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.enforced = enforced
        self.assessment = assess_pin("", "", enforced=enforced)

    def compose(self) -> ComposeResult:
        yield Label(_("New PIN"))
        yield Input(password=True, id="pin-first", placeholder=_("not shown as you type"))
        yield Label(_("The same PIN again"))
        yield Input(password=True, id="pin-again")
        yield Static(meter(self.assessment), id="pin-meter")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.assessment = assess_pin(self.query_one("#pin-first", Input).value,
                                     self.query_one("#pin-again", Input).value,
                                     enforced=self.enforced)
        self.query_one("#pin-meter", Static).update(meter(self.assessment))
        self.post_message(self.Changed(self, self.assessment))

    @on(Input.Submitted, "#pin-first")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#pin-again", Input).focus()

    @property
    def pin(self) -> Secret | None:
        if not self.assessment.acceptable:
            return None
        return Secret(self.query_one("#pin-first", Input).value)

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
