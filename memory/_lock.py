"""One process at a time per embedded ChromaDB folder.

ChromaDB's embedded mode is not safe for several processes: its index lives in each process's
memory and its SQLite file is opened without locks that other processes see, so two writers
silently lose or corrupt each other's entries. An advisory `flock` on a file in the folder makes
the second process fail at once with a clear error instead.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from agentloop.errors import MemoryStoreError

__all__ = ["acquire_folder", "release_folder"]

LOCK_NAME = "agentloop.lock"

_guard = threading.Lock()
# Stores in this process share the lock: folder -> (open lock file descriptor, users).
_held: dict[Path, tuple[int, int]] = {}


def acquire_folder(folder: Path) -> None:
    """Take (or share, within this process) the lock on `folder`; MemoryStoreError if another
    process holds it."""
    key = folder.resolve()
    with _guard:
        if key in _held:
            fd, users = _held[key]
            _held[key] = (fd, users + 1)
            return
        fd = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise MemoryStoreError(
                f"memory store at {folder} is locked: process {holder} has it open, and an "
                "embedded ChromaDB folder takes one process at a time. Wait for it to finish, "
                "or share memory between processes through a ChromaDB server "
                "(chroma run --path DIR --port PORT, then --store http://127.0.0.1:PORT)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        _held[key] = (fd, 1)


def release_folder(folder: Path) -> None:
    """Give back one use of the lock; the last user of this process unlocks the folder."""
    key = folder.resolve()
    with _guard:
        if key not in _held:
            return
        fd, users = _held[key]
        if users > 1:
            _held[key] = (fd, users - 1)
            return
        del _held[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
