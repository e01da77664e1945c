"""What every SQLite file of ours needs when several processes open it at once."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable

__all__ = ["retry_while_locked"]


def retry_while_locked(
    conn: sqlite3.Connection, setup: Callable[[], None], *, timeout: float = 30.0
) -> None:
    """Run `setup` on `conn`, again and again while another connection holds the lock.

    Switching a file to WAL needs a moment of exclusive access and ignores the busy timeout, so
    several processes opening a new file at once can see "database is locked".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            setup()
            return
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.rollback()
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)
