"""``FingerprintPanel``: a server certificate's SHA-256 fingerprint, large, for comparing by eye."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Static

from backend.i18n import _
from screens.widgets.choices import Tick


def fingerprint_lines(fingerprint: str) -> list[str]:
    """The 32 pairs in four lines of eight, written as openssl writes them (AB:CD:…)."""
    pairs = fingerprint.split(":")
    return [":".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8)]


class FingerprintPanel(Vertical):
    """Shows a probed certificate and asks the operator to confirm it matches the server's."""

    DEFAULT_CSS = """
    FingerprintPanel { height: auto; display: none; }
    FingerprintPanel.-shown { display: block; }
    FingerprintPanel #fingerprint {
        border: double $accent; padding: 0 2; width: auto; height: auto;
        text-style: bold; color: $text-accent;
    }
    FingerprintPanel #fingerprint-warning { display: none; color: $text-error; text-style: bold; }
    FingerprintPanel #fingerprint-warning.-shown { display: block; }
    FingerprintPanel #certificate-details { height: auto; margin: 1 0 0 0; }
    FingerprintPanel #compare-command { color: $text-muted; margin-bottom: 1; }
    """

    def __init__(self, compare_command: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compare_command = compare_command
        self.certificate: Any = None  # backend.api.trust.ServerCertificate

    def compose(self) -> ComposeResult:
        yield Static("", id="fingerprint-warning", markup=False)
        yield Static("", id="fingerprint", markup=False)
        yield Static("", id="certificate-details")
        yield Static("", id="compare-command", markup=False)
        yield Tick(_("I compared it: this is the fingerprint the server shows"),
                   id="fingerprint-confirmed", compact=True)

    def show(self, certificate: Any, *, pinned: str | None = None) -> None:
        """Show ``certificate``; ``pinned`` is the fingerprint the profile trusted until now."""
        self.certificate = certificate
        box = self.query_one("#fingerprint", Static)
        box.update("\n".join(fingerprint_lines(certificate.fingerprint)))
        box.border_title = _("SHA-256 fingerprint")
        details = Content("\n").join([
            Content.assemble((_("Subject") + "  ", "$text-muted"), certificate.subject),
            Content.assemble((_("Issuer") + "   ", "$text-muted"), certificate.issuer),
            Content.assemble((_("Valid") + "    ", "$text-muted"),
                             _("{start} to {end}").format(
                                 start=certificate.not_before.strftime("%Y-%m-%d"),
                                 end=certificate.not_after.strftime("%Y-%m-%d"))),
        ])
        self.query_one("#certificate-details", Static).update(details)
        self.query_one("#compare-command", Static).update(
            _("Compare it on the server with:\n  {command}").format(command=self.compare_command))
        warning = self.query_one("#fingerprint-warning", Static)
        changed = pinned is not None and pinned != certificate.fingerprint
        warning.update(_("This is NOT the certificate this profile pinned ({pinned}). Trust it "
                         "only if the server's certificate was renewed on purpose.").format(
            pinned=pinned) if changed else "")
        warning.set_class(changed, "-shown")
        self.query_one("#fingerprint-confirmed", Checkbox).value = False
        self.add_class("-shown")

    def reset(self) -> None:
        self.certificate = None
        self.query_one("#fingerprint-confirmed", Checkbox).value = False
        self.remove_class("-shown")

    @property
    def confirmed(self) -> bool:
        return self.certificate is not None and self.query_one("#fingerprint-confirmed",
                                                               Checkbox).value
