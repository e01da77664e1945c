"""What one model call spends: the budgets it charges, what it holds of them, when it is cut."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from agentloop._budget import Budget, Reservation, bound_budgets
from agentloop._messages import Message, Usage

__all__ = ["Spend", "budgets_for", "cut_at_deadline", "earliest_deadline", "estimate_prompt_tokens"]

R = TypeVar("R")

_WAIT_S = 0.01
"""How often a call waiting for other calls' reservations to settle looks again."""


def budgets_for(own: Budget | None) -> tuple[Budget, ...]:
    """The budgets a call charges: its client's own, and those of the runs it runs in."""
    bound = bound_budgets()
    if not bound:
        return () if own is None else (own,)
    if own is None or any(b is own for b in bound):
        return bound
    return (own, *bound)


class Spend:
    """What one request holds of each budget it charges, until it settles."""

    __slots__ = ("answer_tokens", "reservations")

    def __init__(self, reservations: Sequence[Reservation], answer_tokens: int | None) -> None:
        self.reservations = reservations
        self.answer_tokens = answer_tokens
        """The most answer tokens per sample the request may ask for (None: as configured)."""

    @classmethod
    async def reserve(
        cls,
        budgets: Sequence[Budget],
        *,
        prompt_tokens: Callable[[], Awaitable[int]],
        answer_tokens: int | None,
        samples: int,
    ) -> Spend:
        """Hold a call slot and the tokens the request may use in every budget, all or none.

        Waits while only other calls' reservations stand in the way (they may settle below
        what they held); raises `BudgetExhausted` when what is spent rules the call out.
        """
        prompt = await prompt_tokens() if any(b.counts_prompt for b in budgets) else 0
        while True:
            held: list[Reservation] = []
            try:
                for budget in budgets:
                    reservation = budget.reserve(
                        prompt_tokens=prompt, answer_tokens=answer_tokens, samples=samples
                    )
                    if reservation is None:
                        break
                    held.append(reservation)
            except BaseException:
                for reservation in held:
                    reservation.settle(None)
                raise
            if len(held) == len(budgets):
                granted = [r.answer_tokens for r in held if r.answer_tokens is not None]
                cap = min(granted) if granted else None
                if cap is not None and len(held) > 1:
                    for reservation in held:
                        reservation.trim(cap, samples)
                return cls(held, cap)
            for reservation in held:
                reservation.settle(None)
            await anyio.sleep(_WAIT_S)

    def settle(self, usage: Usage | None) -> None:
        """Release what was held and charge `usage` (None: the request spent nothing)."""
        for reservation in self.reservations:
            reservation.settle(usage)


def earliest_deadline(budgets: Sequence[Budget]) -> tuple[float, Budget] | None:
    """The first wall-time limit to run out among `budgets` (monotonic clock), and its budget."""
    found: tuple[float, Budget] | None = None
    for budget in budgets:
        when = budget.deadline()
        if when is not None and (found is None or when < found[0]):
            found = (when, budget)
    return found


async def cut_at_deadline(deadline: tuple[float, Budget], call: Callable[[], Awaitable[R]]) -> R:
    """`call()`, cancelled when the budget's wall time runs out (then `BudgetExhausted`)."""
    when, budget = deadline
    with anyio.CancelScope(deadline=anyio.current_time() + (when - time.monotonic())):
        return await call()
    raise budget.exhausted("seconds", ": the model call in flight was cut")


def estimate_prompt_tokens(messages: Sequence[Message], counted: int) -> int:
    """A prompt's tokens, on the high side: `counted` by litellm's tokenizer for `model`, or
    one token per two bytes where that is more (tokenizers differ: some split every digit),
    plus each message's chat-template wrapping."""
    size = sum(len(m.content.encode("utf-8")) for m in messages)
    return max(counted, size // 2) + 8 * len(messages)
