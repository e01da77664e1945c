"""Chat messages, model outputs and their usage: the values every component passes around."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Completion",
    "Message",
    "Role",
    "Usage",
    "assistant",
    "message_dict",
    "system",
    "user",
]

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat message in the OpenAI shape."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str
    name: str | None = None
    """Tool name for `tool` messages, or a speaker name."""


def message_dict(message: Message) -> dict[str, Any]:
    """The message as the OpenAI API takes it: `message.model_dump(exclude_none=True)`.

    Built by hand because every model call sends its whole conversation, and `model_dump`
    costs a few microseconds a message (benchmark P1); subclasses take the general way.
    """
    if type(message) is not Message:
        return message.model_dump(exclude_none=True)
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name is not None:
        out["name"] = message.name
    return out


def system(content: str) -> Message:
    """A system message."""
    return Message(role="system", content=content)


def user(content: str) -> Message:
    """A user message."""
    return Message(role="user", content=content)


def assistant(content: str) -> Message:
    """An assistant message."""
    return Message(role="assistant", content=content)


class Usage(BaseModel):
    """What one model call (or a sum of calls) consumed."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """From litellm's cost map; zero for local models."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )


class Completion(BaseModel):
    """A model's answer: one text per sample, with usage and provenance."""

    model_config = ConfigDict(frozen=True)

    model: str
    texts: list[str] = Field(min_length=1)
    """One entry per sample (`n`); `texts[0]` is the answer when n == 1."""
    finish_reasons: list[str | None] = Field(default_factory=list)
    usage: Usage = Usage()
    cached: bool = False
    """True when replayed from the on-disk response cache (no model was called)."""
    latency_s: float = 0.0

    @property
    def text(self) -> str:
        return self.texts[0]
