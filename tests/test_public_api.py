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
}


def test_top_level_all_is_exactly_the_documented_surface() -> None:
    assert set(agentloop.__all__) == EXPECTED_TOP_LEVEL


def test_every_exported_name_exists() -> None:
    missing = [name for name in agentloop.__all__ if not hasattr(agentloop, name)]
    assert missing == []
