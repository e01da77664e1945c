"""Graphs by name, built with default LLM roles on one model: what `run_graph("reflexion")`
and `agentloop run reflexion` use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
from agentloop.errors import ConfigError
from agentloop.graphs._best_of_n import best_of_n_graph
from agentloop.graphs._lats import lats_graph
from agentloop.graphs._reflexion import reflexion_graph
from agentloop.graphs._self_refine import self_refine_graph
from agentloop.graphs._try_again import try_again_graph
from agentloop.roles import (
    ChatModel,
    LLMActor,
    LLMCritic,
    LLMJudge,
    LLMReflector,
    LLMTestWriter,
    Task,
    TestWriter,
    VerifierFactory,
    visible_tests,
)

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["GRAPH_NAMES", "build_graph"]

AnyGraph = CompiledStateGraph[Any, Any, Any, Any]


EXPLORE_TEMPERATURE = 0.8
"""The temperature of the explorer that reflexion and LATS sample from (option
`explore_temperature`), and best-of-N's default for its candidates."""


def _sampling(config: GenerateConfig | None) -> GenerateConfig:
    # Parallel samples of one prompt are only different if sampling is on.
    from agentloop.model import GenerateConfig

    default = GenerateConfig(temperature=EXPLORE_TEMPERATURE)
    return default.merge(config) if config is not None else default


def _explorer(model: ChatModel, config: GenerateConfig | None, temperature: float) -> LLMActor:
    """The actor on `model` that samples at `temperature`, whatever `config` says."""
    from agentloop.model import GenerateConfig

    if temperature <= 0:
        raise ConfigError(f"explore_temperature must be above 0 to sample, got {temperature}")
    sampling = GenerateConfig(temperature=temperature)
    return LLMActor(model, config=config.merge(sampling) if config is not None else sampling)


def _test_writer(model: ChatModel, task: Task) -> TestWriter | None:
    # A task with visible tests (its own, or its docstring's examples) is checked by those.
    if not task.is_code or visible_tests(task):
        return None
    return LLMTestWriter(model)


def _reflexion(
    model: ChatModel, task: Task, c: _Common, *,
    explore_temperature: float = EXPLORE_TEMPERATURE, **options: Any,
) -> AnyGraph:
    return reflexion_graph(
        actor=LLMActor(model, config=c.config),
        explorer=_explorer(model, c.config, explore_temperature),
        reflector=LLMReflector(model, config=c.config),
        critic=None if task.is_code else LLMCritic(model, config=c.config),
        test_writer=_test_writer(model, task),
        verifier=c.verifier, memory=c.memory, budget=c.budget, checkpointer=c.checkpointer,
        **options,
    )


def _self_refine(model: ChatModel, task: Task, c: _Common, **options: Any) -> AnyGraph:
    return self_refine_graph(
        actor=LLMActor(model, config=c.config),
        critic=LLMCritic(model, config=c.config),
        verifier=c.verifier, budget=c.budget, checkpointer=c.checkpointer, **options,
    )


def _try_again(model: ChatModel, task: Task, c: _Common, **options: Any) -> AnyGraph:
    return try_again_graph(
        actor=LLMActor(model, config=c.config),
        critic=None if task.is_code else LLMCritic(model, config=c.config),
        verifier=c.verifier, budget=c.budget, checkpointer=c.checkpointer, **options,
    )


def _best_of_n(model: ChatModel, task: Task, c: _Common, **options: Any) -> AnyGraph:
    return best_of_n_graph(
        actor=LLMActor(model, config=_sampling(c.config)),
        judge=LLMJudge(model, config=c.config, memory=c.memory),
        verifier=c.verifier, budget=c.budget, checkpointer=c.checkpointer, **options,
    )


def _lats(
    model: ChatModel, task: Task, c: _Common, *,
    explore_temperature: float = EXPLORE_TEMPERATURE, **options: Any,
) -> AnyGraph:
    return lats_graph(
        actor=LLMActor(model, config=c.config),
        explorer=_explorer(model, c.config, explore_temperature),
        judge=None if task.is_code else LLMJudge(model, config=c.config, memory=c.memory),
        reflector=LLMReflector(model, config=c.config),
        test_writer=_test_writer(model, task),
        verifier=c.verifier, memory=c.memory, budget=c.budget, checkpointer=c.checkpointer,
        **options,
    )


class _Common:
    def __init__(
        self,
        *,
        budget: Budget | None,
        config: GenerateConfig | None,
        memory: MemoryStore | None,
        verifier: VerifierFactory | None,
        checkpointer: Checkpointer,
    ) -> None:
        self.budget = budget
        self.config = config
        self.memory = memory
        self.verifier = verifier
        self.checkpointer = checkpointer


_BUILDERS: dict[str, Callable[..., AnyGraph]] = {
    "reflexion": _reflexion,
    "self_refine": _self_refine,
    "best_of_n": _best_of_n,
    "lats": _lats,
    "try_again": _try_again,
}

GRAPH_NAMES = tuple(_BUILDERS)

_USES_MEMORY = {"reflexion", "best_of_n", "lats"}
"""Reflexion reads and writes lessons; the judge of best-of-N and LATS reads its experience."""
"""The graphs `run_graph` and `agentloop run` know by name."""


def build_graph(
    name: str,
    *,
    model: ChatModel,
    task: Task,
    budget: Budget | None = None,
    config: GenerateConfig | None = None,
    memory: MemoryStore | None = None,
    verifier: VerifierFactory | None = None,
    checkpointer: Checkpointer = None,
    **options: Any,
) -> AnyGraph:
    """The graph called `name`, with LLM roles on `model` chosen for `task`.

    Code tasks are checked by their visible tests (or, with none, by tests drawn from the
    docstring's examples or drafted by the model); prose tasks by an LLM critic or judge.
    Memory, where a graph uses it, is `memory`.
    """
    key = name.replace("-", "_")
    if key not in _BUILDERS:
        raise ConfigError(f"unknown graph {name!r}; known: {', '.join(GRAPH_NAMES)}")
    if memory is not None and key not in _USES_MEMORY:
        raise ConfigError(
            f"graph {name!r} does not use memory; {', '.join(sorted(_USES_MEMORY))} do"
        )
    common = _Common(
        budget=budget, config=config, memory=memory, verifier=verifier, checkpointer=checkpointer
    )
    try:
        return _BUILDERS[key](model, task, common, **options)
    except TypeError as exc:
        raise ConfigError(f"bad option for graph {name!r}: {exc}") from exc
