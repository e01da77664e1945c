"""Which sample of a request a model call asks for, so that parallel branches differ.

Branches of a graph often send the very same prompt (best-of-N's n candidates, LATS's k
children). At temperature > 0 with a fixed seed, or through the response cache, the same request
gives the same answer: n "samples" would be one sample n times. A branch that runs its calls
inside `sample_index(i)` asks for sample i instead, as if it were the i-th of n samples of one
request: a distinct seed (seed + i) and a distinct cache entry, still reproducible run to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from agentloop.errors import ConfigError

__all__ = ["current_sample_index", "sample_index"]

_sample_index: ContextVar[int] = ContextVar("agentloop_sample_index", default=0)


@contextmanager
def sample_index(index: int) -> Iterator[None]:
    """Model calls inside ask for sample `index` of their request (0, the default, is the
    first). Each asyncio task and LangGraph branch has its own value."""
    if index < 0:
        raise ConfigError(f"sample index must be 0 or more, got {index}")
    token = _sample_index.set(index)
    try:
        yield
    finally:
        _sample_index.reset(token)


def current_sample_index() -> int:
    """The sample index model calls in this context ask for."""
    return _sample_index.get()
