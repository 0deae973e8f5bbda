"""The keys and certificates screen: tokens → keys → certificates and CSRs, and what to do with them.

Every action follows the selected object's ``possible_actions`` and the caller's permissions
(``GET /user``); a disabled action is dimmed and says why, in the detail panel, in the help screen
and when its key is pressed. The actions themselves are in ``screens/keys_actions.py``.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree

from backend.api.models import Token
from backend.errors import KapkaError
from backend.i18n import _
from screens.base import KapkaScreen, describe_exception, is_read_only
from screens.keys_actions import KeysActions
from screens.keys_render import action_lines, detail_lines, label_for
from screens.keys_rules import WRITE_ACTIONS, Selection, action_reason, selections
from screens.renew_state import Renewal, renewals_in_progress
from screens.widgets.error_panel import ErrorPanel

#: the screen's actions that follow the selection (the others are always possible)
SELECTION_ACTIONS = frozenset({*WRITE_ACTIONS, "download", "renew"})


class KeysScreen(KeysActions, KapkaScreen):
    """Tokens, keys, certificates and CSRs of the connected security server."""

    SCREEN_TITLE = _("Keys and certificates")
    DANGEROUS_ACTIONS = WRITE_ACTIONS

    BINDINGS = [
        Binding("r", "refresh", _("Refresh"), id="keys.refresh",
                tooltip=_("Load the tokens again from the server")),
        Binding("R", "renew", _("Renew"), id="keys.renew",
                tooltip=_("The guided renewal of the selected certificate")),
        Binding("e", "expiry", _("Expiry"), id="keys.expiry",
                tooltip=_("Every certificate by days left")),
        Binding("d,delete", "delete", _("Delete"), id="keys.delete",
                tooltip=_("Delete the selected key, certificate or CSR")),
        Binding("l", "login", _("Log in"), show=False, id="keys.login"),
        Binding("L", "logout", _("Log out"), show=False, id="keys.logout"),
        Binding("p", "change_pin", _("Change PIN"), show=False, id="keys.change_pin"),
        Binding("n", "generate", _("New key and CSR"), show=False, id="keys.generate"),
        Binding("N", "new_csr", _("New CSR for key"), show=False, id="keys.new_csr"),
        Binding("s", "download", _("Save CSR"), show=False, id="keys.download"),
        Binding("i", "import_cert", _("Import cert"), show=False, id="keys.import"),
        Binding("a", "activate", _("Activate"), show=False, id="keys.activate"),
        Binding("A", "disable", _("Disable"), show=False, id="keys.disable"),
        Binding("g", "register", _("Register"), show=False, id="keys.register"),
        Binding("G", "unregister", _("Unregister"), show=False, id="keys.unregister"),
        Binding("escape", "back", _("Back"), show=False, id="keys.back"),
    ]

    DEFAULT_CSS = """
    KeysScreen #keys-body { height: 1fr; }
    KeysScreen #keys-tree { height: 1fr; min-height: 5; border: round $primary 50%; }
    KeysScreen #keys-tree:focus { border: round $accent; }
    KeysScreen #keys-detail { height: 10; border: round $primary 30%; padding: 0 1; }
    KeysScreen #keys-actions { margin-bottom: 1; }
    """

    def __init__(self, *, select: str | None = None) -> None:
        super().__init__()
        self.tokens: list[Token] = []
        self.permissions: frozenset[str] | None = None
        self.renewals: dict[str, Renewal] = {}
        self.selection: Selection | None = None
        self.wanted = f"cert:{select.upper()}" if select else None
        self.loads = 0
        self.busy = False
        self._objects: dict[str, Selection] = {}
        self._collapsed: set[str] = set()
        self._reload_on_resume = False
        self.generation = 0  # actions finished (see KeysActions.perform)
        self.loaded_generation = 0  # the generation the tree shows

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="keys-body"):
            yield ErrorPanel(id="keys-error")
            tree: Tree[str] = Tree(_("Tokens"), id="keys-tree")
            tree.show_root = False
            tree.border_title = _("Tokens, keys, certificates")
            yield tree
            with VerticalScroll(id="keys-detail") as detail:
                detail.border_title = _("Selected: keys and facts")
                yield Static("", id="keys-actions")
                yield Static(_("Loading…"), id="keys-facts")
        yield from self.compose_footer()

    @property
    def tree(self) -> Tree[str]:
        return self.query_one("#keys-tree", Tree)

    @property
    def error_panel(self) -> ErrorPanel:
        return self.query_one("#keys-error", ErrorPanel)

    def on_mount(self) -> None:
        self.tree.focus()
        self.load()

    # -- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="keys-load", exit_on_error=False)
    async def load(self) -> None:
        server = getattr(self.app, "server", None)
        if server is None:
            self.error_panel.show_error(title=_("Not connected"), message=_(
                "Kapka is not connected to a security server. Press c to connect."))
            return
        generation = self.generation
        self.tree.loading = True
        try:
            tokens = await server.tokens()
            self.permissions = await self._permissions(server)
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            self.error_panel.show_error(title=title, message=message,
                                        hint=_("Press r (or Retry) to try again."))
            return
        finally:
            self.tree.loading = False
        self.error_panel.clear()
        self.tokens = tokens
        self.renewals = renewals_in_progress(tokens)
        self._fill()
        self.loads += 1
        self.loaded_generation = generation

    async def _permissions(self, server: Any) -> frozenset[str] | None:
        identity = getattr(self.app, "identity", None)
        if identity is not None:
            return frozenset(identity.user.permissions)
        try:
            return frozenset((await server.user()).permissions)
        except KapkaError:
            return None  # not known: the server decides, and says so

    def _fill(self) -> None:
        tree = self.tree
        keep = self.wanted or (self.selection.ident if self.selection else None)
        self.wanted = None
        tree.clear()
        self._objects = {sel.ident: sel for sel in selections(self.tokens)}
        nodes: dict[str, Any] = {}
        for sel in self._objects.values():
            label = label_for(sel, self.renewals)
            expand = sel.ident not in self._collapsed
            if sel.kind == "token":
                nodes[sel.ident] = tree.root.add(label, data=sel.ident, expand=expand)
            elif sel.kind == "key":
                parent = nodes[f"token:{sel.token.id}"]
                nodes[sel.ident] = parent.add(label, data=sel.ident, expand=expand,
                                              allow_expand=bool(sel.key and (
                                                  sel.key.certificates
                                                  or sel.key.certificate_signing_requests)))
            else:
                assert sel.key is not None
                nodes[f"key:{sel.key.id}"].add_leaf(label, data=sel.ident)
        if not self.tokens:
            self._show(None)
            return
        line = next((found for ident in self._keep_candidates(keep)
                     if (found := self._line_of(ident)) is not None), None)
        tree.move_cursor_to_line(line if line is not None else 0)
        self._show(self._objects.get(self._node_ident(tree.cursor_line)))

    def _keep_candidates(self, keep: str | None) -> list[str]:
        """Where the cursor goes after a load: the object, else what held it (it was deleted)."""
        candidates = [keep] if keep else []
        sel = self.selection
        if sel is not None:
            if sel.key is not None and sel.kind != "key":
                candidates.append(f"key:{sel.key.id}")
            candidates.append(f"token:{sel.token.id}")
        return candidates

    def _node_ident(self, line: int) -> str | None:
        node = self.tree.get_node_at_line(line) if line >= 0 else None
        return node.data if node is not None else None

    def _line_of(self, ident: str) -> int | None:
        tree = self.tree
        for line in range(tree.last_line + 1):
            if self._node_ident(line) == ident:
                return line
        return None

    def select(self, ident: str) -> bool:
        """Move the cursor to an object (``cert:HASH``, ``key:ID``…); False if it is not shown."""
        line = self._line_of(ident)
        if line is None:
            return False
        self.tree.move_cursor_to_line(line)
        self._show(self._objects.get(ident))
        return True

    # -- the selection ----------------------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#keys-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node is self.tree.cursor_node and event.node.data in self._objects:
            self._show(self._objects[event.node.data])

    @on(Tree.NodeCollapsed, "#keys-tree")
    def _collapsed_node(self, event: Tree.NodeCollapsed[str]) -> None:
        self._collapsed.add(event.node.data or "")

    @on(Tree.NodeExpanded, "#keys-tree")
    def _expanded_node(self, event: Tree.NodeExpanded[str]) -> None:
        self._collapsed.discard(event.node.data or "")

    def _show(self, sel: Selection | None) -> None:
        self.selection = sel
        facts = self.query_one("#keys-facts", Static)
        actions = self.query_one("#keys-actions", Static)
        if sel is None:
            facts.update(_("No tokens.") if self.loads or self.tokens else _("Loading…"))
            actions.update("")
        else:
            cert_hash = sel.cert.certificate_details.hash if sel.cert else ""
            facts.update(Content("\n").join(detail_lines(sel, self.renewals.get(cert_hash))))
            lines = action_lines(sel, self.describe_action)
            actions.update(Content("\n").join(lines) if lines else "")
        self.refresh_bindings()

    def reason(self, action: str) -> str | None:
        """Why ``action`` is disabled now (None: it is enabled)."""
        if action not in SELECTION_ACTIONS and action != "import_cert":
            return None
        return action_reason(action, self.selection, permissions=self.permissions,
                             read_only=is_read_only(self))

    def describe_action(self, action: str) -> tuple[str, str, str | None]:
        """(key, description, reason) of an action, with the keymap applied."""
        key, description = self._action_keys().get(action, ("", ""))
        return key, description, self.reason(action) if key else None

    def _action_keys(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for active in self.active_bindings.values():
            if active.node is self:
                found.setdefault(active.binding.action, (
                    self.app.get_key_display(active.binding), active.binding.description))
        return found

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SELECTION_ACTIONS or action == "import_cert":
            return None if self.reason(action) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        return self.reason(action) or super().disabled_reason(action)

    # -- navigation -------------------------------------------------------------------------------

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            show = getattr(self.app, "show_dashboard", None)
            if callable(show):
                show()

    def action_expiry(self) -> None:
        from screens.expiry import ExpiryScreen

        self._reload_on_resume = True
        self.app.push_screen(ExpiryScreen())

    def action_renew(self) -> None:
        if self.refuse("renew"):
            return
        from screens.renew import RenewScreen

        assert self.selection is not None and self.selection.cert is not None
        self._reload_on_resume = True
        self.app.push_screen(RenewScreen(self.selection.cert.certificate_details.hash))

    def on_screen_resume(self) -> None:
        if self._reload_on_resume:  # back from the renewal or the expiry overview
            self._reload_on_resume = False
            self.load()
