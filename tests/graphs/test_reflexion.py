"""Reflexion: act, check by execution, reflect, remember, act again."""

from __future__ import annotations

import pytest

from agentloop import Budget
from agentloop.graphs import StopReason, run_graph
from agentloop.memory import InProcessMemoryStore, lesson
from agentloop.roles import FunctionVerifier, Task

from .conftest import ADD, HALF, POEM, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio


async def test_a_failure_becomes_a_lesson_and_the_next_attempt_passes(needs_bwrap: None) -> None:
    roles = Roles(actor=[WRONG, RIGHT], reflector="Use + instead of -.")
    result = await run_graph("reflexion", ADD, model=roles.client())

    assert result.stop_reason is StopReason.SOLVED
    assert result.passed and result.rounds == 2
    # The example call after the function is not part of the answer.
    assert result.answer == "def add(a, b):\n    return a + b\n"
    second_prompt = roles.calls("actor")[1]
    text = "\n".join(m.content for m in second_prompt)
    assert "Use + instead of -." in text  # the lesson
    assert "assert add(1, 2) == 3" in text  # the failing test, from the sandbox's feedback
    assert [r for r, _ in roles.log] == ["actor", "reflector", "actor"]


LESSON = "Return a + b with the plus sign, not a - b."


async def test_lessons_are_stored_in_memory_and_recalled_on_the_next_run() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    verifier = FunctionVerifier(lambda code: "a + b" in code)
    family_task = ADD.model_copy(update={"family": "arithmetic"})
    first = Roles(actor=[WRONG], reflector=LESSON)
    result = await run_graph(
        "reflexion", family_task, model=first.client(), memory=memory,
        verifier=lambda task, tests: verifier, max_rounds=2,
    )
    assert result.stop_reason is StopReason.MAX_DEPTH
    stored = await memory.list(kind="lesson")
    assert [e.text for e in stored] == [LESSON]
    # Where it came from: the run's trace and the span of the reflection that wrote it.
    assert stored[0].task_family == "arithmetic" and stored[0].role == "actor"
    assert stored[0].source_run == result.trace_id and stored[0].source_span

    second = Roles(actor=[RIGHT])
    result = await run_graph(
        "reflexion", family_task, model=second.client(), memory=memory,
        verifier=lambda task, tests: verifier,
    )
    assert result.stop_reason is StopReason.SOLVED
    first_prompt = "\n".join(m.content for m in second.calls("actor")[0])
    assert LESSON in first_prompt
    # The lesson was retrieved on a run that passed: it gained.
    recalled = await memory.get(stored[0].id)
    assert recalled is not None and recalled.usefulness > 0 and recalled.times_used == 1


async def test_a_recalled_lesson_loses_when_the_run_fails_and_retires_after_repeated_failures(
) -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    lesson_id = await memory.add(lesson(LESSON))
    verifier = FunctionVerifier(lambda code: False)
    for run in range(1, 4):
        roles = Roles(actor=[WRONG], reflector="")
        await run_graph(
            "reflexion", ADD, model=roles.client(), memory=memory,
            verifier=lambda task, tests: verifier, max_rounds=1,
        )
        entry = await memory.get(lesson_id)
        assert entry is not None and entry.times_used == run and entry.usefulness < 0
        assert LESSON in "\n".join(m.content for m in roles.calls("actor")[0])
    # Three failures in a row: the lesson no longer reaches the actor.
    roles = Roles(actor=[WRONG], reflector="")
    await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory,
        verifier=lambda task, tests: verifier, max_rounds=1,
    )
    assert LESSON not in "\n".join(m.content for m in roles.calls("actor")[0])


async def test_recall_keeps_to_the_task_family_and_the_token_allowance() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    await memory.add(lesson(LESSON, task_family="strings"))
    await memory.add(lesson("add(a, b) must return a + b: " + "use the plus sign. " * 40,
                            task_family="arithmetic"))
    await memory.add(lesson("add(a, b) must return a + b.", task_family="arithmetic"))
    verifier = FunctionVerifier(lambda code: True)
    roles = Roles(actor=[RIGHT])
    await run_graph(
        "reflexion", ADD.model_copy(update={"family": "arithmetic"}), model=roles.client(),
        memory=memory, verifier=lambda task, tests: verifier, recall_tokens=60,
    )
    prompt = "\n".join(m.content for m in roles.calls("actor")[0])
    assert "add(a, b) must return a + b." in prompt
    assert LESSON not in prompt  # another family
    assert "use the plus sign. use" not in prompt  # too long for the allowance


async def test_no_better_score_for_patience_rounds_stops_with_no_progress() -> None:
    roles = Roles(actor=[HALF])  # the same 2-of-3 answer every time
    verifier = FunctionVerifier(lambda code: 2 / 3)
    result = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: verifier,
        max_rounds=10, patience=2,
    )
    assert result.stop_reason is StopReason.NO_PROGRESS
    assert result.rounds == 3  # round 1 sets the best; rounds 2 and 3 do not beat it


async def test_budget_running_out_mid_run_ends_with_the_best_so_far() -> None:
    roles = Roles(actor=[HALF, WRONG, RIGHT])
    budget = Budget(max_calls=3)  # act, reflect, act; the next reflect cannot be paid
    scores = {HALF: 2 / 3, WRONG: 1 / 3}
    verifier = FunctionVerifier(lambda code: 2 / 3 if "*" in code else 1 / 3)
    result = await run_graph(
        "reflexion", ADD, model=roles.client(budget), budget=budget,
        verifier=lambda t, s: verifier, max_rounds=5, patience=None,
    )
    assert result.stop_reason is StopReason.BUDGET
    assert result.calls == 3
    assert result.best is not None and "*" in result.best.text
    assert result.score == pytest.approx(scores[HALF])


async def test_prose_is_checked_by_the_critic_until_it_accepts() -> None:
    critiques = iter(
        ["Too plain.\nSCORE: 4\nVERDICT: REVISE", "Lovely.\nSCORE: 9\nVERDICT: ACCEPT"]
    )
    roles = Roles(actor=["Rain falls.", "Rain again, my friend, the rain."],
                  critic=lambda m: next(critiques))
    result = await run_graph("reflexion", POEM, model=roles.client())
    assert result.stop_reason is StopReason.ACCEPTED
    assert result.answer == "Rain again, my friend, the rain."
    assert result.score == pytest.approx(0.9)


async def test_a_code_task_without_tests_runs_drafted_tests_that_survived_screening(
    needs_bwrap: None,
) -> None:
    task = Task(name="add", prompt='def add(a, b):\n    """Return a + b."""\n')
    drafted = (
        "assert add(1, 2) == 3\n"
        "assert add(1, 2) is None or True\n"  # passes on a stub: says nothing
        "assert add(1, 2 == 3\n"  # not Python
        "assert add(5, 5) == 10\n"
    )
    roles = Roles(actor=[RIGHT], test_writer=drafted)
    result = await run_graph("reflexion", task, model=roles.client())
    assert result.extra["tests"] == ["assert add(1, 2) == 3", "assert add(5, 5) == 10"]
    assert result.stop_reason is StopReason.SOLVED
