"""A scripted model that answers from a list or a function, reachable as `scripted/<name>`."""

from __future__ import annotations

import inspect
import itertools
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from agentloop._messages import Message
from agentloop.errors import ConfigError, UnknownModelError

__all__ = ["ScriptedCall", "ScriptedModel", "count_words", "scripted_model"]

ReplyFn = Callable[[list[Message]], str | Awaitable[str]]

# The live models of the `scripted` provider, by the name in `scripted/<name>`. Not backends of
# the registry (`agentloop._registry`): that holds the provider itself; these are the instances
# tests create (thousands, auto-named), which no package registers and no entry point names.
_models_lock = threading.Lock()
_models: dict[str, ScriptedModel] = {}
_names = itertools.count(1)


def count_words(text: str) -> int:
    """The scripted model's token count: one token per whitespace-separated word, good enough
    for budgets in tests."""
    return len(text.split())


@dataclass(frozen=True)
class ScriptedCall:
    """One request the scripted model received."""

    messages: list[Message]
    params: dict[str, Any] = field(default_factory=dict)
    """The generation parameters litellm passed on (n, temperature, max_tokens, ...)."""
    stream: bool = False


class ScriptedModel:
    """A model for tests that answers from `replies` in order, or from `fn(messages)`.

    Use it through the client like any model::

        model = ScriptedModel(replies=["4"])
        answer = await ModelClient(model.model).complete("2+2?")

    An exception in `replies` is raised instead of answering (to script failures). Each of the
    `n` samples of a call takes one reply. `latency` seconds are slept once per call.
    """

    def __init__(
        self,
        replies: Sequence[str | BaseException] | None = None,
        *,
        fn: ReplyFn | None = None,
        name: str | None = None,
        latency: float = 0.0,
    ) -> None:
        if (replies is None) == (fn is None):
            raise ConfigError("ScriptedModel needs exactly one of replies=[...] or fn=...")
        self._replies = list(replies or [])
        self._fn = fn
        self._next = 0
        self.latency = latency
        self.name = name or f"m{next(_names)}"
        self.calls: list[ScriptedCall] = []
        """Every request received, in order."""
        self.in_flight = 0
        self.max_in_flight = 0
        """The most calls that were in progress at once."""
        with _models_lock:
            _models[self.name] = self

    @property
    def model(self) -> str:
        """The model string that reaches this model through `ModelClient`."""
        return f"scripted/{self.name}"

    @property
    def call_count(self) -> int:
        return len(self.calls)

    async def _reply(self, messages: list[Message]) -> str:
        if self._fn is not None:
            result = self._fn(messages)
            if inspect.isawaitable(result):
                result = await result
            return str(result)
        if self._next >= len(self._replies):
            raise ConfigError(
                f"scripted model {self.name!r} ran out of replies after {len(self._replies)}; "
                "give it more replies or use fn=..."
            )
        reply = self._replies[self._next]
        self._next += 1
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def respond(
        self, messages: list[Message], *, n: int = 1, params: dict[str, Any], stream: bool = False
    ) -> list[str]:
        """Answer one call with `n` samples, recording it."""
        self.calls.append(ScriptedCall(messages=messages, params=params, stream=stream))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await anyio.sleep(self.latency)
            return [await self._reply(messages) for _ in range(n)]
        finally:
            self.in_flight -= 1

    def __repr__(self) -> str:
        return f"ScriptedModel({self.model!r}, calls={len(self.calls)})"


def scripted_model(name: str) -> ScriptedModel:
    """The scripted model registered as `name`."""
    with _models_lock:
        found = _models.get(name)
    if found is None:
        raise UnknownModelError(
            f"no scripted model named {name!r}; create ScriptedModel(..., name={name!r}) first"
        )
    return found
