"""Fixtures for the model-client tests: a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openai_loopback import ScriptedServer, running_server


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A real OpenAI-compatible server on loopback; a test sets its `script` of replies."""
    with running_server() as s:
        yield s
