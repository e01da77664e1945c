"""Self-refine: act, critique, refine with the whole history."""

from __future__ import annotations

import pytest

from agentloop.graphs import StopReason, run_graph
from agentloop.roles import FunctionVerifier

from .conftest import ADD, HALF, POEM, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio


async def test_refines_until_the_critic_accepts_with_every_earlier_answer_in_view() -> None:
    critiques = iter([
        "Needs a rhyme.\nSCORE: 3\nVERDICT: REVISE",
        "Closer, rhyme the end.\nSCORE: 6\nVERDICT: REVISE",
        "Good.\nSCORE: 9/10\nVERDICT: ACCEPT",
    ])
    roles = Roles(actor=["Rain.", "Rain falls down.", "Rain falls in the lane."],
                  critic=lambda m: next(critiques))
    result = await run_graph("self_refine", POEM, model=roles.client())

    assert result.stop_reason is StopReason.ACCEPTED
    assert result.answer == "Rain falls in the lane." and result.rounds == 3
    third = roles.calls("actor")[2]
    assert [m.role for m in third] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert third[2].content == "Rain." and "Needs a rhyme." in third[3].content
    assert "Closer, rhyme the end." in third[5].content
    # The rubric reaches the critic.
    assert "Rhymes." in roles.calls("critic")[0][-1].content


async def test_scores_that_stop_improving_end_with_no_progress() -> None:
    roles = Roles(actor=["Rain."], critic="Meh.\nSCORE: 5\nVERDICT: REVISE")
    result = await run_graph("self_refine", POEM, model=roles.client(), max_rounds=9, patience=2)
    assert result.stop_reason is StopReason.NO_PROGRESS
    assert result.rounds == 3


async def test_passing_the_visible_tests_stops_without_asking_the_critic() -> None:
    roles = Roles(actor=[WRONG, RIGHT])
    verifier = FunctionVerifier(lambda code: "a + b" in code)
    result = await run_graph(
        "self_refine", ADD, model=roles.client(), verifier=lambda t, s: verifier
    )
    assert result.stop_reason is StopReason.SOLVED
    assert len(roles.calls("critic")) == 1  # only the failing first answer was critiqued
    assert result.candidates[0].passed is False and result.candidates[0].accepted is False


async def test_a_critic_cannot_accept_code_that_fails_its_tests() -> None:
    roles = Roles(actor=[HALF], critic="Perfect.\nSCORE: 10\nVERDICT: ACCEPT")
    verifier = FunctionVerifier(lambda code: 2 / 3)
    result = await run_graph(
        "self_refine", ADD, model=roles.client(), verifier=lambda t, s: verifier, max_rounds=2,
        patience=None,
    )
    assert result.stop_reason is StopReason.MAX_DEPTH
