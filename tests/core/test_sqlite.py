"""Opening a SQLite file that another connection holds locked waits instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from agentloop._sqlite import retry_while_locked


def test_setup_waits_out_a_lock_held_by_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    holder = sqlite3.connect(path, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.3, holder.commit).start()

    conn = sqlite3.connect(path, timeout=0)  # no busy timeout: the lock is seen at once
    started = time.monotonic()
    retry_while_locked(conn, lambda: conn.execute("CREATE TABLE t (x)") and None)
    assert time.monotonic() - started >= 0.25
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_an_error_other_than_a_lock_surfaces_at_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "f.db")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_while_locked(conn, lambda: conn.execute("SELECT * FROM missing") and None)
    assert time.monotonic() - started < 0.5
