"""The litellm custom provider behind `scripted/<name>` model strings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import ModelResponse

from agentloop._messages import Message
from agentloop.model._custom_provider import fill_response, final_chunk, text_chunk
from agentloop.testing._scripted import count_words, scripted_model

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
        return fill_response(
            model_response,
            model=f"scripted/{model}",
            texts=texts,
            prompt_tokens=sum(count_words(m.content) for m in msgs),
            completion_tokens=sum(count_words(t) for t in texts),
        )

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
        input_tokens = sum(count_words(m.content) for m in msgs)
        output_tokens = count_words(text)
        for piece in pieces[:-1]:
            yield text_chunk(piece)
        yield final_chunk("stop", input_tokens, output_tokens, text=pieces[-1])
