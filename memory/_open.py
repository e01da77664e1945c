"""`open_memory`: a store from a name, a folder path or a server URL."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from agentloop._memory import MemoryStore
from agentloop._registry import registered, resolve
from agentloop.errors import ConfigError
from agentloop.memory._chroma import DEFAULT_PATH, ChromaMemoryStore, ChromaServerMemoryStore
from agentloop.memory._embedders import Embedder
from agentloop.memory._inprocess import InProcessMemoryStore

__all__ = ["open_memory"]

_log = logging.getLogger("agentloop.memory")


def open_memory(
    spec: MemoryStore | str | Path | None = None,
    *,
    embedder: Embedder | str | None = None,
    **options: Any,
) -> MemoryStore:
    """The memory store that `spec` names.

    - None: ChromaDB embedded at `.agentloop/memory` when chromadb is installed, else an
      in-process store (a warning says that nothing will persist);
    - "http://HOST:PORT" (or https): a ChromaDB server;
    - a registered backend name ("inprocess", "chroma", "chroma-server", or one added with
      `agentloop.register("memory", ...)`), built with its defaults;
    - anything else: a folder for ChromaDB embedded;
    - a `MemoryStore`: returned as is.

    `embedder` and `options` (collection, dedup_threshold, policy, ...) go to the backend.
    """
    if spec is not None and not isinstance(spec, str | Path):
        return spec
    if embedder is not None:
        options["embedder"] = embedder
    if spec is None:
        if importlib.util.find_spec("chromadb") is not None:
            return ChromaMemoryStore(DEFAULT_PATH, **options)
        _log.warning(
            "chromadb is not installed: memory is kept in this process only and is lost "
            "when it ends; pip install 'agentloop[memory]' to persist it"
        )
        return InProcessMemoryStore(**options)
    text = str(spec)
    if text.startswith(("http://", "https://")):
        return ChromaServerMemoryStore(text, **options)
    if isinstance(spec, str) and spec in registered("memory"):
        backend = resolve("memory", spec)
        store = backend(**options)
        if not isinstance(store, MemoryStore):
            raise ConfigError(f"memory backend {spec!r} built {store!r}, not a MemoryStore")
        return store
    if isinstance(spec, str) and spec.replace("-", "").isalnum() and not Path(spec).exists():
        # A bare word that is neither a backend nor an existing folder is most likely a typo
        # of a backend name; a new folder should be written as a path (./name).
        known = ", ".join(registered("memory"))
        raise ConfigError(
            f"unknown memory store {spec!r}; use a backend name ({known}), a folder path "
            "such as ./memory, or a server url http://HOST:PORT"
        )
    return ChromaMemoryStore(Path(text), **options)
