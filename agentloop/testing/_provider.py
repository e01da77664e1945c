"""The litellm custom provider behind `scripted/<name>` model strings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import Choices, ModelResponse, Usage
from litellm.types.utils import Message as LitellmMessage

from agentloop._messages import Message
from agentloop.testing._scripted import approx_tokens, scripted_model

__all__ = ["ScriptedProvider"]


def _messages(raw: list[dict[str, Any]]) -> list[Message]:
    return [
        Message(role=m["role"], content=str(m.get("content") or ""), name=m.get("name"))
        for m in raw
    ]


def _params(optional_params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in optional_params.items() if k not in ("max_retries", "stream_options")}


class ScriptedProvider(CustomLLM):
    """Answers `scripted/<name>` calls from the registered `ScriptedModel`."""

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        model_response: ModelResponse,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> ModelResponse:
        scripted = scripted_model(model)
        msgs = _messages(messages)
        n = int(optional_params.get("n") or 1)
        texts = await scripted.respond(msgs, n=n, params=_params(optional_params))
        model_response.choices = [
            Choices(
                index=i,
                message=LitellmMessage(role="assistant", content=text),
                finish_reason="stop",
            )
            for i, text in enumerate(texts)
        ]
        input_tokens = sum(approx_tokens(m.content) for m in msgs)
        output_tokens = sum(approx_tokens(t) for t in texts)
        model_response.usage = Usage(  # type: ignore[attr-defined]
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        )
        model_response.model = f"scripted/{model}"
        model_response.created = int(time.time())
        return model_response

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        scripted = scripted_model(model)
        msgs = _messages(messages)
        (text,) = await scripted.respond(msgs, n=1, params=_params(optional_params), stream=True)
        # One chunk per word (with its following whitespace) so consumers see real deltas.
        pieces = [w + " " for w in text.split(" ")]
        pieces[-1] = pieces[-1][:-1]
        input_tokens = sum(approx_tokens(m.content) for m in msgs)
        output_tokens = approx_tokens(text)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            yield {
                "text": piece,
                "tool_use": None,
                "is_finished": last,
                "finish_reason": "stop" if last else "",
                "index": 0,
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                }
                if last
                else None,
            }
