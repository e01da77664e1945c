"""ChromaDB stores across processes: persistence, reopening, sharing a server, and clear errors
for a corrupt or locked store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentloop.errors import MemoryStoreError
from agentloop.memory import ChromaMemoryStore, ChromaServerMemoryStore, MemoryEntry
from tests.memory.conftest import ChromaServer

pytest.importorskip("chromadb")
pytestmark = pytest.mark.anyio

_REPO = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (a new process, so nothing is cached in memory)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=300, cwd=_REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


WRITER = """
import sys, anyio
from agentloop.memory import ChromaMemoryStore, lesson

async def main():
    store = ChromaMemoryStore(sys.argv[1])  # the default embedder: real MiniLM
    await store.add(lesson("When a date is February 29th, check that the year is a leap year.",
                           task_family="dates"))
    await store.add(lesson("Sort the input before running a binary search.", task_family="search"))
    ids = [e.id for e in await store.list()]
    await store.record_outcome(ids[:1], success=True)

anyio.run(main)
"""

READER = """
import json, sys, anyio
import chromadb
from chromadb.config import Settings
from agentloop.memory import ChromaMemoryStore, register_embedding_function

async def main():
    store = ChromaMemoryStore(sys.argv[1])  # no embedder given: adopts the persisted one
    hits = await store.search("is 2023-02-29 a valid day?", k=1)
    entries = await store.list()
    store.close()
    # A bare chromadb client rebuilds our embedding function from the collection's config.
    register_embedding_function()
    client = chromadb.PersistentClient(sys.argv[1], settings=Settings(anonymized_telemetry=False))
    raw = client.get_collection("agentloop_memory").query(query_texts=["binary search"],
                                                          n_results=1)
    print(json.dumps({
        "embedder": store.embedder.name,
        "top": hits[0].entry.text,
        "count": len(entries),
        "useful": max(e.usefulness for e in entries),
        "raw_top": raw["documents"][0][0],
    }))

anyio.run(main)
"""


@pytest.mark.slow
def test_persists_across_processes_and_reopens_with_its_embedder(
    tmp_path: Path, minilm: object
) -> None:
    folder = str(tmp_path / "memory")
    wrote = _python(WRITER, folder)
    assert wrote.returncode == 0, wrote.stderr
    read = _python(READER, folder)
    assert read.returncode == 0, read.stderr
    result = json.loads(read.stdout.strip().splitlines()[-1])
    assert result["embedder"] == "minilm"
    assert result["count"] == 2
    assert result["top"].startswith("When a date is February 29th")
    assert result["useful"] > 0
    assert result["raw_top"] == "Sort the input before running a binary search."


async def test_a_different_embedder_is_refused(tmp_path: Path) -> None:
    first = ChromaMemoryStore(tmp_path, embedder="hashing")
    await first.add(MemoryEntry(kind="lesson", text="made with the hashing embedder"))
    first.close()
    from agentloop.memory import HashingEmbedder

    other = ChromaMemoryStore(tmp_path, embedder=HashingEmbedder(dimension=64))
    with pytest.raises(MemoryStoreError, match="open it with that embedder"):
        await other.list()
    other.close()
    adopting = ChromaMemoryStore(tmp_path)
    assert [e.text for e in await adopting.list()] == ["made with the hashing embedder"]
    assert adopting.embedder.config() == {"name": "hashing", "dimension": 256}
    adopting.close()


async def test_a_second_process_gets_a_clear_lock_error(tmp_path: Path) -> None:
    store = ChromaMemoryStore(tmp_path, embedder="hashing")
    await store.add(MemoryEntry(kind="lesson", text="kept safe"))
    other = _python(
        """
        import sys, anyio
        from agentloop.errors import MemoryStoreError
        from agentloop.memory import ChromaMemoryStore, MemoryEntry
        store = ChromaMemoryStore(sys.argv[1], embedder="hashing")
        try:
            anyio.run(store.add, MemoryEntry(kind="lesson", text="lost?"))
        except MemoryStoreError as exc:
            print("refused:", exc)
        """,
        str(tmp_path),
    )
    assert other.returncode == 0, other.stderr
    assert "refused:" in other.stdout and "locked" in other.stdout
    assert "chroma run" in other.stdout  # says how to share instead
    assert [e.text for e in await store.list()] == ["kept safe"]
    store.close()
    # Once the first process lets go, the folder opens again.
    after = _python(
        """
        import sys, anyio
        from agentloop.memory import ChromaMemoryStore
        print(len(anyio.run(ChromaMemoryStore(sys.argv[1]).list)))
        """,
        str(tmp_path),
    )
    assert after.stdout.strip() == "1", after.stderr


async def test_a_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    store = ChromaMemoryStore(tmp_path, embedder="hashing")
    for i in range(20):
        await store.add(MemoryEntry(kind="lesson", text=f"lesson {i} " + "word " * i))
    store.close()
    database = tmp_path / "chroma.sqlite3"
    with database.open("r+b") as f:
        f.seek(4096 * 2)
        f.write(b"\xff" * 16384)
    reopened = ChromaMemoryStore(tmp_path, embedder="hashing")
    with pytest.raises(MemoryStoreError, match="corrupt"):
        await reopened.list()
    reopened.close()


async def test_garbage_in_place_of_the_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "chroma.sqlite3").write_bytes(os.urandom(30000))
    store = ChromaMemoryStore(tmp_path, embedder="hashing")
    with pytest.raises(MemoryStoreError, match="corrupt.*import"):
        await store.add(MemoryEntry(kind="lesson", text="never silently dropped"))
    store.close()


async def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    path = tmp_path / "memory"
    path.write_text("not a folder")
    with pytest.raises(MemoryStoreError, match="is a file"):
        await ChromaMemoryStore(path, embedder="hashing").list()


async def test_an_unreachable_server_says_how_to_start_one() -> None:
    from tests.memory.conftest import free_port

    store = ChromaServerMemoryStore(f"http://127.0.0.1:{free_port()}", embedder="hashing")
    with pytest.raises(MemoryStoreError, match="chroma run"):
        await store.list()


SHARER = """
import sys, anyio
from agentloop.memory import ChromaServerMemoryStore, MemoryEntry

async def main():
    url, collection, name = sys.argv[1:4]
    store = ChromaServerMemoryStore(url, collection=collection, embedder="hashing")
    for i in range(10):
        await store.add(MemoryEntry(kind="lesson", text=f"{name} lesson number {i} " * (i + 1)))
    print(len(await store.list()))

anyio.run(main)
"""


async def test_two_processes_share_a_server(chroma_server: ChromaServer) -> None:
    collection = f"shared{os.getpid()}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SHARER, chroma_server.url, collection, name],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=_REPO,
        )
        for name in ("writer_a", "writer_b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = ChromaServerMemoryStore(chroma_server.url, collection=collection, embedder="hashing")
    texts = [e.text for e in await store.list()]
    assert len(texts) == 20
    assert sum(t.startswith("writer_a") for t in texts) == 10
    hits = await store.search("writer_b lesson number 3", k=1, where={})
    assert hits[0].entry.text.startswith("writer_b lesson number 3")
