"""The `agentloop` command line (typer + rich).

Each command group lives in its own module with a `register(app)` function; heavy imports
stay inside the command bodies so that `agentloop --help` is fast.
"""

from __future__ import annotations

import importlib
import sys

import rich.console
import typer
import typer.exceptions

from agentloop import errors
from agentloop._version import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="agentloop",
    help="Agents that get better from feedback.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_COMMAND_MODULES = [
    "agentloop.cli._models",
    "agentloop.cli._traces",
    "agentloop.cli._memory",
    "agentloop.cli._sandbox",
    "agentloop.cli._run",
]

_err = rich.console.Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"agentloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """Agents that get better from feedback."""


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    """Entry point: run the CLI; bad input or an agentloop error becomes one line, exit 1 or 2."""
    _register_commands()
    try:
        # standalone_mode=False lets usage errors reach us, so they print as one line too.
        result = app(standalone_mode=False)
        if isinstance(result, int) and result != 0:
            sys.exit(result)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _err.print("aborted")
        sys.exit(130)
    except typer.exceptions.TyperException as exc:
        # click's usage errors (bad flag, missing argument), vendored by typer.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        _err.print(f"[bold red]error:[/] {message}{hint}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except errors.AgentloopError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        _err.print("interrupted")
        sys.exit(130)
