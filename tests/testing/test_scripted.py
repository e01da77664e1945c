"""agentloop.testing: the scripted model and the network guard, used through the real client."""

from __future__ import annotations

import pytest

from agentloop import Message
from agentloop.errors import ConfigError, NetworkModelBlocked, UnknownModelError
from agentloop.model import ModelClient
from agentloop.testing import ScriptedModel, block_network_models, count_words

pytestmark = pytest.mark.anyio


async def test_replies_in_order_then_a_clear_error() -> None:
    model = ScriptedModel(replies=["one", "two"], name="ordered")
    client = ModelClient("scripted/ordered")
    assert (await client.complete("a")).text == "one"
    assert (await client.complete("b")).text == "two"
    with pytest.raises(ConfigError, match="ran out of replies"):
        await client.complete("c")
    assert [c.messages[-1].content for c in model.calls] == ["a", "b", "c"]


async def test_function_replies_see_the_messages() -> None:
    async def echo(messages: list[Message]) -> str:
        return messages[-1].content.upper()

    model = ScriptedModel(fn=echo)
    assert (await ModelClient(model.model).complete("shout")).text == "SHOUT"


async def test_unregistered_name_is_an_unknown_model() -> None:
    with pytest.raises(UnknownModelError, match="no scripted model named"):
        await ModelClient("scripted/never-made").complete("q")


def test_needs_exactly_one_of_replies_or_fn() -> None:
    with pytest.raises(ConfigError):
        ScriptedModel()
    with pytest.raises(ConfigError):
        ScriptedModel(replies=["a"], fn=lambda m: "b")


def test_token_count_is_by_words() -> None:
    assert count_words("two words") == 2
    assert count_words("") == 0


async def test_guard_blocks_network_models_before_any_request() -> None:
    with block_network_models():
        with pytest.raises(NetworkModelBlocked, match="scripted model"):
            await ModelClient("openai/gpt-4o-mini", api_key="sk-x").complete("q")
        with pytest.raises(NetworkModelBlocked):
            await ModelClient("openai/m", api_base="https://api.example.com/v1").complete("q")
        # In-process models stay allowed.
        model = ScriptedModel(replies=["fine"])
        assert (await ModelClient(model.model).complete("q")).text == "fine"


async def test_guard_lets_loopback_servers_through() -> None:
    # Nothing listens on port 9: the call gets past the guard and fails to connect instead.
    from agentloop.errors import ModelConnectionError, NetworkModelBlocked
    from agentloop.model import RetryPolicy

    client = ModelClient(
        "openai/m", api_base="http://127.0.0.1:9/v1", api_key="x", retry=RetryPolicy(max_attempts=1)
    )
    with block_network_models():
        with pytest.raises(ModelConnectionError):
            await client.complete("q")
    with pytest.raises(NetworkModelBlocked):
        with block_network_models():
            await ModelClient("anthropic/claude", api_key="x").complete("q")
