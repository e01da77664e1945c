"""Try again: unary feedback only, with the conversation kept."""

from __future__ import annotations

import pytest

from agentloop.graphs import TRY_AGAIN, StopReason, run_graph
from agentloop.roles import FunctionVerifier

from .conftest import ADD, HALF, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio


async def test_the_actor_hears_only_try_again_and_keeps_its_history() -> None:
    roles = Roles(actor=[WRONG, HALF, RIGHT])
    verifier = FunctionVerifier(lambda code: 1.0 if "a + b" in code else 0.5)
    result = await run_graph(
        "try_again", ADD, model=roles.client(), verifier=lambda t, s: verifier
    )
    assert result.stop_reason is StopReason.SOLVED and result.rounds == 3
    third = roles.calls("actor")[2]
    assert [m.role for m in third][2:] == ["assistant", "user", "assistant", "user"]
    assert third[3].content.startswith(TRY_AGAIN) and third[5].content.startswith(TRY_AGAIN)
    assert "a - b" in third[2].content and "a * b" in third[4].content
    # The verifier's details are kept for the trace, not shown to the actor.
    assert all("0.5" not in m.content for m in third)


async def test_gives_up_after_max_rounds() -> None:
    roles = Roles(actor=[WRONG])
    verifier = FunctionVerifier(lambda code: False)
    result = await run_graph(
        "try_again", ADD, model=roles.client(), verifier=lambda t, s: verifier, max_rounds=3
    )
    assert result.stop_reason is StopReason.MAX_DEPTH and result.rounds == 3
    assert len(roles.calls("actor")) == 3
