"""A tree's shape across a reload: which nodes were open or closed, and which node had the cursor.

Screens that rebuild a ``Tree`` from fresh data (clients, services) key every node by an identity
in ``node.data`` (``service:ID``, a client id…). ``TreeState.reset`` remembers the shape and empties
the tree; the screen adds the new nodes with ``expand=state.is_expanded(ident)``; ``restore`` puts
the cursor back on the same node, whatever row it is on now. Nodes that are gone are simply gone:
the cursor then goes to the nearest ancestor that is still there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

Node = TreeNode[Any]


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (not itself), depth first, open or not."""
    for child in node.children:
        yield child
        yield from walk(child)


def find_node(tree: Tree[Any], ident: str) -> Node | None:
    """The node whose data is ``ident``, shown or hidden under a closed parent."""
    return next((node for node in walk(tree.root) if node.data == ident), None)


def reveal(tree: Tree[Any], node: Node) -> None:
    """Open the parents of ``node`` and put the cursor on it (scrolled into view)."""
    parent = node.parent
    while parent is not None and parent is not tree.root:
        if not parent.is_expanded:
            parent.expand()
        parent = parent.parent
    tree.last_line  # noqa: B018 - lays the lines out, so that the node knows its line
    tree.move_cursor(node)


@dataclass
class TreeState:
    """What the operator made of a tree: nodes open or closed, the cursor, the scroll offset."""

    expanded: dict[Any, bool] = field(default_factory=dict)
    #: the cursor's node, then its parent, its grandparent…
    cursor: tuple[Any, ...] = ()
    scroll_y: float = 0.0

    @classmethod
    def of(cls, tree: Tree[Any]) -> TreeState:
        expanded = {node.data: node.is_expanded for node in walk(tree.root)
                    if node.data is not None and node.allow_expand}
        chain: list[Any] = []
        node = tree.cursor_node
        while node is not None and node is not tree.root:
            chain.append(node.data)
            node = node.parent
        return cls(expanded, tuple(chain), tree.scroll_y)

    @classmethod
    def reset(cls, tree: Tree[Any]) -> TreeState:
        """Remember the tree's state, then empty it (with no cursor, so none is left on a node
        of the old tree)."""
        state = cls.of(tree)
        tree.clear()
        tree.move_cursor(None)
        return state

    def is_expanded(self, ident: Any, default: bool = True) -> bool:
        """Whether a node is open: as the operator left it, or ``default`` for a new one."""
        return self.expanded.get(ident, default)

    def restore(self, tree: Tree[Any], wanted: Any = None) -> Node | None:
        """The cursor on ``wanted`` (its parents opened: something an action just made), else
        on the node it was on, else on its nearest ancestor still there, else on the first line.
        The node under the cursor, or None for an empty tree."""
        if tree.last_line < 0:
            return None
        nodes = {node.data: node for node in walk(tree.root) if node.data is not None}
        target = next((nodes[ident] for ident in (wanted, *self.cursor)
                       if ident is not None and ident in nodes), None)
        if target is None:
            target = tree.get_node_at_line(0)
        if target is None:
            return None
        tree.scroll_to(y=self.scroll_y, animate=False, immediate=True)
        reveal(tree, target)
        return target
