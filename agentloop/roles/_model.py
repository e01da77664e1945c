"""The slice of the model client that roles use, so that any client with these methods works."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from agentloop._messages import Completion, Message

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["ChatModel", "resolve_model"]

T = TypeVar("T", bound=BaseModel)


@runtime_checkable
class ChatModel(Protocol):
    """Chat completion and structured output; `agentloop.model.ModelClient` is one."""

    async def complete(
        self,
        messages: Sequence[Message] | str,
        *,
        config: GenerateConfig | None = None,
        n: int = 1,
    ) -> Completion: ...

    async def structured(
        self,
        messages: Sequence[Message] | str,
        output_type: type[T],
        *,
        max_reasks: int = 2,
        config: GenerateConfig | None = None,
    ) -> T: ...


def resolve_model(model: ChatModel | str) -> ChatModel:
    """A client for `model`: used as is, or built from a model string."""
    if isinstance(model, str):
        # Imported here: the client pulls in litellm, which `import agentloop` must not.
        from agentloop.model import ModelClient

        client: ChatModel = ModelClient(model)
        return client
    return model
