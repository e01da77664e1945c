"""Embedders: the real MiniLM offline, and the hashing fake for tests."""

from __future__ import annotations

import math
import os

import pytest

from agentloop.errors import ConfigError
from agentloop.memory import HashingEmbedder, MiniLMEmbedder, embedder_from_config


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.slow
def test_minilm_is_offline_normalised_and_semantic(minilm: MiniLMEmbedder) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    cat, kitten, tax = minilm.embed(
        ["a cat sleeps on the sofa", "a kitten naps on the couch", "file your tax return"]
    )
    assert len(cat) == minilm.dimension == 384
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
