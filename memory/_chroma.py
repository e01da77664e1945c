"""ChromaDB stores: embedded (`PersistentClient`, one process) and server (`HttpClient`, shared)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import anyio.to_thread

from agentloop._memory import MemoryEntry
from agentloop.errors import AgentloopError, ConfigError, MemoryStoreError
from agentloop.memory._base import VectorMemoryStore
from agentloop.memory._chroma_ef import EMBEDDING_FUNCTION_NAME, chroma_embedding_function
from agentloop.memory._embedders import Embedder, embedder_from_config
from agentloop.memory._filters import Conditions, chroma_where
from agentloop.memory._lock import acquire_folder, release_folder
from agentloop.memory._scoring import UsefulnessPolicy

__all__ = [
    "DEFAULT_COLLECTION",
    "DEFAULT_PATH",
    "DEFAULT_SERVER_URL",
    "ChromaMemoryStore",
    "ChromaServerMemoryStore",
]

DEFAULT_PATH = Path(".agentloop/memory")
DEFAULT_COLLECTION = "agentloop_memory"
DEFAULT_SERVER_URL = "http://127.0.0.1:8000"

T = TypeVar("T")

# Entry fields stored as scalar ChromaDB metadata (and so filterable there).
_SCALAR_FIELDS = ("kind", "task_family", "role", "source_run", "source_span", "created_at",
                  "times_used", "usefulness")


def _to_metadata(entry: MemoryEntry) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        field: getattr(entry, field)
        for field in _SCALAR_FIELDS
        if getattr(entry, field) is not None  # ChromaDB metadata cannot hold None
    }
    metadata["usefulness"] = float(entry.usefulness)
    metadata["created_at"] = float(entry.created_at)
    # Lists and dicts are not ChromaDB metadata values: keep them as JSON text.
    metadata["evidence_json"] = json.dumps(entry.evidence)
    metadata["extra_json"] = json.dumps(entry.extra)
    return metadata


def _from_record(entry_id: str, document: str | None, metadata: dict[str, Any]) -> MemoryEntry:
    fields = {field: metadata[field] for field in _SCALAR_FIELDS if field in metadata}
    return MemoryEntry(
        id=entry_id,
        text=document or "",
        evidence=json.loads(str(metadata.get("evidence_json", "[]"))),
        extra=json.loads(str(metadata.get("extra_json", "{}"))),
        **fields,
    )


def _explain(exc: BaseException, where: str) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "locked" in lowered:
        return (
            f"memory store {where} is locked by another process ({text}); close the other "
            "process, or share memory between processes with a ChromaDB server "
            "(chroma run --path DIR) and --store http://HOST:PORT"
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"memory store {where} is corrupt ({text}); restore it from an export "
            "(agentloop memory import FILE) into a fresh path, or move the folder away"
        )
    return f"memory store {where} failed: {text}"


class _ChromaStore(VectorMemoryStore):
    """The ChromaDB collection operations shared by the embedded and the server store."""

    def __init__(
        self,
        *,
        collection: str,
        embedder: Embedder | str | None,
        dedup_threshold: float | None,
        policy: UsefulnessPolicy | None,
    ) -> None:
        super().__init__(embedder=embedder, dedup_threshold=dedup_threshold, policy=policy)
        self._embedder_given = embedder is not None
        self.collection_name = collection
        self._collection: Any = None

    @property
    def location(self) -> str:
        raise NotImplementedError

    def _client(self) -> Any:
        raise NotImplementedError

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        # Every ChromaDB call blocks (SQLite, HNSW files or HTTP): run it in a worker thread,
        # and turn whatever it raises into one error type that says where and what to do.
        def call() -> T:
            try:
                return fn(*args)
            except AgentloopError:
                raise
            except Exception as exc:
                raise MemoryStoreError(_explain(exc, self.location)) from exc

        return await anyio.to_thread.run_sync(call)

    def _open(self) -> Any:
        if self._collection is not None:
            return self._collection
        client = self._client()
        collection = client.get_or_create_collection(
            name=self.collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=chroma_embedding_function(self.embedder),
        )
        persisted = (collection.configuration_json or {}).get("embedding_function") or {}
        if persisted.get("name") != EMBEDDING_FUNCTION_NAME:
            raise MemoryStoreError(
                f"collection {self.collection_name!r} {self.location} was not made by agentloop "
                f"(embedding function {persisted.get('name')!r}); use another collection name"
            )
        config = persisted.get("config") or {}
        if config != self.embedder.config():
            if self._embedder_given:
                raise MemoryStoreError(
                    f"collection {self.collection_name!r} {self.location} holds vectors made by "
                    f"embedder {config}, not {self.embedder.config()}; open it with that "
                    "embedder (or none, to adopt it), or use another collection name"
                )
            # No embedder asked for: use the one the vectors were made with.
            self.embedder = embedder_from_config(config)
            collection = client.get_collection(
                name=self.collection_name,
                embedding_function=chroma_embedding_function(self.embedder),
            )
        self._collection = collection
        return collection

    async def _ready(self) -> None:
        if self._collection is None:
            await self._run(self._open)

    async def open(self) -> None:
        """Open (or create) the collection now, so that a bad store fails here, not later."""
        await self._ready()

    def _nearest(
        self, vector: list[float], n: int, conditions: Conditions
    ) -> list[tuple[MemoryEntry, float]]:
        collection = self._open()
        result = collection.query(
            query_embeddings=[vector],
            n_results=n,
            where=chroma_where(conditions),
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        documents = (result.get("documents") or [[]])[0]
        metadatas = (result.get("metadatas") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        # Cosine space: distance = 1 - cosine similarity.
        return [
            (_from_record(i, d, dict(m or {})), 1.0 - float(dist))
            for i, d, m, dist in zip(ids, documents, metadatas, distances, strict=True)
        ]

    def _insert_many(self, entries: list[MemoryEntry], vectors: list[list[float]]) -> None:
        if not entries:
            return
        self._open().add(
            ids=[e.id for e in entries],
            embeddings=vectors,
            documents=[e.text for e in entries],
            metadatas=[_to_metadata(e) for e in entries],
        )

    def _records(self, **query: Any) -> list[MemoryEntry]:
        result = self._open().get(include=["documents", "metadatas"], **query)
        return [
            _from_record(i, d, dict(m or {}))
            for i, d, m in zip(result["ids"], result["documents"], result["metadatas"],
                               strict=True)
        ]

    def _fetch(self, ids: list[str]) -> list[MemoryEntry]:
        return self._records(ids=ids)

    def _replace(self, entries: list[MemoryEntry]) -> None:
        self._open().update(
            ids=[e.id for e in entries], metadatas=[_to_metadata(e) for e in entries]
        )

    def _remove(self, entry_id: str) -> bool:
        collection = self._open()
        if not collection.get(ids=[entry_id], include=[])["ids"]:
            return False
        collection.delete(ids=[entry_id])
        return True

    def _select(self, conditions: Conditions, limit: int | None) -> list[MemoryEntry]:
        # ChromaDB returns records in storage order; sort by creation so "oldest first" holds
        # for imported entries too.
        found = sorted(self._records(where=chroma_where(conditions)), key=lambda e: e.created_at)
        return found if limit is None else found[:limit]

    def close(self) -> None:
        """Drop the connection; the store reopens it if used again."""
        self._collection = None

    async def count(self) -> int:
        """How many entries the collection holds."""
        await self._ready()
        return int(await self._run(lambda: self._open().count()))


class ChromaMemoryStore(_ChromaStore):
    """ChromaDB embedded in this process (`PersistentClient`): the default store.

    One process at a time should write a path; several processes share memory through a
    ChromaDB server and `ChromaServerMemoryStore`.

    Args:
        path: the folder holding the database (created if missing).
        collection: the collection's name inside it.
        embedder: an `Embedder`, "minilm" (the default) or "hashing" (a fake for tests); a
            collection keeps the embedder it was created with.
        dedup_threshold: adding a text this similar to a stored one of the same kind returns
            the stored id instead; None keeps every entry.
        policy: how outcomes change usefulness and how usefulness ranks entries.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_PATH,
        *,
        collection: str = DEFAULT_COLLECTION,
        embedder: Embedder | str | None = None,
        dedup_threshold: float | None = 0.95,
        policy: UsefulnessPolicy | None = None,
    ) -> None:
        super().__init__(
            collection=collection, embedder=embedder, dedup_threshold=dedup_threshold,
            policy=policy,
        )
        self.path = Path(path).expanduser()
        self._locked = False

    def __repr__(self) -> str:
        return f"ChromaMemoryStore({str(self.path)!r}, collection={self.collection_name!r})"

    @property
    def location(self) -> str:
        return f"at {self.path}"

    def _client(self) -> Any:
        if self.path.exists() and not self.path.is_dir():
            raise MemoryStoreError(
                f"memory store path {self.path} is a file, not a folder; pass a folder path"
            )
        try:
            import chromadb
            from chromadb.config import Settings
        except ImportError as exc:
            raise ConfigError(
                "the chroma memory store needs chromadb; pip install 'agentloop[memory]'"
            ) from exc
        self.path.mkdir(parents=True, exist_ok=True)
        acquire_folder(self.path)
        self._locked = True
        try:
            return chromadb.PersistentClient(path=str(self.path), settings=_settings(Settings))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let another process open this folder; this store reopens it if used again."""
        self._collection = None
        if self._locked:
            self._locked = False
            release_folder(self.path)


class ChromaServerMemoryStore(_ChromaStore):
    """A ChromaDB server (`chroma run --path DIR --port N`) reached over HTTP: memory shared by
    several processes or machines.

    Args:
        url: the server's address, e.g. "http://127.0.0.1:8000".
        collection, embedder, dedup_threshold, policy: as for `ChromaMemoryStore`.
        headers: extra HTTP headers (an auth token, for instance).
    """

    def __init__(
        self,
        url: str = DEFAULT_SERVER_URL,
        *,
        collection: str = DEFAULT_COLLECTION,
        embedder: Embedder | str | None = None,
        dedup_threshold: float | None = 0.95,
        policy: UsefulnessPolicy | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            collection=collection, embedder=embedder, dedup_threshold=dedup_threshold,
            policy=policy,
        )
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(f"ChromaDB server url must look like http://HOST:PORT, got {url!r}")
        self.url = url
        self._host = parsed.hostname
        self._port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        self._ssl = parsed.scheme == "https"
        self._headers = headers or {}

    def __repr__(self) -> str:
        return f"ChromaServerMemoryStore({self.url!r}, collection={self.collection_name!r})"

    @property
    def location(self) -> str:
        return f"at {self.url}"

    def _client(self) -> Any:
        try:
            import chromadb
            from chromadb.config import Settings
        except ImportError as exc:
            raise ConfigError(
                "the chroma-server memory store needs chromadb; pip install 'agentloop[memory]'"
            ) from exc
        try:
            return chromadb.HttpClient(
                host=self._host, port=self._port, ssl=self._ssl, headers=self._headers,
                settings=_settings(Settings),
            )
        except Exception as exc:
            raise MemoryStoreError(
                f"cannot reach the ChromaDB server at {self.url} ({exc}); start one with "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT`"
            ) from exc


def _settings(settings_type: Any) -> Any:
    # No telemetry: it would try the network on every client start.
    return settings_type(anonymized_telemetry=False)
