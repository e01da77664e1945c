"""A spending limit shared by everything in a run, concurrent branches included."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, ConfigDict

from agentloop._messages import Usage
from agentloop.errors import BudgetExhausted

__all__ = [
    "MIN_ANSWER_TOKENS",
    "Budget",
    "BudgetUsage",
    "Reservation",
    "bound_budgets",
    "run_budget",
]

MIN_ANSWER_TOKENS = 16
"""The fewest answer tokens worth a call: with less left than the prompt plus this, a call is
refused before it is made (or plus the call's own `max_tokens`, when that is smaller)."""


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


class Reservation:
    """What one model call holds of a budget while it runs; `settle` it when the call ends."""

    __slots__ = ("answer_tokens", "budget", "calls", "input_tokens", "output_tokens")

    def __init__(
        self, budget: Budget, input_tokens: int, output_tokens: int, answer_tokens: int | None
    ) -> None:
        self.budget = budget
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.answer_tokens = answer_tokens
        """The most answer tokens per sample this call may ask for (None: no token limit)."""
        self.calls = 1

    def trim(self, answer_tokens: int, samples: int) -> None:
        """Hold only `answer_tokens` per sample (another budget allowed fewer)."""
        budget = self.budget
        with budget._lock:
            if not self.calls or (
                self.answer_tokens is not None and answer_tokens >= self.answer_tokens
            ):
                return
            self.answer_tokens = answer_tokens
            if self.output_tokens:  # held only where a limit bounds the answer
                budget._held_output -= self.output_tokens - answer_tokens * samples
                self.output_tokens = answer_tokens * samples

    def settle(self, usage: Usage | None) -> None:
        """Release what was held and charge what the call spent (None: it spent nothing).

        Settling twice does nothing: the first settlement is the call's.
        """
        budget = self.budget
        with budget._lock:
            if not self.calls:
                return
            budget._held_input -= self.input_tokens
            budget._held_output -= self.output_tokens
            budget._held_calls -= 1
            self.calls = 0
            if usage is not None:
                budget._input_tokens += usage.input_tokens
                budget._output_tokens += usage.output_tokens
                budget._cost_usd += usage.cost_usd
                budget._calls += 1


class Budget:
    """Limits on tokens, dollars, calls and wall time, shared by every branch of a run.

    Thread-safe and task-safe. Each model call reserves its share before it starts (a call
    slot, and for token limits its prompt plus the answer tokens it may generate, which caps
    the call's `max_tokens`), so concurrent branches cannot all pass one check and overrun
    the limit; the reservation settles to the actual usage when the call ends. The wall-time
    limit cuts a call in flight. Only dollars are checked after the fact: a call's price is
    known once it is made.

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
        # Held by calls in flight (reserved, not yet settled).
        self._held_input = 0
        self._held_output = 0
        self._held_calls = 0
        self.counts_prompt = max_input_tokens is not None or max_tokens is not None
        """Whether a call must estimate its prompt's tokens to reserve them."""
        self.limits_tokens = self.counts_prompt or max_output_tokens is not None

    def start(self) -> None:
        """Restart the wall clock (the other counters are kept)."""
        with self._lock:
            self._started = time.monotonic()

    def deadline(self) -> float | None:
        """When the wall-time limit runs out, on `time.monotonic()`'s clock (None: no limit)."""
        if self.max_seconds is None:
            return None
        return self._started + self.max_seconds

    def restore(self, spent: BudgetUsage) -> None:
        """Count `spent` as already spent (a resumed run's earlier part), wall time included."""
        with self._lock:
            self._input_tokens += spent.input_tokens
            self._output_tokens += spent.output_tokens
            self._cost_usd += spent.cost_usd
            self._calls += spent.calls
            self._started -= spent.wall_seconds

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
        raise self.exhausted(limit)

    def exhausted(self, limit: str, why: str = "") -> BudgetExhausted:
        """The error that says `limit` ran out (`why`: what it could not cover)."""
        snapshot = self.spent
        return BudgetExhausted(
            f"budget exhausted: {limit} limit reached{why} "
            f"({snapshot.total_tokens} tokens, {snapshot.calls} calls, "
            f"${snapshot.cost_usd:.4f}, {snapshot.wall_seconds:.1f}s spent)",
            limit=limit,
            spent=snapshot,
        )

    def reserve(
        self, *, prompt_tokens: int = 0, answer_tokens: int | None = None, samples: int = 1
    ) -> Reservation | None:
        """Hold a call slot, the prompt and up to `answer_tokens` per sample, atomically.

        Returns the reservation (its `answer_tokens` is the most the call may generate per
        sample), or None when only other calls' reservations stand in the way: wait for them
        to settle and ask again. Raises `BudgetExhausted` when what is spent already rules
        the call out. `prompt_tokens` matters only where `counts_prompt`.
        """
        with self._lock:
            limit = self._first_exceeded()
            if limit is not None:
                why = ""
            elif self.max_calls is not None and self._calls + self._held_calls >= self.max_calls:
                return None  # the calls in flight hold the last slots; one may yet fail
            elif not self.limits_tokens:
                self._held_calls += 1
                return Reservation(self, 0, 0, answer_tokens)
            else:
                room, limit = self._answer_room(prompt_tokens, samples, held=True)
                least = min(MIN_ANSWER_TOKENS, answer_tokens or MIN_ANSWER_TOKENS)
                if room >= least:
                    held_input = prompt_tokens if self.counts_prompt else 0
                    granted = answer_tokens
                    if limit:  # an output or total limit bounds the answer
                        granted = room if answer_tokens is None else min(answer_tokens, room)
                    held_output = (granted or 0) * samples if limit else 0
                    self._held_input += held_input
                    self._held_output += held_output
                    self._held_calls += 1
                    return Reservation(self, held_input, held_output, granted)
                if self._answer_room(prompt_tokens, samples, held=False)[0] >= least:
                    return None  # fits once the calls in flight settle
                why = (
                    f": what is left cannot cover a prompt of ~{prompt_tokens} tokens and "
                    f"{least} answer tokens"
                )
        raise self.exhausted(limit or "tokens", why)

    def _answer_room(self, prompt_tokens: int, samples: int, *, held: bool) -> tuple[int, str]:
        """Answer tokens per sample left after the prompt, and the limit that sets it.

        Called with the lock held; -1 room when the prompt itself does not fit, and the
        limit "" when no limit bounds the answer.
        """
        held_in = self._held_input if held else 0
        held_out = self._held_output if held else 0
        room, limit = 1 << 62, ""
        if self.max_input_tokens is not None:
            if self._input_tokens + held_in + prompt_tokens > self.max_input_tokens:
                return -1, "input_tokens"
        if self.max_output_tokens is not None:
            left = self.max_output_tokens - self._output_tokens - held_out
            room, limit = left // samples, "output_tokens"
        if self.max_tokens is not None:
            spent = self._input_tokens + self._output_tokens + held_in + held_out
            left = self.max_tokens - spent - prompt_tokens
            if left // samples < room:
                room, limit = left // samples, "tokens"
        return room, limit

    def charge(self, usage: Usage, *, calls: int = 1) -> None:
        """Account one finished call's usage (a call that reserved settles its reservation)."""
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


_bound: ContextVar[tuple[Budget, ...]] = ContextVar("agentloop_run_budgets", default=())


def bound_budgets() -> tuple[Budget, ...]:
    """The budgets of the runs the current code runs in, outermost first."""
    return _bound.get()


@contextmanager
def run_budget(budget: Budget) -> Iterator[None]:
    """Every model call made inside (in this task and the tasks it starts) spends from `budget`
    too, whichever budget its client was built with; runs nest, and each limit applies."""
    outer = _bound.get()
    if any(b is budget for b in outer):
        yield
        return
    token = _bound.set((*outer, budget))
    try:
        yield
    finally:
        _bound.reset(token)
