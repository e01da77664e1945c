"""Strategies under comparison in Q1: each turns a `VisibleProblem` into one final answer.

A strategy sees only the problem's prompt and its visible tests (from the docstring); the hidden
tests are scored by the harness after it returns. Every strategy gets the same model client, the
same per-problem `Budget`, and its answer goes through the same extractor.

`single` is one call with the actor's plain "complete this function" prompt: the same first turn
every graph starts from. The others run the prebuilt graphs through `agentloop.graphs.run_graph`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agentloop import Budget
from agentloop.roles import ChatModel, LLMActor, Task
from benchmarks._humaneval_tasks import VisibleProblem

__all__ = [
    "DEFAULT_TEMPERATURE",
    "STRATEGIES",
    "StrategyContext",
    "StrategyResult",
    "to_task",
]


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
    """Candidates for best_of_n."""
    rounds: int
    """Most rounds for self_refine and reflexion."""
    temperature: float
    """0 is greedy; sampling strategies need more than 0 to get distinct candidates."""
    graph_options: dict[str, Any] = field(default_factory=dict)
    """Extra options passed to a graph builder as they are (`--graph-option key=value`)."""


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


def _sampling(ctx: StrategyContext) -> Any:
    from agentloop.model import GenerateConfig

    return GenerateConfig(temperature=ctx.temperature, max_tokens=ctx.max_tokens, seed=ctx.seed)


async def single(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """One greedy call with the actor's first-turn prompt: the baseline every graph starts from."""
    actor = LLMActor(ctx.model, config=_sampling(ctx))
    answer = await actor.propose(to_task(problem))
    return StrategyResult(answer=answer, stop_reason="single", rounds=1)


async def _run_graph(
    name: str, problem: VisibleProblem, ctx: StrategyContext, **options: Any
) -> StrategyResult:
    """Run a prebuilt graph by name with default LLM roles on the shared client and budget."""
    try:
        from agentloop.graphs import run_graph
    except ImportError as exc:
        raise SystemExit(
            f"strategy {name!r} needs agentloop.graphs.run_graph, which is not importable yet "
            f"({exc}); only --strategy single runs without it"
        ) from exc
    result = await run_graph(
        name,
        to_task(problem),
        # The client charges the per-problem budget; run_graph reads what was spent from it too.
        model=ctx.model,
        budget=ctx.budget,
        config=_sampling(ctx),
        max_concurrency=1,  # one local llama.cpp model: parallel branches would only queue
        **{**options, **ctx.graph_options},
    )
    return StrategyResult(
        answer=result.answer, stop_reason=str(result.stop_reason), rounds=result.rounds
    )


async def self_refine(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """Actor -> (visible tests, then critic) -> refine; stops when the tests pass."""
    return await _run_graph("self_refine", problem, ctx, max_rounds=ctx.rounds)


async def reflexion(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """Actor -> visible (or self-written) tests -> reflector lesson -> actor; after a round
    that did not improve, the next attempt is a fresh sample from the task (the graph's
    explorer). No `patience` stop: like LATS, it spends the problem's budget until solved."""
    return await _run_graph("reflexion", problem, ctx, max_rounds=ctx.rounds, patience=None)


async def best_of_n(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """n sampled candidates -> visible-test filter -> pairwise judge tournament."""
    return await _run_graph("best_of_n", problem, ctx, n=ctx.n)


async def lats(problem: VisibleProblem, ctx: StrategyContext) -> StrategyResult:
    """MCTS over candidates; value from the visible tests' pass fraction."""
    return await _run_graph("lats", problem, ctx)


STRATEGIES: dict[str, Strategy] = {
    "single": single,
    "best_of_n": best_of_n,
    "self_refine": self_refine,
    "reflexion": reflexion,
    "lats": lats,
}

DEFAULT_TEMPERATURE: dict[str, float] = {
    "single": 0.0,
    "self_refine": 0.0,
    "reflexion": 0.0,
    # n greedy samples would be n copies of one answer.
    "best_of_n": 0.8,
    # The actor's first child of each expansion is greedy; its siblings come from the explorer,
    # which samples at the graph's `explore_temperature` (0.8 unless --graph-option sets it).
    "lats": 0.0,
}
