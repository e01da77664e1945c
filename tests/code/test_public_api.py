"""`agentloop.code` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.code
from tests.public_surface import public_names

EXPECTED = {"docstring_tests", "extract_code", "fenced_blocks", "function_names"}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.code.__all__) == EXPECTED
    assert public_names(agentloop.code) == EXPECTED
