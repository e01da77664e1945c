"""`agentloop.testing` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.testing
from tests.public_surface import public_names

EXPECTED = {
    # Fakes: the scripted model and the guard against network models.
    "ScriptedCall", "ScriptedModel", "count_words", "block_network_models",
    # The conformance suites a backend's author runs.
    "SANDBOX_CHECKS", "SandboxCheck", "check_sandbox", "CONFORMANCE_LIMITS",
    "MEMORY_CHECKS", "MemoryCheck", "check_memory_store", "ConformanceFailure",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.testing.__all__) == EXPECTED
    assert public_names(agentloop.testing) == EXPECTED
