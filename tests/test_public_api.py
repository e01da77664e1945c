"""`agentloop` exports exactly its documented names and holds no other public name, once its lazy
names are resolved; the lazy ones stay unloaded until touched."""

from __future__ import annotations

import subprocess
import sys

import agentloop
from tests.public_surface import public_names

EXPECTED = {
    # The core: messages, budgets, verdicts, memory entries, errors, the registry.
    "Message", "Role", "Completion", "Usage", "assistant", "system", "user",
    "Budget", "BudgetUsage", "BudgetExhausted",
    "Verdict", "VerdictStatus", "Verifier", "TestOutcome", "TestResult",
    "MemoryEntry", "MemoryKind", "MemoryStore", "ScoredEntry",
    "AgentloopError", "ConfigError", "ToolError",
    "register", "registered", "resolve",
    "__version__",
    # Tracing.
    "SpanKind", "configure_tracing", "span", "traced",
    # Imported on first use (model client, tasks, graphs, sandbox, memory).
    "GenerateConfig", "ModelClient", "ResponseCache", "RetryPolicy",
    "Task",
    "RunResult", "run_graph", "run_graph_sync",
    "LocalSandbox", "PythonTestVerifier",
    "open_memory", "retrieve_for_prompt",
}

# Private names that are nevertheless part of the surface.
DUNDERS = {"__version__"}


def _offered_names() -> set[str]:
    """Every public name the package holds, lazy ones included (touched first so they are in
    its namespace)."""
    for name in [*agentloop.__all__, *agentloop._LAZY]:
        getattr(agentloop, name, None)
    return public_names(agentloop) | (DUNDERS & set(vars(agentloop)))


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.__all__) == EXPECTED
    assert _offered_names() == EXPECTED


def test_lazy_names_resolve_and_heavy_modules_stay_unloaded_until_touched() -> None:
    probe = (
        "import sys, agentloop; assert 'langgraph' not in sys.modules; "
        "agentloop.run_graph; assert 'langgraph' in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
