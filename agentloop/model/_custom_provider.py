"""What agentloop's litellm custom providers (`local/`, `scripted/`) hand back to litellm.

Import only after `LITELLM_LOCAL_MODEL_COST_MAP` is set (see `agentloop.model._local`): this
module imports litellm.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from litellm.types.utils import Choices, ModelResponse, Usage
from litellm.types.utils import Message as LitellmMessage

__all__ = ["fill_response", "final_chunk", "text_chunk"]


def fill_response(
    model_response: ModelResponse,
    *,
    model: str,
    texts: Sequence[str],
    prompt_tokens: int,
    completion_tokens: int,
    finish_reasons: Sequence[str | None] | None = None,
) -> ModelResponse:
    """Fill litellm's response with one assistant choice per text and the call's usage.

    A missing finish reason (or none given at all) reads as "stop".
    """
    reasons = finish_reasons if finish_reasons is not None else [None] * len(texts)
    model_response.choices = [
        Choices(
            index=i,
            message=LitellmMessage(role="assistant", content=text),
            finish_reason=reason or "stop",
        )
        for i, (text, reason) in enumerate(zip(texts, reasons, strict=True))
    ]
    model_response.usage = Usage(  # type: ignore[attr-defined]
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )
    model_response.model = model
    model_response.created = int(time.time())
    return model_response


def text_chunk(text: str) -> dict[str, Any]:
    """A litellm GenericStreamingChunk carrying a piece of text, more to come."""
    return {
        "text": text,
        "tool_use": None,
        "is_finished": False,
        "finish_reason": "",
        "index": 0,
        "usage": None,
    }


def final_chunk(
    finish_reason: str, prompt_tokens: int, completion_tokens: int, *, text: str = ""
) -> dict[str, Any]:
    """The last GenericStreamingChunk of a stream: its finish reason and the call's usage."""
    return {
        "text": text,
        "tool_use": None,
        "is_finished": True,
        "finish_reason": finish_reason,
        "index": 0,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
