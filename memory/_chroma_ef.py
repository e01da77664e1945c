"""Our embedders as a registered ChromaDB embedding function, so a collection remembers how its
vectors were made and reopens with the same embedder in any process.

ChromaDB persists an embedding function's `name()` and `get_config()` with the collection and
rebuilds it through its registry (`register_embedding_function`) when the collection is opened
without one; without this it would fall back to its default ONNX embedder, which downloads.
"""

from __future__ import annotations

import threading
from typing import Any

from agentloop.memory._embedders import Embedder, embedder_from_config

__all__ = ["EMBEDDING_FUNCTION_NAME", "chroma_embedding_function", "register_embedding_function"]

EMBEDDING_FUNCTION_NAME = "agentloop"

_lock = threading.Lock()
_registered: type | None = None


def register_embedding_function() -> type:
    """Define and register the ChromaDB embedding function class (once; imports chromadb).

    Call it before opening an agentloop collection with a bare `chromadb` client.
    """
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
        from chromadb.utils import embedding_functions

        class AgentloopEmbeddingFunction(EmbeddingFunction[Documents]):
            """An agentloop `Embedder` behind ChromaDB's embedding-function interface."""

            def __init__(self, embedder: Embedder) -> None:
                self.embedder = embedder

            def __call__(self, input: Documents) -> Embeddings:
                import numpy as np

                return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(input)]

            @staticmethod
            def name() -> str:
                return EMBEDDING_FUNCTION_NAME

            def default_space(self) -> Space:
                return "cosine"

            def supported_spaces(self) -> list[Space]:
                # Vectors are unit length: cosine and inner product rank alike.
                return ["cosine", "ip"]

            @staticmethod
            def build_from_config(config: dict[str, Any]) -> AgentloopEmbeddingFunction:
                return AgentloopEmbeddingFunction(embedder_from_config(config))

            def get_config(self) -> dict[str, Any]:
                return self.embedder.config()

            def validate_config_update(
                self, old_config: dict[str, Any], new_config: dict[str, Any]
            ) -> None:
                if old_config != new_config:
                    raise ValueError(
                        "an agentloop memory collection cannot change its embedder "
                        f"({old_config} -> {new_config}): its vectors would stop matching"
                    )

        # Untyped in chromadb; it files the class under its name() for build_from_config.
        register: Any = embedding_functions.register_embedding_function
        register(AgentloopEmbeddingFunction)
        _registered = AgentloopEmbeddingFunction
        return _registered


def chroma_embedding_function(embedder: Embedder) -> Any:
    """A registered ChromaDB embedding function wrapping `embedder`."""
    return register_embedding_function()(embedder)
