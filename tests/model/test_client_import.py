"""The model client keeps `import agentloop` light: litellm loads on the first call only."""

from __future__ import annotations

import subprocess
import sys


def test_importing_agentloop_and_the_client_does_not_import_litellm() -> None:
    code = (
        "import sys, agentloop, agentloop.model, agentloop.testing\n"
        "from agentloop.model import ModelClient\n"
        "ModelClient('scripted/x')\n"
        "print(sorted(m for m in ('litellm', 'openai', 'llama_cpp') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
