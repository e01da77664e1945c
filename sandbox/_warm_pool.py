"""`WarmPool`: what a sandbox backend starts ahead of need (runners, containers), kept warm.

One implementation serves every backend: the local backend's bubblewrap runners (wiped and
reused after each episode) and the Docker backend's containers (removed after each episode).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from agentloop.errors import SandboxError

__all__ = ["WarmPool"]

T = TypeVar("T")

_RETRY_AFTER_ERROR_S = 5.0


class WarmPool(Generic[T]):
    """Keeps `size` fresh resources started ahead of need, on one long-lived thread.

    Everything is started, recycled and closed on the pool's own thread: a caller never waits for
    a wipe or a removal, and bubblewrap's --die-with-parent (which follows the *thread* that
    started it) holds as long as the program does.
    """

    def __init__(
        self,
        *,
        start: Callable[[], T],
        close: Callable[[T], None],
        recycle: Callable[[T], bool] = lambda resource: False,
        alive: Callable[[T], bool] = lambda resource: True,
        size: int,
        what: str,
        start_timeout_s: float,
    ) -> None:
        """
        Args:
            start: makes a fresh resource (on the pool's thread).
            close: disposes of one for good.
            recycle: makes a used one clean again, returning whether it can be reused.
            alive: whether an idle one is still usable.
            size: how many to keep ready.
            what: the resource's name in errors ("sandbox runner", "sandbox container").
            start_timeout_s: how long `acquire` waits for one before it gives up.
        """
        self.size = size
        self._start, self._close, self._recycle, self._alive = start, close, recycle, alive
        self._what = what
        self._start_timeout_s = start_timeout_s
        self._idle: list[T] = []
        self._dirty: list[T] = []
        self._waiting = 0
        self._error: Exception | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(
            target=self._fill, name=f"agentloop-{what.replace(' ', '-')}-pool", daemon=True
        )
        self._thread.start()

    def _fill(self) -> None:
        while True:
            with self._cond:
                while (
                    not self._dirty
                    and len(self._idle) >= max(self.size, self._waiting)
                    and self._error is None
                ):
                    self._cond.wait()
                if self._error is not None and not self._dirty:
                    self._cond.wait(timeout=_RETRY_AFTER_ERROR_S)
                    self._error = None
                    continue
                dirty = self._dirty.pop(0) if self._dirty else None
            if dirty is not None:
                self._take_back(dirty)
                continue
            try:
                resource = self._start()
            except Exception as exc:
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                continue
            with self._cond:
                self._idle.append(resource)
                self._cond.notify_all()

    def _take_back(self, resource: T) -> None:
        try:
            reusable = self._alive(resource) and self._recycle(resource)
        except Exception:
            reusable = False
        with self._cond:
            if reusable and len(self._idle) < self.size:
                self._idle.append(resource)
                self._cond.notify_all()
                return
        self._close(resource)

    def _pop_idle(self) -> T | None:
        """The first idle resource still alive (dead ones are closed on the way); `_cond` held."""
        while self._idle:
            resource = self._idle.pop(0)
            if self._alive(resource):
                self._cond.notify_all()
                return resource
            self._close(resource)
        return None

    def try_acquire(self) -> T | None:
        """A warm resource if one is idle right now, without waiting."""
        with self._cond:
            return self._pop_idle()

    def acquire(self) -> T:
        """A warm resource for one episode (blocking: call it from a worker thread)."""
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
            try:
                deadline = time.monotonic() + self._start_timeout_s
                while True:
                    resource = self._pop_idle()
                    if resource is not None:
                        return resource
                    if self._error is not None:
                        if isinstance(self._error, SandboxError):
                            raise self._error
                        raise SandboxError(f"cannot start a {self._what}: {self._error}")
                    if not self._cond.wait(timeout=deadline - time.monotonic()):
                        raise SandboxError(
                            f"no {self._what} started within {self._start_timeout_s:g} s"
                        )
            finally:
                self._waiting -= 1

    def release(self, resource: T) -> None:
        """Take one back after its episode: recycled off the caller's path, or closed."""
        with self._cond:
            self._dirty.append(resource)
            self._cond.notify_all()

    def close_idle(self) -> None:
        """Stop keeping resources warm and close the idle ones (at exit)."""
        with self._cond:
            idle, self._idle, self.size = self._idle, [], 0
        for resource in idle:
            self._close(resource)
