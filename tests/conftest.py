"""Shared test setup: markers, and skips for what this machine lacks."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests on the real local model run one at a time, last, so that nothing else CPU-heavy
    # runs beside llama.cpp's spinning threads.
    items.sort(key=lambda item: item.get_closest_marker("local_model") is not None)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # litellm, and so the model client, runs on asyncio only


@pytest.fixture(scope="session")
def bwrap_available() -> bool:
    return shutil.which("bwrap") is not None


@pytest.fixture(autouse=True)
def _trace_store_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Spans opened by any test go to a throwaway store, never to ./.agentloop/traces.db.
    from agentloop.tracing import configure_tracing, disable_tracing

    path = tmp_path_factory.mktemp("traces") / "traces.db"
    configure_tracing(path=path)
    yield path
    disable_tracing()


def command_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A CLI app with only the command group that `register` adds (as `agentloop <group> ...`)."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass  # a callback keeps typer from collapsing a lone command into the app itself

    register(app)
    return app


def invoke_ok(app: typer.Typer, *args: str) -> str:
    """Run the CLI with `args` and return its output; what it raised is raised here, and a
    non-zero exit fails the test with the output."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output
