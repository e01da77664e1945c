"""Model providers by name: a provider registered as PREFIX answers `PREFIX/<model>` through the
client like the built-in `scripted/` and `local/`, even when registered after the first call."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

import agentloop
from agentloop import _registry
from agentloop.errors import UnknownModelError
from agentloop.model import ModelClient
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_registry, "_REGISTRY", copy.deepcopy(_registry._REGISTRY))
    yield


def shouting_provider() -> Any:
    """A litellm custom provider that answers each prompt in capitals (built when first used,
    as the registry does with a provider class, so that litellm is set up first)."""
    from litellm.llms.custom_llm import CustomLLM

    from agentloop.model._custom_provider import fill_response

    class Shouting(CustomLLM):
        async def acompletion(  # type: ignore[override]
            self, model: str, messages: list[dict[str, Any]], *args: Any,
            model_response: Any, **kwargs: Any,
        ) -> Any:
            text = str(messages[-1]["content"]).upper()
            return fill_response(
                model_response, model=f"shout/{model}", texts=[text],
                prompt_tokens=1, completion_tokens=1,
            )

    return Shouting()


async def test_a_provider_registered_after_the_first_call_answers_its_prefix() -> None:
    # A first call sets the providers up; registering later must still reach litellm.
    scripted = ScriptedModel(replies=["ok"])
    assert (await ModelClient(scripted.model).complete("hi")).text == "ok"
    with pytest.raises(UnknownModelError):
        await ModelClient("shout/any").complete("quiet please")

    agentloop.register("model_provider", "shout", shouting_provider)

    answer = await ModelClient("shout/any").complete("quiet please")
    assert answer.text == "QUIET PLEASE"
