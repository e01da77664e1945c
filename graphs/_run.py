"""Running a graph: `run_graph(name_or_graph, task, ...)` -> a uniform `RunResult`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import StreamMode

from agentloop._budget import Budget, BudgetUsage, run_budget
from agentloop._memory import MemoryStore
from agentloop._messages import Usage
from agentloop.errors import BudgetExhausted, ConfigError, GraphError, ModelError
from agentloop.graphs._catalog import build_graph
from agentloop.graphs._checkpoint import open_checkpointer
from agentloop.graphs._events import GraphEvent, listening
from agentloop.graphs._node import model_failures
from agentloop.graphs._state import Candidate, RunResult, StopReason, best_candidate
from agentloop.model import DEFAULT_MODEL
from agentloop.roles import ChatModel, Task, VerifierFactory
from agentloop.tracing import SpanKind, span

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["DEFAULT_MODEL", "run_graph", "run_graph_sync"]

EventHandler = Callable[[GraphEvent], Any]
AnyGraph = CompiledStateGraph[Any, Any, Any, Any]


def _usage_between(before: BudgetUsage, after: BudgetUsage) -> tuple[Usage, int]:
    usage = Usage(
        input_tokens=after.input_tokens - before.input_tokens,
        output_tokens=after.output_tokens - before.output_tokens,
        cost_usd=after.cost_usd - before.cost_usd,
    )
    return usage, after.calls - before.calls


def _initial_state(task: Task) -> dict[str, Any]:
    return {"task": task}


def _result(
    name: str, values: dict[str, Any], *, task: Task, stop: StopReason | None
) -> RunResult:
    """The run's result, read from the graph's final state, whatever its nodes are called.

    `GraphState`'s fields (`candidates`, `stop_reason`, `round`, `tests`) make the result; a
    state that has them adds `winner` (the id of the candidate the graph picked itself; else
    the best is ranked by `best_candidate`), `lessons`, `matches`, `tree`, and `judged` with
    `selection`, which go to `RunResult.extra`. A run that ends without a stop reason stopped
    at its graph's end: `max_depth`.
    """
    candidates: list[Candidate] = list(values.get("candidates") or [])
    # A graph that picks its own winner (best-of-N's tournament) names it; the others are ranked.
    winner_id = values.get("winner")
    best = next((c for c in candidates if c.id == winner_id), None) or best_candidate(candidates)
    extra: dict[str, Any] = {"tests": list(values.get("tests") or [])}
    if values.get("lessons"):
        extra["lessons"] = list(values["lessons"])
    if values.get("matches"):
        extra["matches"] = [m.model_dump(mode="json") for m in values["matches"]]
    if values.get("tree"):
        extra["tree"] = [n.model_dump(mode="json") for n in values["tree"]]
    if values.get("selection"):
        # How the graph chose its result, where a judge could not finish (best-of-N, LATS).
        extra["judged"] = bool(values.get("judged"))
        extra["selection"] = values["selection"]
    return RunResult(
        graph=name,
        task=task.name,
        best=best,
        stop_reason=stop or values.get("stop_reason") or StopReason.MAX_DEPTH,
        rounds=int(values.get("round") or 0),
        candidates=candidates,
        extra=extra,
    )


async def run_graph(
    graph: str | AnyGraph,
    task: Task | str,
    *,
    model: ChatModel | str = DEFAULT_MODEL,
    budget: Budget | None = None,
    config: GenerateConfig | None = None,
    memory: MemoryStore | None = None,
    verifier: VerifierFactory | None = None,
    checkpoint: str | Path | None = None,
    thread_id: str | None = None,
    resume: bool = False,
    max_concurrency: int = 4,
    on_event: EventHandler | None = None,
    **options: Any,
) -> RunResult:
    """Run a graph on a task to its end and return the best candidate and why it stopped.

    Args:
        graph: a name ("reflexion", "self_refine", "best_of_n", "lats", "try_again", or one
            registered with `agentloop.register("graph", NAME)`) built with default LLM roles
            on `model`, or a compiled graph you built (then `model`, `config`,
            `memory`, `verifier` and `options` are not used): its state a `GraphState`, from
            whose final values the result is read (`act_check_loop` builds the simplest).
        task: a `Task`, or a bare prompt.
        model: a model string or a client. A client you pass keeps its own budget, and spends
            from `budget` too.
        budget: every model call made inside the run spends from it, whoever built the client
            (and from the client's own budget, if any); when it runs out the run ends with stop
            reason `budget`.
        checkpoint: an SQLite file; with `thread_id` of an unfinished run, that run resumes from
            its last completed node (finished model calls are not made again), with what it had
            spent of its budget.
        resume: `thread_id` must name a run in `checkpoint` (else a `GraphError`), instead of
            starting a new run under that id.
        max_concurrency: most graph branches (and model calls) in flight at once.
        on_event: called with each `GraphEvent` as it happens (progress displays).
        options: the named graph's options (e.g. `max_rounds=3`, `n=4`).
    """
    if isinstance(task, str):
        task = Task.from_prompt(task)
    budget = budget if budget is not None else Budget()
    if resume:
        _check_resumable(checkpoint, thread_id)
    thread_id = thread_id or uuid.uuid4().hex
    started = time.monotonic()
    spent_before = budget.spent
    async with AsyncExitStack() as stack:
        saver = None
        if checkpoint is not None:
            saver = await stack.enter_async_context(open_checkpointer(checkpoint))
        if isinstance(graph, str):
            name = graph
            compiled = build_graph(
                name, model=_client(model, budget, config, max_concurrency), task=task,
                budget=budget, config=config, memory=memory, verifier=verifier,
                checkpointer=saver, **options,
            )
        else:
            if options:
                raise ConfigError(
                    f"options {sorted(options)} apply to graphs built by name; pass them to "
                    "the builder of your compiled graph instead"
                )
            name = graph.name or "graph"
            compiled = graph.copy(update={"checkpointer": saver}) if saver is not None else graph
        run_config: RunnableConfig = {
            "max_concurrency": max_concurrency,
            # Each LangGraph superstep counts: a long search takes many.
            "recursion_limit": 10_000,
        }
        # The thread id is the checkpointer's key. A graph built here without one never reads
        # it, and LangGraph merges `configurable` into every step's config (~40k instructions a
        # step, benchmark P1). A graph you built may have its own checkpointer, or read it.
        if compiled.checkpointer or not isinstance(graph, str):
            run_config["configurable"] = {"thread_id": thread_id}
        graph_input: dict[str, Any] | None = _initial_state(task)
        resumed = finished = False
        spent_earlier: BudgetUsage | None = None
        values: dict[str, Any] = {}
        if saver is not None:
            snapshot = await compiled.aget_state(run_config)
            if snapshot.values:
                stored = snapshot.values.get("task")
                if stored is not None and stored != task:
                    raise ConfigError(
                        f"checkpoint thread {thread_id!r} holds another task ({stored.name!r}); "
                        "resume it with that task, or use a new thread id"
                    )
                values = dict(snapshot.values)
                resumed = True
                finished = not snapshot.next
                # None tells LangGraph to go on from the last checkpoint.
                graph_input = None
                spent_earlier = await saver.spent_by(thread_id)
                if spent_earlier is not None:
                    budget.restore(spent_earlier)
            elif resume:
                raise GraphError(
                    f"no run with thread id {thread_id!r} in checkpoint file {str(checkpoint)!r}; "
                    "check the id (printed when the run started), or start a new run without it"
                )
            # What this thread has spent, earlier parts included, is saved with every step.
            spent_before = budget.spent
            saver.spent = _spent_since(budget, spent_before, spent_earlier)
        attributes = {
            "agentloop.graph": name,
            "agentloop.task": task.name,
            "agentloop.thread_id": thread_id,
            "agentloop.resumed": resumed,
        }
        with span(f"invoke_workflow {name}", kind=SpanKind.WORKFLOW, attributes=attributes) as root:
            if saver is not None:
                # The workflow span is written when the run ends; a run killed before then
                # still leaves this one, saying which thread resumes it.
                where = {**attributes, "agentloop.checkpoint": str(checkpoint)}
                with span("checkpoint", attributes=where):
                    pass
            stop: StopReason | None = None
            failures: list[ModelError] = []
            failures_token = model_failures.set(failures)
            try:
                if not finished:
                    # With a checkpointer, each step is on disk before the next starts, so a
                    # kill -9 loses at most the steps in flight.
                    durable: dict[str, Any] = {"durability": "sync"} if saver is not None else {}
                    # "custom" only when someone listens: LangGraph hands each custom event to
                    # the loop with call_soon_threadsafe (a self-pipe write and wake-up), which
                    # costs about as much per node as the rest of the step (benchmark P1).
                    modes: list[StreamMode] = ["values"]
                    if on_event is not None:
                        modes.append("custom")
                    # Nodes skip building events that would go nowhere.
                    token = listening.set(on_event is not None)
                    try:
                        # Every model call in the run spends from its budget, whoever built
                        # the client (tasks LangGraph starts inherit this context).
                        with run_budget(budget):
                            async for mode, chunk in compiled.astream(
                                graph_input, run_config, stream_mode=modes, **durable
                            ):
                                if mode == "values" and isinstance(chunk, dict):
                                    values = chunk
                                elif on_event is not None and isinstance(chunk, GraphEvent):
                                    on_event(chunk)
                    finally:
                        listening.reset(token)
            except BudgetExhausted:
                # Raised outside any node (a router, a custom node without `node()`).
                stop = StopReason.BUDGET
            except ModelError as exc:
                # Raised outside any node: the run ends with the best candidate of its last
                # completed step (a checkpointed run can resume from there).
                stop = StopReason.ERROR
                failures.append(exc)
            finally:
                model_failures.reset(failures_token)
            result = _result(name, values, task=task, stop=stop)
            if failures:
                # A node that failed ends the run with stop reason `error` (see `node()`).
                root.record_error(failures[0])
                error = f"{type(failures[0]).__name__}: {failures[0]}"
                result = result.model_copy(update={"extra": {**result.extra, "error": error}})
            usage, calls = _usage_between(spent_before, budget.spent)
            result = result.model_copy(
                update={
                    "usage": usage,
                    "calls": calls,
                    "wall_seconds": time.monotonic() - started,
                    "trace_id": root.trace_id,
                    "thread_id": thread_id,
                }
            )
            root.set_attributes(
                {
                    "agentloop.stop_reason": str(result.stop_reason),
                    "agentloop.outcome": "success" if result.succeeded else "failure",
                    "agentloop.rounds": result.rounds,
                    "agentloop.candidates": len(result.candidates),
                    "agentloop.calls": calls,
                }
            )
            if result.best is not None:
                root.set_attribute("agentloop.answer", result.best.text)
                root.add_evaluation(
                    "outcome", score=result.best.score, label=str(result.stop_reason)
                )
    if on_event is not None:
        on_event(GraphEvent(kind="stop", stop_reason=str(result.stop_reason),
                            score=result.score, passed=result.best.passed if result.best else None))
    return result


def _spent_since(
    budget: Budget, before: BudgetUsage, earlier: BudgetUsage | None
) -> Callable[[], BudgetUsage]:
    """What a checkpointed thread has spent: `earlier` (its parts before a resume) plus what
    `budget` has spent since `before`."""
    base = earlier or BudgetUsage()

    def spent() -> BudgetUsage:
        now = budget.spent
        return BudgetUsage(
            input_tokens=base.input_tokens + now.input_tokens - before.input_tokens,
            output_tokens=base.output_tokens + now.output_tokens - before.output_tokens,
            cost_usd=base.cost_usd + now.cost_usd - before.cost_usd,
            calls=base.calls + now.calls - before.calls,
            wall_seconds=base.wall_seconds + now.wall_seconds - before.wall_seconds,
        )

    return spent


def _check_resumable(checkpoint: str | Path | None, thread_id: str | None) -> None:
    if checkpoint is None or thread_id is None:
        raise ConfigError("resuming a run needs both checkpoint= (the file) and thread_id=")
    if not Path(checkpoint).is_file():
        raise GraphError(
            f"no checkpoint file {str(checkpoint)!r} to resume thread {thread_id!r} from; "
            "check the path"
        )


def _client(
    model: ChatModel | str, budget: Budget, config: GenerateConfig | None, max_concurrency: int
) -> ChatModel:
    if not isinstance(model, str):
        return model
    from agentloop.model import ModelClient

    return ModelClient(model, budget=budget, config=config, max_concurrency=max_concurrency)


def run_graph_sync(graph: str | AnyGraph, task: Task | str, **kwargs: Any) -> RunResult:
    """`run_graph` for code that is not async (scripts, notebooks without a running loop)."""

    async def main() -> RunResult:
        return await run_graph(graph, task, **kwargs)

    return anyio.run(main)
