"""`agentloop.model` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.model
from tests.public_surface import public_names

EXPECTED = {
    "ModelClient", "GenerateConfig", "RetryPolicy", "ResponseCache", "DEFAULT_MODEL",
    # Which of n samples a call is, for seeded sampling.
    "current_sample_index", "sample_index",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.model.__all__) == EXPECTED
    assert public_names(agentloop.model) == EXPECTED
