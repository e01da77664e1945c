"""Graphs by name, built with default LLM roles on one model: what `run_graph("reflexion")`
and `agentloop run reflexion` use.

The names are the registry's "graph" names: the built-ins below, and any graph a package adds
with `agentloop.register("graph", NAME)` or an entry point in the group `agentloop.graph`.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
from agentloop._registry import builtin_names, registered, resolve
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

__all__ = ["GRAPH_NAMES", "build_graph", "check_options", "graph_options"]

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


@dataclass(frozen=True)
class _BuiltinGraph:
    """A built-in graph as the catalog builds it: `build` chooses the LLM roles and passes the
    options on to `graph`, the graph function, whose keyword-only options it takes too."""

    build: Callable[..., AnyGraph]
    graph: Callable[..., AnyGraph]
    uses_memory: bool

    def __call__(
        self,
        model: ChatModel,
        task: Task,
        *,
        budget: Budget | None = None,
        config: GenerateConfig | None = None,
        memory: MemoryStore | None = None,
        verifier: VerifierFactory | None = None,
        checkpointer: Checkpointer = None,
        **options: Any,
    ) -> AnyGraph:
        common = _Common(
            budget=budget, config=config, memory=memory, verifier=verifier,
            checkpointer=checkpointer,
        )
        return self.build(model, task, common, **options)


# Reflexion reads and writes lessons; the judge of best-of-N and LATS reads its experience.
CATALOG_REFLEXION = _BuiltinGraph(_reflexion, reflexion_graph, uses_memory=True)
CATALOG_SELF_REFINE = _BuiltinGraph(_self_refine, self_refine_graph, uses_memory=False)
CATALOG_BEST_OF_N = _BuiltinGraph(_best_of_n, best_of_n_graph, uses_memory=True)
CATALOG_LATS = _BuiltinGraph(_lats, lats_graph, uses_memory=True)
CATALOG_TRY_AGAIN = _BuiltinGraph(_try_again, try_again_graph, uses_memory=False)

GRAPH_NAMES = builtin_names("graph")
"""The graphs agentloop ships; `run_graph` and `agentloop run` also know any graph registered by
name."""

_SUPPLIED = frozenset(
    {"actor", "explorer", "reflector", "critic", "judge", "test_writer", "verifier", "memory",
     "budget", "checkpointer"}
)
"""Graph parameters the catalog fills in itself (roles and run-wide objects), not options."""

_BUILD_ARGUMENTS = frozenset({"budget", "config", "memory", "verifier", "checkpointer"})
"""What `build_graph` hands every registered graph besides its options."""


def _lookup(name: str) -> Any:
    """The graph registered as `name` ("self-refine" finds "self_refine")."""
    key = name.replace("-", "_")
    return resolve("graph", key if key in registered("graph") else name)


def _memory_graphs() -> list[str]:
    found = {name: resolve("graph", name) for name in GRAPH_NAMES}
    return sorted(n for n, g in found.items() if isinstance(g, _BuiltinGraph) and g.uses_memory)


def graph_options(name: str) -> dict[str, inspect.Parameter]:
    """The options graph `name` takes by name (`run_graph(name, ..., **options)`, `-o KEY=VALUE`),
    each with its type annotation resolved and its default."""
    graph = _lookup(name)
    sources: tuple[tuple[Callable[..., Any], frozenset[str]], ...] = (
        ((graph.graph, _SUPPLIED), (graph.build, frozenset()))
        if isinstance(graph, _BuiltinGraph)
        else ((graph, _BUILD_ARGUMENTS),)
    )
    found: dict[str, inspect.Parameter] = {}
    for fn, skip in sources:
        hints = typing.get_type_hints(fn)
        for param in inspect.signature(fn).parameters.values():
            if param.kind is not inspect.Parameter.KEYWORD_ONLY or param.name in skip:
                continue
            found[param.name] = param.replace(annotation=hints.get(param.name, Any))
    return dict(sorted(found.items()))


def check_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """`options` checked against graph `name`'s (names and types) and converted to them
    (`"3"` to 3 for an int); a `ConfigError` naming the option and what it takes otherwise.

    Run before any model call: a misspelt or mistyped option must not cost one.
    """
    from pydantic import TypeAdapter, ValidationError

    known = graph_options(name)
    checked: dict[str, Any] = {}
    for key, value in options.items():
        param = known.get(key)
        if param is None:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"unknown option {key!r} for graph {name!r}{hint}; its options: "
                f"{', '.join(known)}"
            )
        try:
            checked[key] = TypeAdapter(param.annotation).validate_python(value)
        except ValidationError:
            raise ConfigError(
                f"option {key}={value!r} for graph {name!r} must be "
                f"{_type_name(param.annotation)}"
            ) from None
    return checked


_TYPE_NAMES: dict[Any, str] = {
    int: "an integer", float: "a number", bool: "true or false", str: "text", type(None): "null"
}


def _type_name(annotation: Any) -> str:
    """What an option of this type takes, in words: "an integer or null"."""
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(annotation))
    if args := typing.get_args(annotation):  # a union
        return " or ".join(_type_name(arg) for arg in args)
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


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

    A graph registered by name (`agentloop.register("graph", NAME)`) is a function called as
    `graph(model, task, budget=..., config=..., memory=..., verifier=..., checkpointer=...,
    **options)`; its options are its other keyword-only parameters.
    """
    graph = _lookup(name)
    options = check_options(name, options)
    if memory is not None and isinstance(graph, _BuiltinGraph) and not graph.uses_memory:
        raise ConfigError(
            f"graph {name!r} does not use memory; {', '.join(_memory_graphs())} do"
        )
    try:
        return graph(  # type: ignore[no-any-return]
            model, task, budget=budget, config=config, memory=memory, verifier=verifier,
            checkpointer=checkpointer, **options,
        )
    except TypeError as exc:
        raise ConfigError(f"bad option for graph {name!r}: {exc}") from exc
