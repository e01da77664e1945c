"""`import agentloop.memory` stays light: chromadb and torch load only when a store needs them."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_memory_loads_no_heavy_library() -> None:
    probe = (
        "import json, sys, agentloop.memory\n"
        "store = agentloop.memory.open_memory('inprocess', embedder='hashing')\n"
        "print(json.dumps([m for m in ('chromadb', 'torch', 'sentence_transformers', "
        "'transformers') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
