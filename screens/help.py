"""The help screen: every key binding of the current screen and of the app, with its id."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import actions
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from backend.i18n import _


@dataclass(frozen=True)
class BindingRow:
    scope: str
    key: str
    description: str
    binding_id: str
    state: str  # "" when enabled, else why not


def _state(node: DOMNode, binding: Binding) -> str:
    namespace, name, parameters = actions.parse(binding.action)
    target = node.app if namespace == "app" else node
    reason = getattr(target, "disabled_reason", None)
    if callable(reason):
        why = reason(name)
        if why:
            return _("disabled: {reason}").format(reason=why)
    try:
        allowed = target.check_action(name, parameters)
    except Exception:  # a check that fails is not a reason to hide the help
        allowed = True
    if allowed is False:
        return _("not available here")
    if allowed is None:
        return _("disabled")
    return ""


def _focused_scopes(screen: Screen[object]) -> list[tuple[DOMNode, str]]:
    """Kapka's own widgets from the focused one up to the screen: their keys (a matrix's space,
    ``g``, ``r``) are the screen's keys for the operator. Textual's built-in widgets are left out."""
    scopes: list[tuple[DOMNode, str]] = []
    node: DOMNode | None = screen.focused
    while node is not None and node is not screen:
        if type(node).__module__.startswith("screens.") and node._bindings.key_to_bindings:
            label = getattr(node, "HELP_SCOPE", None)
            scopes.append((node, _(label) if label else type(node).__name__))
        node = node.parent
    return scopes


def binding_rows(app: App[object], screen: Screen[object]) -> list[BindingRow]:
    """The bindings of ``screen`` and of ``app``, with the keymap applied, in declaration order.

    A binding with several keys is one row ("?, f1"); system bindings are left out.
    """
    keymap = getattr(app, "_keymap", {})
    rows: list[BindingRow] = []
    scopes: list[tuple[DOMNode, str]] = [*_focused_scopes(screen),
                                         (screen, screen.title or type(screen).__name__),
                                         (app, _("everywhere"))]
    for node, scope in scopes:
        bindings = node._bindings.copy()
        if keymap:
            bindings.apply_keymap(keymap)
        grouped: dict[tuple[str, str, str], list[Binding]] = {}
        for _key, binding in bindings:
            if binding.system:
                continue
            grouped.setdefault((binding.id or "", binding.action, binding.description), []).append(
                binding)
        for (binding_id, action, description), same in grouped.items():
            rows.append(BindingRow(
                scope=scope,
                key=", ".join(app.get_key_display(b) for b in same),
                description=description or same[0].tooltip or action,
                binding_id=binding_id,
                state=_state(node, same[0]),
            ))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists the keys; escape (or ? again) closes it."""

    BINDINGS = [
        Binding("escape", "close", _("Close"), id="help.close"),
        Binding("question_mark,f1", "close", _("Close"), show=False, id="help.close_again"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100%; max-width: 100; height: 100%; max-height: 40;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-intro { color: $text-muted; margin-bottom: 1; }
    HelpScreen #help-note { text-style: bold; margin-bottom: 1; }
    HelpScreen DataTable { height: 1fr; }
    """

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target
        self.rows: list[BindingRow] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("Keys")
            yield Static(_("Keys of {screen} and of the whole console. Keys can be changed in the "
                          "[keymap] table of the configuration, by id.").format(
                screen=self.target.title or ""), id="help-intro", markup=False)  # wraps
            if self.target.HELP:  # what a screen wants said beyond its keys
                yield Static(self.target.HELP, id="help-note", markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(_("escape closes"), id="help-hint")

    def on_mount(self) -> None:
        self.rows = binding_rows(self.app, self.target)
        table = self.query_one("#help-table", DataTable)
        table.add_columns(_("Key"), _("What it does"), _("Id"), _("State"))
        scope = None
        for row in self.rows:
            if row.scope != scope:
                scope = row.scope
                table.add_row(Text(scope, style="bold underline"), "", "", "")
            table.add_row(Text(row.key, style="bold"), Text(row.description),
                          Text(row.binding_id), Text(row.state, style="italic"))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
