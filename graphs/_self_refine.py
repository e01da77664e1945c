"""Self-Refine: act, critique, refine with the whole history, until the critic accepts."""

# No `from __future__ import annotations` here: LangGraph reads the type hints of the state
# and of the nodes on every graph build, and string annotations are compiled each time (P1).

from dataclasses import dataclass
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from agentloop._budget import Budget
from agentloop.graphs._loop import act_check_loop
from agentloop.graphs._node import node
from agentloop.graphs._state import GraphState, best_candidate
from agentloop.graphs._steps import check_with_critic, check_with_verifier, propose
from agentloop.graphs._stopping import RoundLimits
from agentloop.roles import Actor, Critic, VerifierFactory, verifier_factory, visible_tests

__all__ = ["SelfRefineState", "self_refine_graph"]


class SelfRefineState(GraphState):
    stale_rounds: int = 0
    """Rounds in a row whose score did not beat the best so far."""


def self_refine_graph(
    *,
    actor: Actor,
    critic: Critic,
    verifier: VerifierFactory | None = None,
    max_rounds: int = 4,
    patience: int | None = 2,
    budget: Budget | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Self-Refine (Madaan et al., 2023) as a compiled graph.

    The actor sees every earlier answer with the critique it got. A code task with visible
    tests also runs them, and their result leads the critique; passing them stops the run.

    Args:
        verifier: builds the verifier for a task's tests; the local sandbox when None.
        max_rounds: answers at most (stop reason `max_depth`).
        patience: rounds without a better score before stopping (`no_progress`); None: never.
    """
    steps = SelfRefineNodes(
        actor=actor, critic=critic, verifier=verifier_factory(verifier),
        limits=RoundLimits(max_rounds, patience, budget),
    )
    return act_check_loop(
        SelfRefineState, act=node("act")(steps.act), check=node("critique")(steps.critique),
        check_name="critique", checkpointer=checkpointer, name="self_refine",
    )


@dataclass(frozen=True, kw_only=True)
class SelfRefineNodes:
    """Self-Refine's two steps, each a function of `SelfRefineState` to a state update."""

    actor: Actor
    critic: Critic
    verifier: VerifierFactory
    limits: RoundLimits

    async def act(self, state: SelfRefineState) -> dict[str, Any]:
        """The next answer, with every earlier one and its critique in view."""
        last = state.candidates[-1] if state.candidates else None
        candidate = await propose(
            self.actor,
            state.task,
            history=[c.attempt() for c in state.candidates],
            round=state.round + 1,
            parent=last.id if last else None,
        )
        update: dict[str, Any] = {"candidates": [candidate], "round": state.round + 1}
        if state.round == 0:
            update["tests"] = visible_tests(state.task)
        return update

    async def critique(self, state: SelfRefineState) -> dict[str, Any]:
        """The visible tests (code), then the critic unless they passed; whether to stop."""
        candidate = state.candidates[-1]
        if state.task.is_code and state.tests:
            candidate = await check_with_verifier(
                candidate, state.task, state.tests, self.verifier
            )
        if not candidate.passed:
            candidate = await check_with_critic(candidate, state.task, self.critic)
        stop, stale = self.limits.decide(
            candidate, best_candidate(state.candidates[:-1]), round=state.round,
            stale_rounds=state.stale_rounds,
        )
        return {"candidates": [candidate], "stale_rounds": stale, "stop_reason": stop}
