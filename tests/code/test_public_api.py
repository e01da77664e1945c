"""`agentloop.code` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import types

import agentloop.code

EXPECTED = {"docstring_tests", "extract_code", "fenced_blocks", "function_names"}


def test_all_is_exactly_the_documented_surface() -> None:
    assert set(agentloop.code.__all__) == EXPECTED


def test_every_public_name_in_the_package_is_exported() -> None:
    public = {
        name
        for name, value in vars(agentloop.code).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(agentloop.code.__all__)
