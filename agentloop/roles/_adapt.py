"""Plain functions as roles: sync or async, called the same way."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["resolve"]

T = TypeVar("T")


async def resolve(value: T | Awaitable[T]) -> T:
    """The value of a plain function's result, awaited when the function was async."""
    if inspect.isawaitable(value):
        return await value
    return value
