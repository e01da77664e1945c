"""Fixtures for the tracing tests: the per-test store and a way to run writer processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.tracing import TraceStore, trace_store

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store() -> TraceStore:
    """The store the autouse fixture opened for this test."""
    current = trace_store()
    assert current is not None
    return current


def python_process(code: str, *, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start `python -c code` that can import agentloop from this checkout."""
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
