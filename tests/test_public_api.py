"""The public surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import agentloop

EXPECTED_TOP_LEVEL = {
    "AgentloopError",
    "Budget",
    "BudgetExhausted",
    "BudgetUsage",
    "Completion",
    "ConfigError",
    "MemoryEntry",
    "MemoryKind",
    "MemoryStore",
    "Message",
    "Role",
    "ScoredEntry",
    "TestOutcome",
    "TestResult",
    "ToolError",
    "Usage",
    "Verdict",
    "VerdictStatus",
    "Verifier",
    "__version__",
    "assistant",
    "register",
    "registered",
    "resolve",
    "system",
    "user",
    "SpanKind",
    "configure_tracing",
    "span",
    "traced",
    "GenerateConfig",
    "ModelClient",
    "ResponseCache",
    "RetryPolicy",
    "Task",
    "RunResult",
    "run_graph",
    "run_graph_sync",
    "LocalSandbox",
    "PythonTestVerifier",
    "open_memory",
    "retrieve_for_prompt",
}


def test_top_level_all_is_exactly_the_documented_surface() -> None:
    assert set(agentloop.__all__) == EXPECTED_TOP_LEVEL


def test_lazy_names_resolve_and_heavy_modules_stay_unloaded_until_touched() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, agentloop; assert 'langgraph' not in sys.modules; "
        "agentloop.run_graph; assert 'langgraph' in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_every_exported_name_exists() -> None:
    missing = [name for name in agentloop.__all__ if not hasattr(agentloop, name)]
    assert missing == []
