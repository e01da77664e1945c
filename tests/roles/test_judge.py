"""The judge: pointwise scores, pairwise preferences asked in both orders, malformed output."""

from __future__ import annotations

import json

import pytest

from agentloop import Message
from agentloop.errors import StructuredOutputError
from agentloop.model import ModelClient
from agentloop.roles import FunctionJudge, LLMJudge, Task, combine_preferences
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio
TASK = Task(prompt="Write a line about rain.", kind="writing", rubric=["Rhymes."])


def _first_answer(messages: list[Message]) -> str:
    return messages[-1].content.split("Answer A:")[1].split("Answer B:")[0].strip()


async def test_pointwise_scores_are_normalised_with_their_rationale() -> None:
    model = ScriptedModel(replies=['{"rationale": "vivid", "score": 10}'])
    score = await LLMJudge(ModelClient(model.model)).score(TASK, "Rain, again.")
    assert score.score == 1.0 and score.rationale == "vivid"
    assert "Rhymes." in model.calls[0].messages[-1].content


async def test_a_consistent_preference_survives_the_order_swap() -> None:
    def reply(messages: list[Message]) -> str:
        winner = "A" if "pane" in _first_answer(messages) else "B"
        return json.dumps({"rationale": "rhymes", "winner": winner})

    model = ScriptedModel(fn=reply)
    judge = LLMJudge(ModelClient(model.model))
    pref = await judge.compare(TASK, "Rain on the window.", "Rain on the pane, again.")
    assert pref.winner == "b" and pref.consistent
    # Asked twice, once in each order.
    firsts = sorted(_first_answer(c.messages) for c in model.calls)
    assert firsts == ["Rain on the pane, again.", "Rain on the window."]


async def test_a_judge_that_always_prefers_the_first_answer_gives_a_tie() -> None:
    model = ScriptedModel(fn=lambda m: '{"rationale": "first!", "winner": "A"}')
    pref = await LLMJudge(ModelClient(model.model)).compare(TASK, "one", "two")
    assert pref.winner == "tie" and not pref.consistent


def test_a_win_and_a_tie_make_a_win() -> None:
    assert combine_preferences("a", "tie").winner == "a"
    assert combine_preferences("tie", "b").winner == "b"
    assert combine_preferences("a", "b").winner == "tie"


async def test_malformed_output_is_reasked_then_fails_with_a_typed_error() -> None:
    model = ScriptedModel(fn=lambda m: "Answer A is nicer, I think.")
    judge = LLMJudge(ModelClient(model.model), max_reasks=1)
    with pytest.raises(StructuredOutputError):
        await judge.score(TASK, "one")
    assert model.call_count == 2  # the ask and one re-ask
    with pytest.raises(StructuredOutputError):
        await judge.compare(TASK, "one", "two")
    # The first order to give up stops the other one: at most 2 asks of each order.
    assert 4 <= model.call_count <= 6


async def test_a_reask_with_the_error_recovers() -> None:
    model = ScriptedModel(replies=["nope", '{"rationale": "ok", "score": 4}'])
    score = await LLMJudge(ModelClient(model.model)).score(TASK, "one")
    assert score.score == pytest.approx(3 / 9)


async def test_function_judges_compare_by_score_unless_told_otherwise() -> None:
    judge = FunctionJudge(lambda task, c: len(c) / 20)
    assert (await judge.compare(TASK, "short", "much longer")).winner == "b"
    judge = FunctionJudge(lambda task, c: 0.5, compare=lambda task, a, b: "a")
    assert (await judge.compare(TASK, "short", "much longer")).winner == "a"


RAIN_EXPERIENCE = (
    "Task: Write a line about rain. Judged: preferred the longer line. "
    "The user overturned it: the short line rhymed"
)


async def test_the_judge_reads_its_past_verdicts_from_memory_within_the_allowance() -> None:
    from agentloop.memory import InProcessMemoryStore, MemoryEntry

    memory = InProcessMemoryStore(embedder="hashing")
    shown = await memory.add(MemoryEntry(kind="judge", text=RAIN_EXPERIENCE))
    await memory.add(MemoryEntry(kind="lesson", text="Write a line about rain that rhymes."))
    await memory.add(MemoryEntry(kind="judge", text="Write a line about rain. " * 60))
    model = ScriptedModel(fn=lambda m: (
        '{"rationale": "ok", "winner": "A"}' if "Answer A:" in m[-1].content
        else '{"rationale": "ok", "score": 5}'
    ))
    judge = LLMJudge(ModelClient(model.model), memory=memory, experience_tokens=100)

    score = await judge.score(TASK, "Rain, again.")
    pref = await judge.compare(TASK, "one", "two")
    assert score.experience_ids == [shown] and pref.experience_ids == [shown]
    for call in model.calls:  # the pointwise ask and both pairwise orders
        prompt = call.messages[-1].content
        assert "Your past judgements on similar cases" in prompt and RAIN_EXPERIENCE in prompt
        assert "that rhymes." not in prompt  # a lesson is for the actor, not the judge
        assert prompt.count("Write a line about rain.") <= 3  # the long entry did not fit


async def test_without_memory_or_relevant_experience_the_prompt_is_unchanged() -> None:
    from agentloop.memory import InProcessMemoryStore

    model = ScriptedModel(fn=lambda m: '{"rationale": "ok", "score": 5}')
    empty = InProcessMemoryStore(embedder="hashing")
    await LLMJudge(ModelClient(model.model), memory=empty).score(TASK, "Rain.")
    await LLMJudge(ModelClient(model.model)).score(TASK, "Rain.")
    first, second = (c.messages[-1].content for c in model.calls)
    assert first == second and first.startswith("Task:")
