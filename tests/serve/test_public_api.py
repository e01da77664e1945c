"""`agentloop.serve` exports exactly its documented names, and importing it loads no aiohttp."""

from __future__ import annotations

import subprocess
import sys
import types

import agentloop.serve

EXPECTED = {"ModelServer"}


def test_all_is_exactly_the_documented_surface() -> None:
    assert set(agentloop.serve.__all__) == EXPECTED


def test_every_public_name_in_the_package_is_exported() -> None:
    public = {
        name
        for name, value in vars(agentloop.serve).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(agentloop.serve.__all__)


def test_importing_serve_leaves_aiohttp_unloaded_until_a_server_is_built() -> None:
    probe = (
        "import sys, agentloop.serve; loaded = 'aiohttp' in sys.modules; "
        "from agentloop.model import ModelClient; from agentloop.testing import ScriptedModel; "
        "agentloop.serve.ModelServer(ModelClient(ScriptedModel(replies=[]).model)).app(); "
        "print(loaded, 'aiohttp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
