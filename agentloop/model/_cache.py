"""An opt-in on-disk cache of model answers, for exact replays of a run with no model calls."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import BaseModel, ConfigDict

from agentloop._messages import Completion, Message, Usage
from agentloop._sqlite import retry_while_locked

__all__ = ["CachedSample", "ResponseCache", "request_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    created REAL NOT NULL
)
"""


class CachedSample(BaseModel):
    """One stored sample and its share of the usage of the call that produced it."""

    model_config = ConfigDict(frozen=True)

    text: str
    finish_reason: str | None = None
    usage: Usage = Usage()


_SPEED_ONLY_PARAMS = frozenset({"n_threads", "timeout"})


def request_key(
    *,
    model: str,
    messages: Sequence[Message],
    params: dict[str, Any],
    sample: int,
    api_base: str | None = None,
) -> str:
    """A canonical hash of one sample of one request.

    The sample index is part of the key so that the n samples of one request (and sample i of
    a later request with a larger n) stay distinct yet each replays exactly.
    """
    # Settings that change how fast an answer comes, never what it is, stay out of the key.
    params = {k: v for k, v in params.items() if k not in _SPEED_ONLY_PARAMS}
    canonical = json.dumps(
        {
            "v": 1,
            "model": model,
            "api_base": api_base,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
            "params": params,
            "sample": sample,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """Model answers in one SQLite file (WAL), safe to share between processes and threads.

    Writes are idempotent (the first answer stored for a key wins), so concurrent writers of the
    same request cannot make two runs replay differently.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        self._initialise()

    def _initialise(self) -> None:
        def create() -> None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()

        with self._lock:
            retry_while_locked(self._conn, create)

    def get_many(self, keys: Sequence[str]) -> list[CachedSample | None]:
        """The stored samples for `keys`, None where a key is not stored."""
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, text, finish_reason, input_tokens, output_tokens, cost_usd "
                f"FROM responses WHERE key IN ({marks})",
                list(keys),
            ).fetchall()
        found = {
            row[0]: CachedSample(
                text=row[1],
                finish_reason=row[2],
                usage=Usage(input_tokens=row[3], output_tokens=row[4], cost_usd=row[5]),
            )
            for row in rows
        }
        return [found.get(key) for key in keys]

    def put_many(self, model: str, items: Sequence[tuple[str, CachedSample]]) -> None:
        """Store samples; keys already stored keep their first answer."""
        now = time.time()
        with self._lock:
            self._conn.executemany(
                "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        key,
                        model,
                        s.text,
                        s.finish_reason,
                        s.usage.input_tokens,
                        s.usage.output_tokens,
                        s.usage.cost_usd,
                        now,
                    )
                    for key, s in items
                ],
            )
            self._conn.commit()

    async def aget_many(self, keys: Sequence[str]) -> list[CachedSample | None]:
        return await anyio.to_thread.run_sync(self.get_many, keys)

    async def aput_many(self, model: str, items: Sequence[tuple[str, CachedSample]]) -> None:
        await anyio.to_thread.run_sync(self.put_many, model, items)

    async def replay(self, keys: Sequence[str], *, model: str) -> Completion | None:
        """The completion stored under `keys` (one per sample), or None unless all are stored."""
        found = await self.aget_many(keys)
        samples = [s for s in found if s is not None]
        if len(samples) != len(keys):
            return None
        return Completion(
            model=model,
            texts=[s.text for s in samples],
            finish_reasons=[s.finish_reason for s in samples],
            usage=sum((s.usage for s in samples), Usage()),
            cached=True,
        )

    async def store(self, keys: Sequence[str], completion: Completion) -> None:
        """Store each sample of `completion` under its key."""
        # The call's usage goes with sample 0 only, so a replay of the same n sums to it.
        items = [
            (
                key,
                CachedSample(
                    text=text, finish_reason=reason, usage=completion.usage if i == 0 else Usage()
                ),
            )
            for i, (key, text, reason) in enumerate(
                zip(keys, completion.texts, completion.finish_reasons, strict=True)
            )
        ]
        await self.aput_many(completion.model, items)

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"
