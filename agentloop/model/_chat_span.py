"""The attributes of a model call's span, after the OpenTelemetry GenAI conventions."""

from __future__ import annotations

from typing import Any

from agentloop._messages import Completion, Message
from agentloop.model._config import GenerateConfig

__all__ = ["chat_request_attributes", "chat_result_attributes"]


def chat_request_attributes(
    model: str, messages: list[Message], cfg: GenerateConfig
) -> dict[str, Any]:
    """What is known when the call starts."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.request.temperature": cfg.temperature,
        "gen_ai.request.max_tokens": cfg.max_tokens,
        "gen_ai.input.messages": [{"role": m.role, "content": m.content} for m in messages],
        "agentloop.cache_hit": False,
        "agentloop.attempts": 0,
    }


def chat_result_attributes(completion: Completion, attempts: int) -> dict[str, Any]:
    """What the call produced; `attempts` is 0 for a cache replay."""
    return {
        "gen_ai.usage.input_tokens": completion.usage.input_tokens,
        "gen_ai.usage.output_tokens": completion.usage.output_tokens,
        "gen_ai.output.messages": list(completion.texts),
        "gen_ai.response.finish_reasons": list(completion.finish_reasons),
        "agentloop.cost_usd": completion.usage.cost_usd,
        "agentloop.cache_hit": completion.cached,
        "agentloop.latency_s": completion.latency_s,
        "agentloop.attempts": attempts,
    }
