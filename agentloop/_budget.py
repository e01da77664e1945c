"""A spending limit shared by everything in a run, concurrent branches included."""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, ConfigDict

from agentloop._messages import Usage
from agentloop.errors import BudgetExhausted

__all__ = ["Budget", "BudgetUsage"]


class BudgetUsage(BaseModel):
    """What has been spent against a budget so far."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    wall_seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class Budget:
    """Limits on tokens, dollars, calls and wall time, checked before every model call.

    One instance is shared by every branch of a run; it is thread-safe and task-safe.
    A call in flight when a limit is crossed still finishes and is charged, so a budget
    can be overshot by at most the calls already running when it ran out.

    Args:
        max_input_tokens / max_output_tokens / max_tokens: token limits (max_tokens counts both).
        max_usd: dollar limit (litellm's cost map; local models cost nothing).
        max_calls: number of model calls.
        max_seconds: wall time since the budget was created (or `start()` was called).
    """

    def __init__(
        self,
        *,
        max_input_tokens: int | None = None,
        max_output_tokens: int | None = None,
        max_tokens: int | None = None,
        max_usd: float | None = None,
        max_calls: int | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self.max_input_tokens = max_input_tokens
        self.max_output_tokens = max_output_tokens
        self.max_tokens = max_tokens
        self.max_usd = max_usd
        self.max_calls = max_calls
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._input_tokens = 0
        self._output_tokens = 0
        self._cost_usd = 0.0
        self._calls = 0

    def start(self) -> None:
        """Restart the wall clock (the other counters are kept)."""
        with self._lock:
            self._started = time.monotonic()

    @property
    def spent(self) -> BudgetUsage:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> BudgetUsage:
        return BudgetUsage(
            input_tokens=self._input_tokens,
            output_tokens=self._output_tokens,
            cost_usd=self._cost_usd,
            calls=self._calls,
            wall_seconds=time.monotonic() - self._started,
        )

    def exceeded(self) -> str | None:
        """The name of the first limit reached, or None while there is budget left."""
        with self._lock:
            return self._first_exceeded()

    def _first_exceeded(self) -> str | None:
        # Read from the counters, not from a `BudgetUsage`: this runs before every model call
        # and in every stop router, and a snapshot costs a pydantic validation (benchmark P1).
        # Called with the lock held.
        if self.max_input_tokens is not None and self._input_tokens >= self.max_input_tokens:
            return "input_tokens"
        if self.max_output_tokens is not None and self._output_tokens >= self.max_output_tokens:
            return "output_tokens"
        if (
            self.max_tokens is not None
            and self._input_tokens + self._output_tokens >= self.max_tokens
        ):
            return "tokens"
        if self.max_usd is not None and self._cost_usd >= self.max_usd:
            return "usd"
        if self.max_calls is not None and self._calls >= self.max_calls:
            return "calls"
        if (
            self.max_seconds is not None
            and time.monotonic() - self._started >= self.max_seconds
        ):
            return "seconds"
        return None

    def check(self) -> None:
        """Raise `BudgetExhausted` if any limit has been reached."""
        with self._lock:
            limit = self._first_exceeded()
            if limit is None:
                return
            snapshot = self._snapshot()
        raise BudgetExhausted(
            f"budget exhausted: {limit} limit reached "
            f"({snapshot.total_tokens} tokens, {snapshot.calls} calls, "
            f"${snapshot.cost_usd:.4f}, {snapshot.wall_seconds:.1f}s spent)",
            limit=limit,
            spent=snapshot,
        )

    def charge(self, usage: Usage, *, calls: int = 1) -> None:
        """Account one finished call's usage."""
        with self._lock:
            self._input_tokens += usage.input_tokens
            self._output_tokens += usage.output_tokens
            self._cost_usd += usage.cost_usd
            self._calls += calls

    def __repr__(self) -> str:
        limits = {
            k: v
            for k, v in {
                "max_input_tokens": self.max_input_tokens,
                "max_output_tokens": self.max_output_tokens,
                "max_tokens": self.max_tokens,
                "max_usd": self.max_usd,
                "max_calls": self.max_calls,
                "max_seconds": self.max_seconds,
            }.items()
            if v is not None
        }
        return f"Budget({limits}, spent={self.spent!r})"
