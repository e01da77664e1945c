"""`agentloop.testing` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.testing
from tests.public_surface import public_names

EXPECTED = {"ScriptedCall", "ScriptedModel", "count_words", "block_network_models"}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.testing.__all__) == EXPECTED
    assert public_names(agentloop.testing) == EXPECTED
