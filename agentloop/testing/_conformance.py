"""What the conformance checks share: the failure they raise and how they raise it.

The checks are plain async functions, not pytest tests, so that a backend's author can run them
from any test runner; they raise `ConformanceFailure` (an `AssertionError`, so test runners
report it as a failed assertion) instead of using `assert`, which `python -O` strips.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ConformanceFailure", "expect", "expect_raises"]


class ConformanceFailure(AssertionError):
    """A backend broke a rule of its conformance suite; the message says what it saw."""


def expect(condition: bool, message: str) -> None:
    """Raise `ConformanceFailure(message)` unless `condition` holds."""
    if not condition:
        raise ConformanceFailure(message)


@contextmanager
def expect_raises(error: type[BaseException], match: str) -> Iterator[None]:
    """The block must raise `error` with a message that `match` (a regex) finds."""
    try:
        yield
    except error as exc:
        expect(re.search(match, str(exc)) is not None, f"{error.__name__} {exc!r} lacks {match!r}")
    else:
        raise ConformanceFailure(f"expected {error.__name__} matching {match!r}, nothing raised")
