"""Staged changes are never dropped without asking.

Reloading (the reload key, Retry), switching to another client and leaving the access-rights
screen (its back key, or an app key that opens another screen or quits) all go through
``DiscardGuard.unless_staged``: with nothing staged it goes on at once; otherwise a confirmation
says how many changes would be lost, with Cancel (keep editing) focused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events

from backend.i18n import _, ngettext
from screens.access.matrix_model import MatrixModel, pending_summary
from screens.widgets.confirm import ConfirmDialog

#: the app's actions that take the operator away from this screen (or out of Kapka); ``access``
#: (another client) asks once the client is chosen (``chooser.open_access``)
LEAVING_ACTIONS = frozenset({"keys", "clients", "archives", "connect_screen", "open_setup",
                             "refresh_dashboard", "quit"})


def discard_effect(model: MatrixModel, doing: str) -> str:
    """What the confirmation says: how many changes, of which kind, and what keeps them."""
    count = len(model.pending)
    return "\n\n".join([
        ngettext("{n} staged change ({summary}) has not been sent to the server. {doing} drops it.",
                 "{n} staged changes ({summary}) have not been sent to the server. {doing} drops "
                 "them.", count).format(n=count, summary=pending_summary(model), doing=doing),
        ngettext("Cancel keeps it staged: p previews and applies it.",
                 "Cancel keeps them staged: p previews and applies them.", count)])


class DiscardGuard:
    """Part of ``AccessRightsScreen``: the one check before staged changes would be lost."""

    app: Any
    model: MatrixModel

    if TYPE_CHECKING:
        def staged(self) -> None: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        @property
        def active_bindings(self) -> dict[str, Any]: ...

    def unless_staged(self, doing: str, then: Callable[[], object]) -> None:
        """Run ``then`` now when nothing is staged; otherwise ask first, and on Discard drop the
        staged changes and run it. ``doing`` names what drops them ("Reloading")."""
        count = len(self.model.pending)
        if not count:
            then()
            return

        def answered(discard: bool | None) -> None:
            if not discard:
                return
            self.model.clear_pending()
            self.staged()
            self.notify(ngettext("Dropped {n} staged change; nothing was sent.",
                                 "Dropped {n} staged changes; nothing was sent.", count).format(
                n=count), markup=False)
            then()

        self.app.push_screen(ConfirmDialog(
            _("Discard staged changes?"), discard_effect(self.model, doing),
            confirm_label=ngettext("Discard {n} change", "Discard {n} changes", count).format(
                n=count)), answered)

    @property
    def has_staged(self) -> bool:
        return bool(self.model.pending)

    def unless_staged_leaving(self, then: Callable[[], object]) -> None:
        """Leaving by other ways than a key (the command palette): asked about as a key is."""
        self.unless_staged(_("Leaving the access rights"), then)

    def leaving_key(self, event: events.Key) -> bool:
        """An app key that would leave the screen while changes are staged: asked about first
        (the key's action runs after Discard). True when the key was held back."""
        if not self.model.pending:
            return False
        active = self.active_bindings.get(event.key)
        if active is None or not active.enabled or active.node is not self.app:
            return False
        action = active.binding.action
        if action not in LEAVING_ACTIONS:
            return False
        event.stop()
        event.prevent_default()
        self.unless_staged(_("Leaving the access rights"),
                           lambda: self.app.call_later(self.app.run_action, action))
        return True
