"""Strategies under comparison in Q1: each turns a `VisibleProblem` into one final answer.

A strategy sees only the problem's prompt and its visible tests (from the docstring); the hidden
tests are scored by the harness after it returns. Every strategy gets the same model client, the
same per-problem `Budget`, and its answer goes through the same extractor.

`single` is implemented here (one greedy call, the actor's plain "complete this function" prompt).
The others adapt the graph builders in `agentloop.graphs`; each adapter is a small function below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agentloop._budget import Budget
from agentloop.roles._actor import LLMActor
from agentloop.roles._model import ChatModel
from agentloop.roles._task import Task
from benchmarks._humaneval_tasks import VisibleProblem

__all__ = ["STRATEGIES", "StrategyContext", "StrategyResult", "to_task"]


@dataclass(frozen=True)
class StrategyContext:
    """What every strategy gets, identical across strategies for one run."""

    model: ChatModel
    budget: Budget
    """Per problem; tokens and calls are read from it after the strategy returns."""
    seed: int
    max_tokens: int
    """Per call."""
    n: int
    """Candidates per round for best_of_n / children per expansion for lats."""


@dataclass(frozen=True)
class StrategyResult:
    answer: str
    """The final answer (code); the harness re-extracts it, so prose around it is harmless."""
    stop_reason: str | None = None
    rounds: int | None = None


Strategy = Callable[[VisibleProblem, StrategyContext], Awaitable[StrategyResult]]


def to_task(problem: VisibleProblem) -> Task:
    """The graphs' `Task`: prompt, entry point and visible tests; never the hidden tests."""
    return Task(
        prompt=problem.prompt,
        name=problem.task_id,
        kind="code",
        entry_point=problem.entry_point,
        tests=list(problem.visible_tests),
        family="humaneval",
    )


def _greedy(ctx: StrategyContext) -> Any:
    from agentloop.model import GenerateConfig

    return GenerateConfig(temperature=0.0, max_tokens=ctx.max_tokens, seed=ctx.seed)


async def single(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """One greedy call with the actor's first-turn prompt: the baseline every graph starts from."""
    actor = LLMActor(ctx.model, config=_greedy(ctx))
    answer = await actor.propose(to_task(problem))
    return StrategyResult(answer=answer, stop_reason="single", rounds=1)


def _graph_missing(name: str) -> StrategyResult:
    raise SystemExit(
        f"strategy {name!r} needs agentloop.graphs.{name}, which has not landed yet; "
        "only --strategy single runs today"
    )


async def self_refine(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    return _graph_missing("self_refine")


async def reflexion(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    return _graph_missing("reflexion")


async def best_of_n(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    return _graph_missing("best_of_n")


async def lats(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    return _graph_missing("lats")


STRATEGIES: dict[str, Strategy] = {
    "single": single,
    "best_of_n": best_of_n,
    "self_refine": self_refine,
    "reflexion": reflexion,
    "lats": lats,
}
