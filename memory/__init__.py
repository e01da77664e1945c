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
from agentloop.memory._jsonl import dump_entries, export_jsonl, import_jsonl, read_entries
from agentloop.memory._kinds import judge_experience, lesson
from agentloop.memory._open import open_memory
from agentloop.memory._principles import (
    Feedback,
    PrincipleDraft,
    PrincipleWriter,
    cluster_feedback,
    distill_principles,
)
from agentloop.memory._retrieval import (
    HEADINGS,
    RetrievedMemory,
    approx_tokens_from_chars,
    retrieve_for_prompt,
)
from agentloop.memory._scoring import UsefulnessPolicy, rank_hits

__all__ = [
    "DEFAULT_COLLECTION",
    "DEFAULT_PATH",
    "DEFAULT_SERVER_URL",
    "HEADINGS",
    "ChromaMemoryStore",
    "ChromaServerMemoryStore",
    "Embedder",
    "Feedback",
    "HashingEmbedder",
    "InProcessMemoryStore",
    "MemoryEntry",
    "MemoryKind",
    "MemoryStore",
    "MiniLMEmbedder",
    "PrincipleDraft",
    "PrincipleWriter",
    "RetrievedMemory",
    "ScoredEntry",
    "UsefulnessPolicy",
    "VectorMemoryStore",
    "approx_tokens_from_chars",
    "cluster_feedback",
    "distill_principles",
    "dump_entries",
    "embedder_from_config",
    "export_jsonl",
    "import_jsonl",
    "judge_experience",
    "lesson",
    "open_memory",
    "rank_hits",
    "read_entries",
    "register_embedding_function",
    "resolve_embedder",
    "retrieve_for_prompt",
]
