"""`agentloop.serve` exports exactly its documented names, and importing it loads no aiohttp."""

from __future__ import annotations

import subprocess
import sys

import agentloop.serve
from tests.public_surface import public_names

EXPECTED = {"ModelServer"}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.serve.__all__) == EXPECTED
    assert public_names(agentloop.serve) == EXPECTED


def test_importing_serve_leaves_aiohttp_unloaded_until_a_server_is_built() -> None:
    probe = (
        "import sys, agentloop.serve; loaded = 'aiohttp' in sys.modules; "
        "from agentloop.model import ModelClient; from agentloop.testing import ScriptedModel; "
        "agentloop.serve.ModelServer(ModelClient(ScriptedModel(replies=[]).model)).app(); "
        "print(loaded, 'aiohttp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
