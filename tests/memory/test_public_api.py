"""`agentloop.memory` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.memory
from tests.public_surface import public_names

EXPECTED = {
    # Entries and stores.
    "MemoryEntry", "MemoryKind", "MemoryStore", "ScoredEntry", "VectorMemoryStore",
    "InProcessMemoryStore", "ChromaMemoryStore", "ChromaServerMemoryStore",
    "DEFAULT_COLLECTION", "DEFAULT_PATH", "DEFAULT_SERVER_URL", "open_memory",
    # Embedders.
    "Embedder", "HashingEmbedder", "MiniLMEmbedder", "embedder_from_config",
    "resolve_embedder", "register_embedding_function",
    # Writing, exporting and retrieving entries.
    "lesson", "judge_experience", "dump_entries", "export_jsonl", "import_jsonl", "read_entries",
    "HEADINGS", "RetrievedMemory", "approx_tokens_from_chars", "retrieve_for_prompt",
    "UsefulnessPolicy", "rank_hits",
    # Principles distilled from feedback.
    "Feedback", "PrincipleDraft", "PrincipleWriter", "cluster_feedback", "distill_principles",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.memory.__all__) == EXPECTED
    assert public_names(agentloop.memory) == EXPECTED
