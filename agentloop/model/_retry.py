"""When and how long to wait before another attempt at a failed model call."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

from agentloop.errors import RateLimitedError, RetryableModelError

__all__ = ["RetryPolicy"]


class RetryPolicy(BaseModel):
    """Bounded exponential backoff with jitter that honours a server's Retry-After.

    Only `RetryableModelError`s (rate limits, 5xx, timeouts, connection errors) are retried;
    everything else surfaces on the first attempt.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=4, ge=1)
    """Attempts in all, the first one included (1 disables retries)."""
    initial_wait: float = Field(default=0.5, ge=0.0)
    """Seconds before the second attempt; doubles each time after that."""
    max_wait: float = Field(default=30.0, ge=0.0)
    """Cap on the backoff between two attempts (a longer Retry-After still wins)."""
    jitter: float = Field(default=0.25, ge=0.0)
    """Up to this many seconds added at random, so concurrent callers do not retry in step."""
    max_retry_after: float = Field(default=120.0, ge=0.0)
    """A Retry-After longer than this is not waited out: the rate-limit error surfaces at once."""

    def wait_before(self, attempt: int, error: BaseException) -> float:
        """Seconds to sleep after attempt number `attempt` failed with `error`."""
        backoff = min(self.max_wait, self.initial_wait * 2.0 ** (attempt - 1))
        backoff += random.uniform(0.0, self.jitter)
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            # The server knows when it will take us again: waiting less only earns another 429.
            return max(backoff, float(error.retry_after))
        return backoff

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        """Whether attempt `attempt` failing with `error` is worth another attempt."""
        if attempt >= self.max_attempts or not isinstance(error, RetryableModelError):
            return False
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return bool(error.retry_after <= self.max_retry_after)
        return True
