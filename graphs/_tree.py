"""The LATS search tree as a table of rows: selection by UCT, backpropagation, export."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from agentloop.graphs._state import Candidate, checkpointed

__all__ = ["ROOT", "TreeNode", "backpropagate", "node_color", "node_label", "path_to",
           "select_leaf", "tree_to_dot", "tree_to_json", "uct"]

ROOT = "root"
"""The id of the root row: the task itself, with no candidate."""


@checkpointed
class TreeNode(BaseModel):
    """One row of the tree; non-root rows share their id with a `Candidate`."""

    model_config = ConfigDict(frozen=True)

    id: str
    parent: str | None
    depth: int
    value: float | None = None
    """This node's own evaluation, in [0, 1]."""
    visits: int = 0
    value_sum: float = 0.0
    """Sum of the values backpropagated through this node (its own included)."""
    passed: bool | None = None
    expanded: bool = False
    terminal: bool = False
    """Passed, or at the depth limit: never expanded."""
    reflection: str = ""

    @property
    def mean(self) -> float:
        return self.value_sum / self.visits if self.visits else 0.0


def uct(child: TreeNode, parent: TreeNode, *, exploration: float) -> float:
    """Upper confidence bound for trees; an unvisited child comes first."""
    if child.visits == 0:
        return math.inf
    return child.mean + exploration * math.sqrt(math.log(max(parent.visits, 1)) / child.visits)


def _children(tree: Sequence[TreeNode]) -> dict[str, list[TreeNode]]:
    kids: dict[str, list[TreeNode]] = {}
    for row in tree:
        if row.parent is not None:
            kids.setdefault(row.parent, []).append(row)
    return kids


def select_leaf(
    tree: Sequence[TreeNode], *, exploration: float = 1.0, max_depth: int
) -> TreeNode | None:
    """The node to expand next, following the best UCT child from the root; None when every
    expandable node has been used (the tree is exhausted)."""
    by_id = {row.id: row for row in tree}
    kids = _children(tree)

    def open_(row: TreeNode) -> bool:
        # Can this subtree still be expanded somewhere?
        if row.terminal or row.depth >= max_depth:
            return False
        if not row.expanded:
            return True
        return any(open_(child) for child in kids.get(row.id, []))

    row = by_id[ROOT]
    if not open_(row):
        return None
    while row.expanded:
        candidates = [c for c in kids.get(row.id, []) if open_(c)]
        row = max(candidates, key=lambda c: uct(c, row, exploration=exploration))
    return row


def backpropagate(tree: Sequence[TreeNode], new: Sequence[TreeNode]) -> list[TreeNode]:
    """Rows to upsert: the `new` children (one visit each, at their own value) and every
    ancestor with the children's visits and values added."""
    by_id = {row.id: row for row in tree}
    updated: dict[str, TreeNode] = {}
    for child in new:
        value = child.value or 0.0
        updated[child.id] = child.model_copy(update={"visits": 1, "value_sum": value})
        parent_id = child.parent
        while parent_id is not None:
            row = updated.get(parent_id) or by_id[parent_id]
            updated[parent_id] = row.model_copy(
                update={"visits": row.visits + 1, "value_sum": row.value_sum + value}
            )
            parent_id = row.parent
    return list(updated.values())


def path_to(tree: Sequence[TreeNode], node_id: str) -> list[TreeNode]:
    """Rows from the root's first child down to `node_id` (the root itself is left out)."""
    by_id = {row.id: row for row in tree}
    path: list[TreeNode] = []
    current: str | None = node_id
    while current is not None and current != ROOT:
        row = by_id[current]
        path.append(row)
        current = row.parent
    return path[::-1]


def tree_to_json(tree: Sequence[TreeNode], candidates: Sequence[Candidate] = ()) -> str:
    """The tree as JSON: one object per row, with the candidate's text when given."""
    texts = {c.id: c.text for c in candidates}
    rows = []
    for row in tree:
        data = row.model_dump(mode="json")
        data["mean"] = row.mean
        if row.id in texts:
            data["text"] = texts[row.id]
        rows.append(data)
    return json.dumps(rows, indent=2)


def node_label(row: TreeNode) -> str:
    """A node's caption in pictures of the tree: id, value and visits (two lines)."""
    if row.id == ROOT:
        return f"task\nvisits={row.visits}"
    value = "-" if row.value is None else f"{row.value:.2f}"
    return f"{row.id[:6]}\nvalue={value} visits={row.visits}"


def node_color(row: TreeNode) -> str:
    """Green: passed; red: failed; grey: the root, or not checked."""
    if row.id == ROOT:
        return "#dddddd"
    return "#b7e1b0" if row.passed else "#f4b6b6" if row.passed is False else "#f0f0f0"


def tree_to_dot(tree: Sequence[TreeNode]) -> str:
    """The tree as Graphviz dot text (`dot -Tpng tree.dot -o tree.png` draws it).

    Green: passed; red: failed; label: id, value and visits.
    """
    lines = ["digraph lats {", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for row in tree:
        label = node_label(row).replace("\n", "\\n")
        lines.append(f'  "{row.id}" [label="{label}", fillcolor="{node_color(row)}"];')
    for row in tree:
        if row.parent is not None:
            lines.append(f'  "{row.parent}" -> "{row.id}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
