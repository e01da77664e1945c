"""LATS: Monte Carlo tree search over candidates, with reflections shared among siblings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, Send
from pydantic import BaseModel, Field

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
from agentloop.errors import GraphError
from agentloop.graphs._node import node
from agentloop.graphs._routing import fan_out_unscored, router
from agentloop.graphs._state import (
    Candidate,
    GraphState,
    ScoreJob,
    StopReason,
    checkpointed,
    upsert,
)
from agentloop.graphs._steps import (
    check_with_judge,
    check_with_verifier,
    propose,
    reflect,
    write_tests,
)
from agentloop.graphs._stopping import budget_left, cut_short_by
from agentloop.graphs._tree import ROOT, TreeNode, backpropagate, path_to, select_leaf
from agentloop.roles import (
    Actor,
    Attempt,
    Judge,
    Reflector,
    Task,
    TestWriter,
    VerifierFactory,
    verifier_factory,
    visible_tests,
)

__all__ = ["LatsState", "lats_graph"]


@checkpointed
class ExpandJob(BaseModel):
    task: Task
    parent: str
    depth: int
    history: list[Attempt]
    lessons: list[str]
    sample: int = 0
    """Which of the expansion's children this is: each is its own sample of the model."""


@checkpointed
class ReflectJob(BaseModel):
    task: Task
    candidate: Candidate
    row: TreeNode


class LatsState(GraphState):
    tree: Annotated[list[TreeNode], upsert] = Field(default_factory=list)
    """The search tree as rows; serializable, so checkpoints hold the whole search."""
    selected: str | None = None
    """The node being expanded in this iteration."""
    iteration: int = 0
    judged: bool | None = None
    """False when the budget ran out before the judge valued every candidate made."""
    selection: str | None = None
    """Why the best candidate may not be the best the search made, in words."""


def lats_graph(
    *,
    actor: Actor,
    explorer: Actor | None = None,
    verifier: VerifierFactory | None = None,
    judge: Judge | None = None,
    reflector: Reflector | None = None,
    test_writer: TestWriter | None = None,
    k: int = 3,
    max_depth: int = 3,
    max_iterations: int = 6,
    exploration: float = 1.0,
    judge_weight: float = 0.3,
    max_lessons: int = 3,
    memory: MemoryStore | None = None,
    budget: Budget | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Language Agent Tree Search (Zhou et al., 2023) as a compiled graph.

    Each iteration selects a node by UCT, samples `k` children in parallel (each conditioned on
    the feedback along its path and the reflections of failed relatives), scores them, writes a
    reflection on each failed child, and backpropagates. A child's value is the visible tests'
    pass fraction, mixed with the judge's score by `judge_weight` when there is a judge (prose:
    the judge's score alone). The search stops when a child passes every visible test (`solved`),
    the budget ends (`budget`), or `max_iterations` are done or no node is left to expand
    (`max_depth`).

    Args:
        actor: proposes the first child of each expansion; every child without an explorer.
        explorer: proposes the other children, typically the same model sampling at a
            temperature (each child is its own sample). Splitting the roles keeps the actor's
            best guess in the tree: a weak model's sampled programs are often worse than its
            greedy one, and a search that only samples can end below a single greedy call.
        verifier: builds the verifier for a task's tests; the local sandbox when None.
        test_writer: drafts tests for a code task that has none.
        k: children per expansion; they run in parallel up to the run's `max_concurrency`.
        max_depth: deepest level of the tree (the root is 0).
        exploration: the UCT exploration constant.
        memory: where the judge's scores of code candidates, checked against the tests'
            verdict, are kept as judge experience (give the judge the same store to read it).
    """
    steps = LatsNodes(
        actor=actor, explorer=explorer, verifier=verifier_factory(verifier), judge=judge,
        reflector=reflector, test_writer=test_writer, memory=memory, budget=budget,
        search=TreeSearch(k=k, max_depth=max_depth, max_iterations=max_iterations,
                          exploration=exploration, max_lessons=max_lessons),
        judge_weight=judge_weight,
    )
    builder = StateGraph(LatsState)
    builder.add_node("start", node("start")(steps.start))
    builder.add_node("select", node("select", round_of=_next_iteration)(steps.select))
    builder.add_node("expand", node("expand", round_of=_depth)(steps.expand))
    builder.add_node("gather", gather)
    builder.add_node("evaluate", node("evaluate", round_of=_candidate_round)(steps.evaluate))
    builder.add_node("backprop", node("backprop", round_of=_round)(steps.backprop))
    builder.add_node(
        "reflect", node("reflect", round_of=_candidate_round)(steps.reflect_on_failure)
    )
    builder.add_edge(START, "start")
    builder.add_edge("start", "select")
    builder.add_conditional_edges("select", router(steps.fan_out_expansions), ["expand", END])
    builder.add_edge("expand", "gather")
    builder.add_conditional_edges(
        "gather", router(fan_out_unscored("evaluate", "backprop")), ["evaluate", "backprop"]
    )
    builder.add_edge("evaluate", "backprop")
    builder.add_conditional_edges(
        "backprop", router(steps.fan_out_reflections), ["reflect", "select", END]
    )
    builder.add_edge("reflect", "select")
    return builder.compile(checkpointer=checkpointer, name="lats")


def _next_iteration(state: LatsState) -> int:
    return state.iteration + 1


def _depth(job: ExpandJob) -> int:
    return job.depth


def _candidate_round(job: ScoreJob | ReflectJob) -> int:
    return job.candidate.round


def _round(state: LatsState) -> int:
    return state.round


async def gather(state: LatsState) -> dict[str, Any]:
    """Where an expansion's parallel children meet, before they are valued."""
    return {}


@dataclass(frozen=True, kw_only=True)
class TreeSearch:
    """The shape of the search: how wide, how deep, how long, how exploratory."""

    k: int
    """Children per expansion."""
    max_depth: int
    """The deepest level of the tree (the root is 0)."""
    max_iterations: int
    exploration: float
    """The UCT exploration constant."""
    max_lessons: int
    """Most reflections of failed relatives a child is shown."""


@dataclass(frozen=True, kw_only=True)
class LatsNodes:
    """LATS's steps, each a function of the state (or a `Send` job) to a state update."""

    actor: Actor
    explorer: Actor | None
    verifier: VerifierFactory
    judge: Judge | None
    reflector: Reflector | None
    test_writer: TestWriter | None
    memory: MemoryStore | None
    budget: Budget | None
    search: TreeSearch
    judge_weight: float

    async def start(self, state: LatsState) -> dict[str, Any]:
        """The tests to value code with (drafted when the task has none), and the root."""
        task = state.task
        tests = visible_tests(task)
        if task.is_code and not tests and self.test_writer is not None:
            tests = await write_tests(task, self.test_writer, self.verifier)
        if not (task.is_code and task.entry_point) and self.judge is None:
            raise GraphError(f"lats needs a judge to value candidates for task {task.name!r}")
        return {"tests": tests, "tree": [TreeNode(id=ROOT, parent=None, depth=0)]}

    async def select(self, state: LatsState) -> dict[str, Any]:
        """The node to expand next, by UCT; or the stop reason, when the search is over."""
        search = self.search
        if state.stop_reason is not None:
            return {}
        if state.iteration >= search.max_iterations:
            return {"stop_reason": StopReason.MAX_DEPTH}
        if not budget_left(self.budget):
            return {"stop_reason": StopReason.BUDGET}
        leaf = select_leaf(state.tree, exploration=search.exploration, max_depth=search.max_depth)
        if leaf is None:
            return {"stop_reason": StopReason.MAX_DEPTH}
        return {"selected": leaf.id, "iteration": state.iteration + 1, "round": leaf.depth + 1}

    def fan_out_expansions(self, state: LatsState) -> list[Send] | str:
        """`k` children of the selected node, in parallel; the end once the search stopped."""
        if state.stop_reason is not None or state.selected is None:
            return END
        return [Send("expand", job) for job in expansion_jobs(state, self.search)]

    async def expand(self, job: ExpandJob) -> dict[str, Any]:
        """One child: the actor's best guess first, the explorer's samples after it."""
        proposer = self.explorer if self.explorer is not None and job.sample > 0 else self.actor
        candidate = await propose(
            proposer, job.task, history=job.history, lessons=job.lessons, round=job.depth,
            parent=None if job.parent == ROOT else job.parent, sample=job.sample,
        )
        return {"candidates": [candidate]}

    async def evaluate(self, job: ScoreJob) -> dict[str, Any]:
        """A child's value: the visible tests' pass fraction, mixed with the judge's score by
        `judge_weight` when it failed; for prose, the judge's score alone."""
        candidate = job.candidate
        if job.task.is_code and job.task.entry_point:
            candidate = await check_with_verifier(candidate, job.task, job.tests, self.verifier)
            if self.judge is not None and not candidate.passed:
                candidate = await check_with_judge(
                    candidate, job.task, self.judge, weight=self.judge_weight, memory=self.memory
                )
        elif self.judge is not None:
            candidate = await check_with_judge(candidate, job.task, self.judge)
        return {"candidates": [candidate]}

    async def backprop(self, state: LatsState) -> dict[str, Any]:
        """The valued children join the tree and their values go up to the root."""
        return backpropagate_children(state, max_depth=self.search.max_depth)

    def fan_out_reflections(self, state: LatsState) -> list[Send] | str:
        """A reflection on each failed child of this expansion, in parallel; then the next
        selection (or the end, once the search stopped)."""
        if state.stop_reason is not None:
            return END
        if self.reflector is None:
            return "select"
        return [Send("reflect", job) for job in reflection_jobs(state)] or "select"

    async def reflect_on_failure(self, job: ReflectJob) -> dict[str, Any]:
        """A lesson from a failed child, kept on its row for its relatives to see."""
        assert self.reflector is not None  # no reflection jobs are sent without one
        lesson = await reflect(self.reflector, job.task, job.candidate)
        return {"tree": [job.row.model_copy(update={"reflection": lesson})]}


def expansion_jobs(state: LatsState, search: TreeSearch) -> list[ExpandJob]:
    """The selected node's `k` children to propose, each shown the feedback along its path
    and the reflections of failed relatives (the path's own nodes and their siblings)."""
    assert state.selected is not None
    by_id = {c.id: c for c in state.candidates}
    path = path_to(state.tree, state.selected)
    history = [by_id[row.id].attempt() for row in path]
    near = {row.id for row in path} | {ROOT}
    lessons = [
        row.reflection for row in state.tree
        if row.reflection and (row.parent in near or row.id in near)
    ][-search.max_lessons:]
    depth = len(path) + 1
    return [
        ExpandJob(
            task=state.task, parent=state.selected, depth=depth, history=history,
            lessons=lessons, sample=i,
        )
        for i in range(search.k)
    ]


def backpropagate_children(state: LatsState, *, max_depth: int) -> dict[str, Any]:
    """The state update that adds the selected node's valued children to the tree, marks it
    expanded and backpropagates their values; `solved` when a child passed. A child left
    unvalued (its judge call cut short) is noted in `judged`/`selection`."""
    in_tree = {row.id for row in state.tree}
    parent = state.selected or ROOT
    new = [
        TreeNode(
            id=c.id, parent=parent, depth=c.round, value=c.score or 0.0, passed=c.passed,
            terminal=bool(c.passed) or c.round >= max_depth,
        )
        for c in state.candidates
        if c.id not in in_tree and c.score is not None
    ]
    by_id = {row.id: row for row in state.tree}
    rows = backpropagate(state.tree, new)
    if parent in by_id and not any(r.id == parent for r in rows):
        rows.append(by_id[parent])
    rows = [r.model_copy(update={"expanded": True}) if r.id == parent else r for r in rows]
    update: dict[str, Any] = {"tree": rows}
    if any(row.passed for row in new):
        update["stop_reason"] = StopReason.SOLVED
    if state.judged is None and any(c.score is None for c in state.candidates):
        # A child whose valuation was cut short (the judge's call hit the budget) is in no
        # ranking: the result must not pass an unvalued candidate off as the best.
        why = cut_short_by(state.stop_reason)
        valued = any(c.score is not None for c in state.candidates)
        update["judged"] = False
        update["selection"] = (
            f"not judged: {why} before every candidate was valued; the best of those "
            "valued is returned"
            if valued
            else f"not judged: {why} before any candidate was valued; the first candidate "
            "is returned, unranked"
        )
    return update


def reflection_jobs(state: LatsState) -> list[ReflectJob]:
    """The children of this expansion that failed and have no reflection yet."""
    by_id = {c.id: c for c in state.candidates}
    return [
        ReflectJob(task=state.task, candidate=by_id[row.id], row=row)
        for row in state.tree
        if row.parent == state.selected and row.id in by_id
        and row.passed is not True and not row.reflection
    ]
