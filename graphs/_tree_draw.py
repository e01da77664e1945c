"""The LATS tree drawn as a picture (PNG, with matplotlib), and written in the format a file's
suffix names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.graphs._state import Candidate
from agentloop.graphs._tree import ROOT, TreeNode, node_color, node_label, tree_to_dot, tree_to_json

__all__ = ["tree_to_png", "write_tree"]


def _layout(tree: Sequence[TreeNode]) -> dict[str, tuple[float, float]]:
    """(x, depth) per row: leaves side by side in depth-first order, a parent centred over its
    children, so no two subtrees overlap."""
    kids: dict[str | None, list[TreeNode]] = {}
    for row in tree:
        kids.setdefault(row.parent, []).append(row)
    place: dict[str, tuple[float, float]] = {}
    next_leaf = 0.0

    def visit(row: TreeNode) -> float:
        nonlocal next_leaf
        children = kids.get(row.id, [])
        if children:
            xs = [visit(child) for child in children]
            x = (xs[0] + xs[-1]) / 2
        else:
            x, next_leaf = next_leaf, next_leaf + 1.0
        place[row.id] = (x, float(row.depth))
        return x

    # The root first; rows whose parent is missing (a hand-made table) are drawn as roots too.
    ids = {row.id for row in tree}
    for row in sorted(tree, key=lambda r: r.id != ROOT):
        if row.parent is None or row.parent not in ids:
            visit(row)
    return place


def tree_to_png(tree: Sequence[TreeNode], path: str | Path, *, dpi: int = 120) -> Path:
    """Draw the tree into a PNG file: boxes coloured as in `tree_to_dot` (green passed, red
    failed), captioned with id, value and visits, the root at the top. Needs matplotlib
    (in the `bench` extra)."""
    if not tree:
        raise ConfigError("the tree is empty: there is nothing to draw")
    try:
        # Imported here, and without pyplot: no global backend or figure state is touched.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigError(
            "drawing the tree as PNG needs matplotlib: pip install matplotlib "
            "(or write .dot or .json instead)"
        ) from exc
    place = _layout(tree)
    width = max(x for x, _ in place.values()) + 1
    depth = max(d for _, d in place.values()) + 1
    figure = Figure(figsize=(max(4.0, 1.6 * width), max(2.5, 1.2 * depth)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_axis_off()
    axes.set_xlim(-0.6, width - 0.4)
    axes.set_ylim(depth - 0.4, -0.6)  # depth grows downwards
    for row in tree:
        if row.parent in place:
            (x0, y0), (x1, y1) = place[row.parent], place[row.id]
            axes.plot([x0, x1], [y0, y1], color="#888888", linewidth=1.0, zorder=1)
    for row in tree:
        x, y = place[row.id]
        axes.text(
            x, y, node_label(row), ha="center", va="center", fontsize=8, zorder=2,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": node_color(row),
                  "edgecolor": "#555555"},
        )
    out = Path(path)
    figure.savefig(out, format="png")
    return out


def write_tree(
    tree: Sequence[TreeNode], path: str | Path, *, candidates: Sequence[Candidate] = ()
) -> Path:
    """Write the tree in the format `path`'s suffix names: `.png` a picture, `.json` rows with
    the candidates' texts, anything else Graphviz dot text."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".png":
        return tree_to_png(tree, out)
    text = tree_to_json(tree, candidates) if suffix == ".json" else tree_to_dot(tree)
    out.write_text(text, encoding="utf-8")
    return out
