"""`agentloop.cli` exports exactly its documented names (the typer app and its entry point), and
every public name it holds."""

from __future__ import annotations

import agentloop.cli
from tests.public_surface import public_names

EXPECTED = {"app", "main"}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.cli.__all__) == EXPECTED
    assert public_names(agentloop.cli) == EXPECTED
