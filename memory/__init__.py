"""Memory: lessons, principles and judge experience that persist across runs.

Stores (one `MemoryStore` protocol): `InProcessMemoryStore`, `ChromaMemoryStore` (embedded,
the default) and `ChromaServerMemoryStore` (shared); `open_memory` picks one from a name, a
folder or a URL. Embedders turn text into vectors offline (`MiniLMEmbedder`; `HashingEmbedder`
is a fake for tests). `retrieve_for_prompt` puts the best entries into a prompt.
"""

from agentloop._memory import MemoryEntry, MemoryKind, MemoryStore, ScoredEntry
from agentloop.memory._base import VectorMemoryStore
from agentloop.memory._chroma import (
    DEFAULT_COLLECTION,
    DEFAULT_PATH,
    DEFAULT_SERVER_URL,
    ChromaMemoryStore,
    ChromaServerMemoryStore,
)
from agentloop.memory._chroma_ef import register_embedding_function
from agentloop.memory._embedders import (
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
    embedder_from_config,
    resolve_embedder,
)
from agentloop.memory._inprocess import InProcessMemoryStore
from agentloop.memory._open import open_memory
from agentloop.memory._scoring import UsefulnessPolicy, rank_hits

__all__ = [
    "DEFAULT_COLLECTION",
    "DEFAULT_PATH",
    "DEFAULT_SERVER_URL",
    "ChromaMemoryStore",
    "ChromaServerMemoryStore",
    "Embedder",
    "HashingEmbedder",
    "InProcessMemoryStore",
    "MemoryEntry",
    "MemoryKind",
    "MemoryStore",
    "MiniLMEmbedder",
    "ScoredEntry",
    "UsefulnessPolicy",
    "VectorMemoryStore",
    "embedder_from_config",
    "open_memory",
    "rank_hits",
    "register_embedding_function",
    "resolve_embedder",
]
