"""Actor, critic and reflector on a scripted model, and their plain-function twins."""

from __future__ import annotations

import pytest

from agentloop.model import ModelClient
from agentloop.roles import (
    ActorPrompts,
    Attempt,
    Critique,
    FunctionActor,
    FunctionCritic,
    FunctionReflector,
    LLMActor,
    LLMCritic,
    LLMReflector,
    Task,
    parse_critique,
)
from agentloop.roles._reflector import tidy_lesson
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio
TASK = Task(prompt='def add(a, b):\n    """Sum."""\n', tests=["assert add(1, 2) == 3"])


async def test_the_actor_sees_history_as_turns_and_lessons_in_the_task() -> None:
    model = ScriptedModel(replies=["```python\ndef add(a, b):\n    return a + b\n\nadd(1, 2)\n```"])
    actor = LLMActor(ModelClient(model.model))
    candidate = await actor.propose(
        TASK, history=[Attempt(candidate="def add(a, b): return 0", feedback="got 0, expected 3")],
        lessons=["Read the docstring."],
    )
    assert candidate == "def add(a, b):\n    return a + b\n"
    sent = model.calls[0].messages
    assert [m.role for m in sent] == ["system", "user", "assistant", "user"]
    assert "Read the docstring." in sent[1].content and "def add(a, b):" in sent[1].content
    # The same heading memory retrieval puts above lessons; the benchmarks ran on this wording.
    assert sent[1].content.endswith(
        "\n\nLessons from earlier attempts at similar tasks:\n- Read the docstring."
    )
    assert "got 0, expected 3" in sent[3].content


async def test_prompts_are_data_the_user_can_override() -> None:
    model = ScriptedModel(replies=["Roses."])
    prompts = ActorPrompts(system_writing="You are a pirate poet.", task="Ahoy! {prompt}")
    actor = LLMActor(ModelClient(model.model), prompts=prompts)
    assert await actor.propose(Task(prompt="A poem.", kind="writing")) == "Roses."
    sent = model.calls[0].messages
    assert sent[0].content == "You are a pirate poet." and sent[1].content == "Ahoy! A poem."


async def test_plain_functions_serve_as_roles_sync_or_async() -> None:
    async def act(task: Task, history: object, lessons: object) -> str:
        return "def add(a, b):\n    return a + b\n"

    assert "a + b" in await FunctionActor(act).propose(TASK)
    critic = FunctionCritic(lambda task, c: Critique(accept="+" in c, feedback="fine"))
    assert (await critic.critique(TASK, "a + b")).accept
    reflector = FunctionReflector(lambda task, c, f: f"because {f}")
    assert await reflector.reflect(TASK, "x", "it failed") == "because it failed"


def test_reviews_are_parsed_and_a_missing_verdict_is_not_an_acceptance() -> None:
    full = parse_critique("Good work, maybe shorter.\nSCORE: 8\nVERDICT: ACCEPT")
    assert full.accept and full.score == pytest.approx(0.8)
    assert full.feedback == "Good work, maybe shorter."
    assert parse_critique("Score: 3/5. Verdict: revise").score == pytest.approx(0.6)
    vague = parse_critique("It is nice I guess.")
    assert not vague.accept and vague.score is None and vague.feedback == "It is nice I guess."


async def test_the_critic_checks_a_checklist_when_given() -> None:
    model = ScriptedModel(replies=["Misses the second point.\nSCORE: 4\nVERDICT: REVISE"])
    critic = LLMCritic(ModelClient(model.model), checklist=["mentions rain", "rhymes"])
    critique = await critic.critique(Task(prompt="A line.", kind="writing"), "Sun.")
    assert not critique.accept and critique.score == pytest.approx(0.4)
    assert "- mentions rain\n- rhymes" in model.calls[0].messages[-1].content


async def test_the_reflector_returns_a_short_lesson() -> None:
    model = ScriptedModel(replies=["  Check the sign of the result and " + "then more " * 200])
    lesson = await LLMReflector(ModelClient(model.model), max_chars=40).reflect(
        TASK, "def add(a, b): return a - b", "got -1, expected 3"
    )
    # Cut at a word boundary within the limit, never mid-word.
    assert lesson == "Check the sign of the result and then"
    assert "got -1, expected 3" in model.calls[0].messages[-1].content


async def test_the_reflector_keeps_two_sentences_and_drops_code() -> None:
    reply = (
        "The error occurred because split() was called on a blank string. Check for an empty "
        "input before indexing. If it is empty, return the empty value. Here is the corrected "
        "code:\n\n```python\ndef first_word(s):\n    return s.split()[0] if s.split() "
        "else ''\n```"
    )
    model = ScriptedModel(replies=[reply])
    lesson = await LLMReflector(ModelClient(model.model)).reflect(TASK, "x", "IndexError")
    assert lesson == (
        "The error occurred because split() was called on a blank string. Check for an empty "
        "input before indexing."
    )
    # The prompt asks for one general sentence, not the fix for this one function.
    system_prompt = model.calls[0].messages[0].content
    assert "general" in system_prompt and "do not write code" in system_prompt


def test_tidy_lesson_drops_code_and_the_sentence_announcing_it() -> None:
    assert tidy_lesson("Fix it like this:\n```python\nx = 1\n```\nCheck empty lists.") == (
        "Check empty lists."
    )
    assert tidy_lesson("```python\nreturn a + b\n```") == ""  # nothing but code: no lesson
    assert tidy_lesson("Unclosed fence. ```python\ndef f():\n    pass") == "Unclosed fence."
    assert len(tidy_lesson("word " * 200)) <= 300
