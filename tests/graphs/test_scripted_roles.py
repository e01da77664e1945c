"""The graph tests' scripted model (`Roles`, in conftest) answers each request as the role that
sent it, told by the role's own system prompt; a request from no known role fails the test."""

from __future__ import annotations

import pytest

from agentloop import system, user
from agentloop.roles import (
    ActorPrompts,
    LLMActor,
    LLMCritic,
    LLMJudge,
    LLMReflector,
    LLMTestWriter,
)

from .conftest import ADD, POEM, RIGHT, Roles, role_of

pytestmark = pytest.mark.anyio


async def test_each_role_is_answered_from_its_own_script() -> None:
    roles = Roles(actor=[RIGHT], reflector="Mind the sign.", test_writer="assert add(2, 3) == 5")
    client = roles.client()
    assert "a + b" in await LLMActor(client).propose(ADD)
    assert (await LLMCritic(client).critique(POEM, "Rain falls.")).feedback == "Not yet."
    assert await LLMReflector(client).reflect(ADD, "return a - b", "1 of 3 passed") == (
        "Mind the sign."
    )
    assert (await LLMJudge(client).score(POEM, "Rain falls.")).score == pytest.approx(4 / 9)
    assert (await LLMJudge(client).compare(POEM, "a", "b")).winner == "tie"
    assert await LLMTestWriter(client).write_tests(ADD.model_copy(update={"tests": []})) == [
        "assert add(2, 3) == 5"
    ]
    assert [role for role, _ in roles.log] == [
        "actor", "critic", "reflector", "pointwise", "pairwise", "pairwise", "test_writer",
    ]


def test_a_request_from_no_known_role_fails_instead_of_going_to_the_actor() -> None:
    with pytest.raises(pytest.fail.Exception, match="no role has this system prompt"):
        role_of([system("You are a pirate."), user("Write add(a, b).")])
    with pytest.raises(pytest.fail.Exception, match="no role has this system prompt"):
        role_of([user("Write add(a, b).")])
    edited = ActorPrompts(system_code="You write Python.")
    with pytest.raises(pytest.fail.Exception):
        role_of(LLMActor("scripted/none", prompts=edited).messages(ADD))
