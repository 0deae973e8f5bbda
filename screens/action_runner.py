"""One action at a time, in a worker, for the screens that change the server.

Keys, clients, services and local groups share the same rules: a key whose action is not possible
says why instead of doing nothing; an action runs its dialogs and its change in a worker; the
outcome is one toast; the screen loads again afterwards. Each screen says why an action is not
possible (``reason``) and how to load itself (``load``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work

from backend.api.errors import WriteCancelled
from backend.errors import KapkaError
from backend.i18n import _

#: an action's body: dialogs and changes; returns the message to show when it succeeded
Job = Callable[[], Awaitable[str | None]]


class ActionRunner:
    """Mixed into a screen that has ``reason(action)``, ``load()``, ``busy`` and ``generation``."""

    #: exceptions that mean the operator said no: (exception type, message shown)
    CANCELS: ClassVar[tuple[tuple[type[BaseException], str], ...]] = ()
    #: keys the screen's widgets use first, even when the screen's binding is disabled
    KEYS_FOR_WIDGETS: ClassVar[frozenset[str]] = frozenset()

    busy: bool
    generation: int

    if TYPE_CHECKING:
        def reason(self, action: str) -> str | None: ...
        def load(self) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def disabled_reason(self, action: str) -> str | None: ...
        @property
        def active_bindings(self) -> dict[str, Any]: ...

    def on_key(self, event: events.Key) -> None:
        """A disabled key says why instead of doing nothing."""
        active = self.active_bindings.get(event.key)
        if (event.key in self.KEYS_FOR_WIDGETS or active is None or active.node is not self
                or active.enabled):
            return
        why = self.disabled_reason(active.binding.action)
        if why:
            event.stop()
            event.prevent_default()
            self.notify(why, title=active.binding.description, severity="warning", markup=False)

    def refuse(self, action: str) -> bool:
        """Say why ``action`` is not possible now; ``True`` when it is not."""
        why = self.reason(action)
        if why:
            self.notify(why, title=_("Not possible"), severity="warning", markup=False)
        return bool(why)

    def start(self, action: str, job: Job) -> None:
        if not self.refuse(action):
            self.perform(job)

    def shown_error(self, error: KapkaError) -> KapkaError:
        """The error as the operator sees it (a screen may add what to do)."""
        return error

    @work(group="screen-write", exit_on_error=False)
    async def perform(self, job: Job) -> None:
        """Run one action: its dialogs, its change, its message; then load again."""
        if self.busy:
            self.notify(_("Wait until the current action has finished."), severity="warning")
            return
        self.busy = True
        try:
            message = await job()
        except WriteCancelled:
            self.notify(_("Cancelled; nothing was sent."), title=_("Cancelled"))
        except KapkaError as error:
            shown = self.shown_error(error)
            self.notify(shown.message, title=shown.title, severity="error", timeout=10,
                        markup=False)
        except Exception as error:
            for kind, text in self.CANCELS:
                if isinstance(error, kind):
                    self.notify(_(text), title=_("Cancelled"))
                    break
            else:
                raise
        else:
            if message:
                self.notify(message, markup=False, timeout=8)
        finally:
            self.busy = False
            self.generation += 1
            self.load()
