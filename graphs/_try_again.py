"""Try again: the only feedback is "that is not right, try again", and the history is kept."""

from __future__ import annotations

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

__all__ = ["TRY_AGAIN", "TryAgainState", "try_again_graph"]

TRY_AGAIN = "That is not right. Try again."
"""The unary feedback, as in "A Simple 'Try Again' Can Elicit Multi-Turn LLM Reasoning"."""


class TryAgainState(GraphState):
    pass


def try_again_graph(
    *,
    actor: Actor,
    verifier: VerifierFactory | None = None,
    critic: Critic | None = None,
    feedback: str = TRY_AGAIN,
    max_rounds: int = 4,
    budget: Budget | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A multi-turn loop whose only feedback is pass or fail.

    Whoever says pass or fail — the task's tests for code, `critic`'s accept flag for prose, or
    a person behind a `FunctionVerifier` — the actor hears only `feedback`, with its earlier
    answers kept in the conversation. The details (failing tests, critiques) go to the trace.

    Args:
        verifier: builds the pass/fail check for a task's tests; the local sandbox when None.
        max_rounds: answers at most (stop reason `max_depth`).
    """
    steps = TryAgainNodes(
        actor=actor, critic=critic, verifier=verifier_factory(verifier), feedback=feedback,
        limits=RoundLimits(max_rounds, budget=budget),
    )
    return act_check_loop(
        TryAgainState, act=node("act")(steps.act), check=node("check")(steps.check),
        check_name="check", checkpointer=checkpointer, name="try_again",
    )


@dataclass(frozen=True, kw_only=True)
class TryAgainNodes:
    """Try-again's two steps, each a function of `TryAgainState` to a state update."""

    actor: Actor
    critic: Critic | None
    verifier: VerifierFactory
    feedback: str
    """All the actor hears about a wrong answer."""
    limits: RoundLimits

    async def act(self, state: TryAgainState) -> dict[str, Any]:
        """The next answer, with every earlier one in view, each answered by `feedback`."""
        last = state.candidates[-1] if state.candidates else None
        candidate = await propose(
            self.actor,
            state.task,
            history=[c.attempt(feedback=self.feedback) for c in state.candidates],
            round=state.round + 1,
            parent=last.id if last else None,
        )
        update: dict[str, Any] = {"candidates": [candidate], "round": state.round + 1}
        if state.round == 0:
            update["tests"] = visible_tests(state.task)
        return update

    async def check(self, state: TryAgainState) -> dict[str, Any]:
        """Pass or fail (the tests for code, the critic's accept for prose); whether to stop."""
        candidate = state.candidates[-1]
        if state.task.is_code or self.critic is None:
            candidate = await check_with_verifier(
                candidate, state.task, state.tests, self.verifier
            )
        else:
            candidate = await check_with_critic(candidate, state.task, self.critic)
        # The score is kept for picking the best answer; it never reaches the actor.
        stop, _ = self.limits.decide(
            candidate, best_candidate(state.candidates[:-1]), round=state.round
        )
        return {"candidates": [candidate], "stop_reason": stop}
