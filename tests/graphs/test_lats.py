"""LATS: UCT selection, parallel expansion, reflections for siblings, backpropagation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentloop import Budget
from agentloop.errors import ConfigError
from agentloop.graphs import (
    Candidate,
    LatsState,
    StopReason,
    TreeNode,
    lats_graph,
    run_graph,
    select_leaf,
    tree_to_dot,
    tree_to_json,
    write_tree,
)
from agentloop.graphs._lats import TreeSearch, backpropagate_children, expansion_jobs
from agentloop.graphs._tree import ROOT, backpropagate
from agentloop.memory import InProcessMemoryStore, MemoryEntry
from agentloop.model import current_sample_index
from agentloop.roles import FunctionActor, FunctionVerifier, LLMActor, LLMJudge, Task

from .conftest import ADD, HALF, POEM, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio


def _verifier() -> FunctionVerifier:
    return FunctionVerifier(lambda code: 1.0 if "a + b" in code else 2 / 3 if "*" in code else 0.2)


async def test_search_goes_deeper_under_the_best_child_and_stops_when_solved() -> None:
    # Level 1: three failures, the product scoring best; level 2 (under it): the answer.
    roles = Roles(actor=[WRONG, HALF, WRONG, WRONG, RIGHT, WRONG],
                  reflector=lambda m: "lesson about " + ("product" if "*" in m[-1].content
                                                         else "minus"))
    result = await run_graph(
        "lats", ADD, model=roles.client(), verifier=lambda t, s: _verifier(), k=3
    )
    assert result.stop_reason is StopReason.SOLVED
    assert "a + b" in result.answer
    tree = [TreeNode.model_validate(row) for row in result.extra["tree"]]
    by_id = {row.id: row for row in tree}
    winner = by_id[result.best.id if result.best else ""]
    parent = by_id[winner.parent or ""]
    assert parent.value == pytest.approx(2 / 3) and parent.depth == 1 and winner.depth == 2
    assert by_id[ROOT].visits == 6  # every child's value went up to the root
    # The second expansion saw the reflections written on the failed first level.
    second_wave = "\n".join(m.content for m in roles.calls("actor")[3])
    assert "lesson about product" in second_wave and "lesson about minus" in second_wave
    # ...and the path's own feedback: the product's answer is in its history.
    assert "a * b" in second_wave


async def test_expansion_runs_children_in_parallel_within_the_limit() -> None:
    roles = Roles(actor=[WRONG], latency=0.1)
    client = roles.client(max_concurrency=16)
    graph = lats_graph(
        actor=LLMActor(client), verifier=lambda t, s: FunctionVerifier(lambda c: 0.0),
        k=4, max_depth=1, max_iterations=1,
    )
    result = await run_graph(graph, ADD, max_concurrency=2)
    assert len(result.candidates) == 4
    assert roles.model.max_in_flight == 2


async def test_an_exhausted_tree_stops_with_max_depth() -> None:
    roles = Roles(actor=[WRONG])
    result = await run_graph(
        "lats", ADD, model=roles.client(), verifier=lambda t, s: _verifier(),
        k=2, max_depth=1, max_iterations=50,
    )
    assert result.stop_reason is StopReason.MAX_DEPTH
    assert len(result.candidates) == 2  # the root's two children, both at the depth limit


async def test_budget_running_out_mid_expansion_keeps_the_tree_so_far() -> None:
    roles = Roles(actor=[HALF, WRONG, WRONG, WRONG])
    budget = Budget(max_calls=5)  # 3 children + 2 reflections; the third reflection fails
    result = await run_graph(
        "lats", ADD, model=roles.client(budget, max_concurrency=1), budget=budget, k=3,
        verifier=lambda t, s: _verifier(), max_concurrency=1,
    )
    assert result.stop_reason is StopReason.BUDGET
    assert result.calls == 5
    assert result.best is not None and "*" in result.best.text
    assert len(result.extra["tree"]) == 4


async def test_without_a_reflector_no_reflections_are_asked_for() -> None:
    roles = Roles(actor=[WRONG, RIGHT])
    graph = lats_graph(
        actor=LLMActor(roles.client()), verifier=lambda t, s: _verifier(), k=2,
    )
    result = await run_graph(graph, ADD)
    assert result.stop_reason is StopReason.SOLVED
    assert roles.calls("reflector") == []


def _row(node_id: str, parent: str | None, depth: int, **kw: object) -> TreeNode:
    return TreeNode(id=node_id, parent=parent, depth=depth, **kw)  # type: ignore[arg-type]


def test_uct_prefers_unvisited_children_then_balances_value_and_visits() -> None:
    root = _row(ROOT, None, 0, expanded=True, visits=10, value_sum=5.0)
    good = _row("good", ROOT, 1, visits=8, value_sum=6.0, value=0.75)
    rare = _row("rare", ROOT, 1, visits=1, value_sum=0.5, value=0.5)
    # A rarely visited child wins on exploration; with exploration off, the better mean wins.
    assert select_leaf([root, good, rare], exploration=1.0, max_depth=3).id == "rare"
    assert select_leaf([root, good, rare], exploration=0.0, max_depth=3).id == "good"
    fresh = _row("fresh", ROOT, 1)
    assert select_leaf([root, good, rare, fresh], exploration=0.0, max_depth=3).id == "fresh"


def test_selection_skips_finished_subtrees_and_reports_exhaustion() -> None:
    root = _row(ROOT, None, 0, expanded=True, visits=2, value_sum=1.0)
    done = _row("done", ROOT, 1, visits=1, value_sum=1.0, terminal=True, passed=True)
    deep = _row("deep", ROOT, 1, visits=1, value_sum=0.0)
    assert select_leaf([root, done, deep], max_depth=2).id == "deep"
    assert select_leaf([root, done, deep], max_depth=1) is None


def test_backpropagation_adds_each_child_to_every_ancestor() -> None:
    root = _row(ROOT, None, 0, visits=1, value_sum=0.0)
    mid = _row("mid", ROOT, 1, visits=1, value_sum=0.5, value=0.5)
    kids = [_row("x", "mid", 2, value=1.0), _row("y", "mid", 2, value=0.0)]
    rows = {r.id: r for r in backpropagate([root, mid], kids)}
    assert rows["mid"].visits == 3 and rows["mid"].value_sum == pytest.approx(1.5)
    assert rows[ROOT].visits == 3 and rows[ROOT].value_sum == pytest.approx(1.0)
    assert rows["x"].visits == 1 and rows["x"].mean == 1.0


def test_the_tree_exports_as_json_and_dot() -> None:
    tree = [_row(ROOT, None, 0, visits=1), _row("abc123", ROOT, 1, value=1.0, passed=True)]
    rows = json.loads(tree_to_json(tree))
    assert [r["id"] for r in rows] == [ROOT, "abc123"] and rows[1]["passed"] is True
    dot = tree_to_dot(tree)
    assert dot.startswith("digraph") and '"root" -> "abc123"' in dot and "#b7e1b0" in dot


async def test_the_judges_score_checked_by_the_tests_becomes_experience() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    prior = await memory.add(
        MemoryEntry(kind="judge", text="Task: def add(a, b): Return a + b. Judged: fine.")
    )
    verifier = FunctionVerifier(lambda code: 0.2)  # every answer fails

    def graph(roles: Roles) -> object:
        client = roles.client()
        return lats_graph(
            actor=LLMActor(client), judge=LLMJudge(client, memory=memory),
            verifier=lambda t, s: verifier, memory=memory, k=1, max_depth=1, max_iterations=1,
        )

    roles = Roles(actor=[WRONG], pointwise='{"rationale": "looks right", "score": 9}')
    await run_graph(graph(roles), ADD)  # type: ignore[arg-type]
    [learned] = [e for e in await memory.list(kind="judge") if e.id != prior]
    assert learned.extra["confirmed"] is False and "overturned" in learned.text
    assert "scored 9/10" in learned.text and "failed the tests" in learned.text
    shown = await memory.get(prior)
    assert shown is not None and shown.usefulness < 0 and shown.times_used == 1

    again = Roles(actor=[WRONG], pointwise='{"rationale": "wrong sign", "score": 2}')
    await run_graph(graph(again), ADD)  # type: ignore[arg-type]
    [ask] = again.calls("pointwise")
    assert learned.text in ask[-1].content
    confirmed = [e for e in await memory.list(kind="judge") if e.extra.get("confirmed")]
    assert len(confirmed) == 1 and "scored 2/10" in confirmed[0].text


async def test_the_tree_is_written_as_a_png_picture_json_or_dot_by_suffix(
    tmp_path: Path,
) -> None:
    pytest.importorskip("matplotlib")
    roles = Roles(actor=[WRONG, HALF, WRONG, WRONG, RIGHT, WRONG])
    result = await run_graph(
        "lats", ADD, model=roles.client(), verifier=lambda t, s: _verifier(), k=3
    )
    tree = [TreeNode.model_validate(row) for row in result.extra["tree"]]
    assert len(tree) == 7  # the root, three children, three grandchildren

    png = write_tree(tree, tmp_path / "tree.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    # A real picture: it decodes, and it is not one flat colour (boxes and edges are drawn).
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 400
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 5

    rows = json.loads(write_tree(tree, tmp_path / "tree.json",
                                 candidates=result.candidates).read_text())
    assert {r["id"] for r in rows} == {row.id for row in tree}
    assert any("a + b" in r.get("text", "") for r in rows)
    assert write_tree(tree, tmp_path / "tree.dot").read_text().startswith("digraph lats")


def test_an_empty_tree_is_a_config_error_not_an_empty_picture(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing to draw"):
        write_tree([], tmp_path / "tree.png")


async def test_the_first_child_comes_from_the_actor_and_its_siblings_from_the_explorer() -> None:
    def proposer(name: str) -> FunctionActor:
        def propose(task: Task, history: object, lessons: object) -> str:
            return f"def add(a, b):\n    return a - b  # {name} draw {current_sample_index()}"

        return FunctionActor(propose)

    graph = lats_graph(
        actor=proposer("actor"), explorer=proposer("explorer"),
        verifier=lambda t, s: FunctionVerifier(lambda c: 0.0), k=3, max_depth=1,
        max_iterations=1,
    )
    result = await run_graph(graph, ADD)
    assert sorted(c.text.split("# ")[1] for c in result.candidates) == [
        "actor draw 0", "explorer draw 1", "explorer draw 2",
    ]


async def test_children_the_judge_could_not_value_are_not_passed_off_as_the_best() -> None:
    # The expansion takes the whole budget: the judge never values a child.
    roles = Roles(actor=["first line", "second line"])
    budget = Budget(max_calls=2)
    result = await run_graph(
        "lats", POEM, model=roles.client(budget), budget=budget, k=2
    )
    assert result.stop_reason is StopReason.BUDGET and len(result.candidates) == 2
    assert roles.calls("pointwise") == []
    assert result.extra["judged"] is False
    assert result.extra["selection"] == (
        "not judged: the budget ran out before any candidate was valued; the first candidate "
        "is returned, unranked"
    )


def test_an_expansion_sees_its_paths_feedback_and_the_reflections_of_near_relatives() -> None:
    mid = Candidate(id="mid", text="m", feedback="mid failed", score=0.5)
    tree = [
        _row(ROOT, None, 0, expanded=True),
        _row("mid", ROOT, 1, expanded=True, reflection="lesson of mid"),
        _row("aunt", ROOT, 1, reflection="lesson of its sibling"),
        _row("cousin", "aunt", 2, reflection="lesson far away"),
    ]
    state = LatsState(task=ADD, candidates=[mid], tree=tree, selected="mid")
    search = TreeSearch(k=3, max_depth=3, max_iterations=6, exploration=1.0, max_lessons=3)
    jobs = expansion_jobs(state, search)
    assert [job.sample for job in jobs] == [0, 1, 2]
    assert {job.depth for job in jobs} == {2} and {job.parent for job in jobs} == {"mid"}
    assert [a.feedback for a in jobs[0].history] == ["mid failed"]
    assert jobs[0].lessons == ["lesson of mid", "lesson of its sibling"]


def test_backpropagating_children_expands_the_parent_and_a_passing_child_solves() -> None:
    tree = [_row(ROOT, None, 0)]
    children = [
        Candidate(id="a", text="a", round=1, score=0.5, passed=False),
        Candidate(id="b", text="b", round=1, score=1.0, passed=True),
    ]
    state = LatsState(task=ADD, candidates=children, tree=tree, selected=ROOT)
    update = backpropagate_children(state, max_depth=3)
    rows = {r.id: r for r in update["tree"]}
    assert rows[ROOT].expanded and rows[ROOT].visits == 2
    assert rows["b"].terminal and not rows["a"].terminal
    assert update["stop_reason"] is StopReason.SOLVED and "judged" not in update
