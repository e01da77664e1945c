"""`open_memory`: a store from a name, a folder or a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentloop._registry import _REGISTRY
from agentloop.errors import ConfigError
from agentloop.memory import (
    DEFAULT_PATH,
    ChromaMemoryStore,
    ChromaServerMemoryStore,
    InProcessMemoryStore,
    open_memory,
)


def test_names_paths_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("chromadb")
    assert isinstance(open_memory("inprocess", embedder="hashing"), InProcessMemoryStore)
    default = open_memory()
    assert isinstance(default, ChromaMemoryStore) and default.path == DEFAULT_PATH
    folder = open_memory(tmp_path / "m")
    assert isinstance(folder, ChromaMemoryStore) and folder.path == tmp_path / "m"
    assert isinstance(open_memory("./relative/memory"), ChromaMemoryStore)
    server = open_memory("http://127.0.0.1:8123", collection="team")
    assert isinstance(server, ChromaServerMemoryStore)
    assert server.url == "http://127.0.0.1:8123" and server.collection_name == "team"
    store = InProcessMemoryStore(embedder="hashing")
    assert open_memory(store) is store


def test_registered_backends_are_found_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        _REGISTRY["memory"], "tiny", lambda **options: InProcessMemoryStore(embedder="hashing")
    )
    assert isinstance(open_memory("tiny"), InProcessMemoryStore)


def test_a_typo_is_not_silently_a_new_folder() -> None:
    with pytest.raises(ConfigError, match="unknown memory store 'chromma'.*inprocess"):
        open_memory("chromma")


def test_bad_server_url() -> None:
    with pytest.raises(ConfigError, match="http://HOST:PORT"):
        ChromaServerMemoryStore("ftp://example")
