"""Dollar cost from litellm's cost map, charged to the budget, over a real loopback server."""

from __future__ import annotations

import pytest

from agentloop import Budget, BudgetExhausted
from agentloop.model import ModelClient
from tests.openai_loopback import USAGE, ScriptedServer, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
def server(server: ScriptedServer) -> ScriptedServer:
    server.script = [ok("priced answer")]
    return server


async def test_known_model_is_priced_from_the_cost_map(server: ScriptedServer) -> None:
    import litellm

    budget = Budget()
    client = ModelClient("openai/gpt-4o-mini", api_base=server.api_base, api_key="x", budget=budget)
    completion = await client.complete("q")
    prompt_cost, completion_cost = litellm.cost_per_token(
        model="openai/gpt-4o-mini",
        prompt_tokens=USAGE["prompt_tokens"],
        completion_tokens=USAGE["completion_tokens"],
    )
    assert completion.usage.cost_usd == pytest.approx(prompt_cost + completion_cost)
    assert completion.usage.cost_usd > 0
    assert budget.spent.cost_usd == pytest.approx(completion.usage.cost_usd)


async def test_dollar_limit_stops_the_next_call(server: ScriptedServer) -> None:
    budget = Budget(max_usd=1e-6)  # less than one call costs
    client = ModelClient("openai/gpt-4o-mini", api_base=server.api_base, api_key="x", budget=budget)
    await client.complete("q")
    with pytest.raises(BudgetExhausted) as caught:
        await client.complete("q")
    assert caught.value.limit == "usd"
    assert server.attempts == 1


async def test_a_model_missing_from_the_cost_map_costs_nothing(server: ScriptedServer) -> None:
    client = ModelClient("openai/my-own-finetune", api_base=server.api_base, api_key="x")
    completion = await client.complete("q")
    assert completion.usage.cost_usd == 0.0
    assert completion.usage.input_tokens == USAGE["prompt_tokens"]


async def test_a_model_priced_after_an_unpriced_call_is_charged_from_then_on(
    server: ScriptedServer,
) -> None:
    import litellm

    model = "openai/agentloop-test-priced-later"
    client = ModelClient(model, api_base=server.api_base, api_key="x")
    assert (await client.complete("q")).usage.cost_usd == 0.0
    assert (await client.complete("q")).usage.cost_usd == 0.0  # remembered as unpriced
    litellm.register_model(
        {
            model: {
                "input_cost_per_token": 1e-6,
                "output_cost_per_token": 2e-6,
                "litellm_provider": "openai",
                "mode": "chat",
            }
        }
    )
    expected = USAGE["prompt_tokens"] * 1e-6 + USAGE["completion_tokens"] * 2e-6
    assert (await client.complete("q")).usage.cost_usd == pytest.approx(expected)
