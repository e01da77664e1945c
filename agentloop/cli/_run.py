"""`agentloop run GRAPH`: a refinement graph on a task, with live progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentloop._registry import builtin_names
from agentloop.model import DEFAULT_MODEL

if TYPE_CHECKING:
    from rich.console import RenderableType

    from agentloop.graphs import GraphEvent, RunResult
    from agentloop.roles import Task

__all__ = ["register"]

def _parse_options(pairs: list[str]) -> dict[str, Any]:
    from agentloop.errors import ConfigError

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option takes KEY=VALUE (e.g. max_rounds=3), got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        options[key.replace("-", "_")] = value
    return options


class _Progress:
    """What the live display shows: the current step, and every candidate with its score."""

    def __init__(self, graph: str, task: Task, model: str) -> None:
        self.graph = graph
        self.task = task
        self.model = model
        self.node = "starting"
        self.round: int | None = None
        self.rows: dict[str, dict[str, Any]] = {}
        self.feedback = ""

    def on_event(self, event: GraphEvent) -> None:
        if event.kind == "node_started":
            self.node = event.node or self.node
            self.round = event.round if event.round is not None else self.round
        elif event.kind == "candidate" and event.candidate_id:
            self.rows[event.candidate_id] = {"round": event.round, "score": None, "passed": None}
        elif event.kind == "score" and event.candidate_id in self.rows:
            self.rows[event.candidate_id].update(score=event.score, passed=event.passed)
        elif event.kind == "feedback" and event.text:
            self.feedback = event.text
            if event.candidate_id in self.rows:
                self.rows[event.candidate_id]["feedback"] = event.text

    def render(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        head = Text.assemble(
            (f"{self.graph}", "bold"), f" on {self.task.name!r} with {self.model} — ",
            (f"{self.node}", "cyan"),
            f" (round {self.round})" if self.round is not None else "",
        )
        table = Table(box=None, pad_edge=False, show_edge=False)
        for column, width in (("candidate", 9), ("round", 5), ("score", 5), ("tests", 5)):
            table.add_column(column, min_width=width, no_wrap=True)
        table.add_column("feedback", overflow="ellipsis", no_wrap=True, ratio=1)
        for cid, row in list(self.rows.items())[-10:]:
            score = "…" if row["score"] is None else f"{row['score']:.2f}"
            passed = {True: "[green]pass[/]", False: "[red]fail[/]", None: ""}[row["passed"]]
            first_line = (row.get("feedback") or "").strip().splitlines()
            table.add_row(cid[:8], str(row["round"]), score, passed,
                          first_line[0] if first_line else "")
        parts: list[RenderableType] = [head, table]
        if self.feedback:
            parts.append(Text(f"last feedback: {self.feedback.strip()[:300]}\n", style="dim"))
        return Group(*parts)


def _show_result(result: RunResult, task: Task) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.syntax import Syntax

    console = Console()
    if result.best is not None:
        body: RenderableType = (
            Syntax(result.answer, "python") if task.is_code else result.answer
        )
        console.print(Panel(body, title="best candidate", expand=False))
    else:
        console.print("[yellow]no candidate was produced[/]")
    score = "-" if result.score is None else f"{result.score:.2f}"
    style = "green" if result.succeeded else "yellow"
    console.print(
        f"stop reason: [{style}]{result.stop_reason}[/]   score: {score}   "
        f"rounds: {result.rounds}   candidates: {len(result.candidates)}",
        highlight=False,
    )
    console.print(
        f"calls: {result.calls}   tokens: {result.usage.total_tokens}   "
        f"time: {result.wall_seconds:.1f}s",
        highlight=False,
    )
    console.print(
        f"trace: {result.trace_id}   thread: {result.thread_id}", highlight=False, soft_wrap=True
    )
    for note in _notes(result):
        console.print(note, highlight=False, soft_wrap=True)


def _notes(result: RunResult) -> list[str]:
    """What the user must know to read the result right: the answer was never verified, or
    the winner never judged."""
    from rich.markup import escape

    notes = []
    best = result.best
    if best is not None and best.status is not None and not best.status.verified:
        reason = (best.feedback.strip().splitlines() or [""])[0].removeprefix("Not verified: ")
        notes.append(f"[yellow]not verified ({best.status}):[/] {escape(reason)}")
    if result.extra.get("judged") is False and result.extra.get("selection"):
        notes.append(f"[yellow]winner:[/] {escape(str(result.extra['selection']))}")
    return notes


def run(
    graph: Annotated[str, typer.Argument(
        help=f"The graph: {', '.join(builtin_names('graph'))}, or one a package registers."
    )],
    task_file: Annotated[
        Path | None, typer.Option("--task", "-t", help="A task YAML file (see examples/).")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="A bare prompt instead of a task file.")
    ] = None,
    model: Annotated[
        str, typer.Option("--model", "-m", help="A litellm model string or local/<name>.")
    ] = DEFAULT_MODEL,
    budget_tokens: Annotated[
        int | None, typer.Option("--budget-tokens", min=1, help="Most tokens for the run.")
    ] = None,
    budget_calls: Annotated[
        int | None, typer.Option("--budget-calls", min=1, help="Most model calls for the run.")
    ] = None,
    budget_seconds: Annotated[
        float | None,
        typer.Option("--budget-seconds", min=0.1, help="Most wall time (cuts a call in flight)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Seconds one model call may take before it is "
                     "retried [default: 60 for a remote model, 600 for a local one]."),
    ] = None,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="Most tokens per model answer.")
    ] = 256,
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, help="Sampling temperature.")
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option("--threads", envvar="AGENTLOOP_LOCAL_THREADS", min=1,
                     help="llama.cpp threads for local models."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Most branches and calls in flight.")
    ] = 4,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="SQLite checkpoint file; with --thread, resume."),
    ] = None,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Checkpoint thread id to resume.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="A graph option KEY=VALUE, e.g. max_rounds=3."),
    ] = None,
    tree_out: Annotated[
        Path | None,
        typer.Option("--tree-out", help="lats: write the search tree: a picture for .png, "
                     "rows for .json, else Graphviz dot text."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead.")
    ] = False,
) -> None:
    """Run a refinement graph on a task: live progress, then the best answer and stop reason."""
    import anyio
    from rich.console import Console
    from rich.live import Live

    from agentloop._budget import Budget
    from agentloop.errors import ConfigError
    from agentloop.graphs import StopReason, TreeNode, check_options, run_graph, write_tree
    from agentloop.model import GenerateConfig
    from agentloop.roles import Task

    # Checked first, before any model is loaded or called: a typo must not cost a call.
    options = check_options(graph, _parse_options(option or []))
    if (task_file is None) == (prompt is None):
        raise ConfigError("give exactly one of --task TASK.yaml or --prompt TEXT")
    task = Task.from_yaml(task_file) if task_file is not None else Task.from_prompt(prompt or "")
    extra: dict[str, Any] = {}
    if model.startswith("local/") and threads is not None:
        extra["n_threads"] = threads
    config = GenerateConfig(
        max_tokens=max_tokens, temperature=temperature, timeout=timeout, extra=extra
    )
    budget = Budget(max_tokens=budget_tokens, max_calls=budget_calls, max_seconds=budget_seconds)
    resume = thread is not None
    if resume and checkpoint is None:
        raise ConfigError("--thread resumes a checkpointed run: give its --checkpoint FILE too")
    if checkpoint is not None:
        import uuid

        thread = thread or uuid.uuid4().hex
        # Now, not at the end: a run that is killed can only be resumed with this id.
        verb = "resuming" if resume else "checkpointing to"
        Console(stderr=True).print(
            f"{verb} {checkpoint}   thread: {thread}   (resume: --checkpoint {checkpoint} "
            f"--thread {thread})", highlight=False, soft_wrap=True,
        )
    progress = _Progress(graph, task, model)
    console = Console(stderr=True)

    async def main() -> RunResult:
        return await run_graph(
            graph, task, model=model, budget=budget, config=config, checkpoint=checkpoint,
            thread_id=thread, resume=resume, max_concurrency=concurrency, on_event=handle,
            **options,
        )

    if as_json:
        def handle(event: GraphEvent) -> None:
            progress.on_event(event)

        result = anyio.run(main)
        typer.echo(result.model_dump_json(indent=2))
    else:
        with Live(progress.render(), console=console, refresh_per_second=8,
                  transient=False) as live:
            def handle(event: GraphEvent) -> None:
                progress.on_event(event)
                live.update(progress.render())

            result = anyio.run(main)
        _show_result(result, task)
    if tree_out is not None:
        rows = [TreeNode.model_validate(row) for row in result.extra.get("tree", [])]
        if not rows:
            raise ConfigError(f"graph {graph!r} has no search tree to write; only lats does")
        write_tree(rows, tree_out, candidates=result.candidates)
    if result.stop_reason is StopReason.ERROR:
        # The best answer so far is shown above; the run itself did not finish.
        typer.echo(f"error: {result.extra.get('error', 'a model call failed')}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
