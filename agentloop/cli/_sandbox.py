"""`agentloop verify FILE --tests TESTS` and `agentloop sandbox gc`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from agentloop.errors import ConfigError

__all__ = ["register"]

_out = Console()


def _read(path_or_text: str, what: str) -> str:
    path = Path(path_or_text)
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path_or_text}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} file {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file {path}: {exc.strerror}") from exc


def verify(
    file: str = typer.Argument(..., help="The Python file to verify (the candidate)."),
    tests: str = typer.Option(
        ..., "--tests", "-t",
        help="A file of tests: assert lines, a HumanEval `def check(candidate)`, "
        "or pytest-style test_ functions.",
    ),
    entry_point: str | None = typer.Option(
        None, "--entry-point", "-e", help="The function the tests call (needed for check())."
    ),
    backend: str = typer.Option("local", "--sandbox", help="Sandbox backend: local or docker."),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds each test may run."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Run FILE against TESTS in the sandbox and print the verdict; exit 1 unless it passes
    (a run that verified nothing, such as one where no test ran, does not pass)."""
    import anyio

    from agentloop.sandbox import PythonTestVerifier

    verifier = PythonTestVerifier(
        _read(tests, "tests"), entry_point=entry_point, sandbox=backend, test_timeout_s=timeout
    )
    verdict = anyio.run(verifier.verify, _read(file, "candidate"))
    if as_json:
        typer.echo(verdict.model_dump_json(indent=2))
    else:
        verified = verdict.status.verified
        colour = "green" if verdict.passed else "red" if verified else "yellow"
        label = verdict.status.value if verified else f"not verified ({verdict.status.value})"
        _out.print(
            f"[bold {colour}]{label}[/]  score {verdict.score:.2f}  ({verdict.duration_s:.2f}s)"
        )
        if verdict.tests:
            table = Table(show_header=True, header_style="bold")
            for column in ("test", "outcome", "detail"):
                table.add_column(column)
            for test in verdict.tests:
                if test.passed:
                    detail = ""
                elif test.actual is not None:
                    detail = f"got {test.actual}, expected {test.expected}"
                else:
                    detail = f"{test.exception_type or ''}: {test.message or ''}".strip(": ")
                style = "green" if test.passed else "red"
                first_line = test.source.strip().splitlines()[0]
                table.add_row(first_line, f"[{style}]{test.outcome.value}[/]", detail)
            _out.print(table)
        if not verdict.passed:
            _out.print(verdict.feedback, highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(0 if verdict.passed else 1)


def gc(
    everything: bool = typer.Option(
        False, "--all", help="Remove every agentloop sandbox container, even live episodes'."
    ),
) -> None:
    """Remove Docker sandbox containers whose owning process is gone."""
    from agentloop.sandbox import gc_containers

    removed = gc_containers(everything=everything)
    names = f": {' '.join(removed)}" if removed else ""
    _out.print(f"removed {len(removed)} sandbox container(s){names}")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    sandbox_app = typer.Typer(help="Manage sandboxes.", no_args_is_help=True)
    sandbox_app.command("gc")(gc)
    app.add_typer(sandbox_app, name="sandbox")
