"""Reflexion: act, check by execution, reflect, remember, act again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from agentloop import Budget, TestResult, Verdict, VerdictStatus
from agentloop import TestOutcome as Outcome
from agentloop.errors import ConfigError, GraphError
from agentloop.graphs import StopReason, reflexion_graph, run_graph
from agentloop.memory import InProcessMemoryStore, lesson
from agentloop.roles import Attempt, FunctionActor, FunctionReflector, FunctionVerifier, Task

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


async def test_a_lesson_followed_by_a_pass_is_stored_and_recalled_on_the_next_run() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    verifier = FunctionVerifier(lambda code: "a + b" in code)
    family_task = ADD.model_copy(update={"family": "arithmetic"})
    first = Roles(actor=[WRONG, RIGHT], reflector=LESSON)
    result = await run_graph(
        "reflexion", family_task, model=first.client(), memory=memory,
        verifier=lambda task, tests: verifier, max_rounds=2,
    )
    assert result.stop_reason is StopReason.SOLVED
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


async def test_a_lesson_followed_by_a_failure_stays_in_the_run_but_not_in_memory() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    verifier = FunctionVerifier(lambda code: "a + b" in code)
    roles = Roles(actor=[WRONG], reflector="a and b must be different.")
    result = await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory,
        verifier=lambda task, tests: verifier, max_rounds=2,
    )
    assert result.stop_reason is StopReason.MAX_DEPTH
    # The run's own next attempt still saw it ...
    assert "a and b must be different." in "\n".join(
        m.content for m in roles.calls("actor")[1]
    )
    # ... but nothing showed it helped, so later runs never will.
    assert await memory.list(kind="lesson") == []


async def test_only_the_lesson_right_before_the_passing_attempt_is_stored() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    lessons = iter(["Multiply the inputs.", "Use the plus sign, not minus."])
    roles = Roles(actor=[WRONG, HALF, RIGHT], reflector=lambda m: next(lessons))
    # The ADD task's own tests: WRONG passes 1 of 3, HALF 2, RIGHT all, so every round improves
    # and the actor (which sees the lessons) makes every attempt.
    result = await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory, max_rounds=3, patience=None,
    )
    assert result.stop_reason is StopReason.SOLVED and result.rounds == 3
    assert result.extra["lessons"] == ["Multiply the inputs.", "Use the plus sign, not minus."]
    assert [e.text for e in await memory.list(kind="lesson")] == [
        "Use the plus sign, not minus.\n"
        "The failing test it fixed: assert add(1, 2) == 3: got 2, expected 3"
    ]


PRODUCT = Task(
    name="product", family="empty_raises", entry_point="product",
    prompt='def product(xs):\n    """Return the product of the numbers in xs."""\n',
    tests=[
        "def test_product():\n    assert product([2, 3, 4]) == 24\n",
        "def test_empty_raises():\n"
        "    try:\n        got = product([])\n    except ValueError:\n        return\n"
        '    raise AssertionError(f"product([]) returned {got!r}; expected ValueError")\n',
    ],
)
PRODUCT_WRONG = (
    "```python\ndef product(xs):\n    p = 1\n    for x in xs:\n        p *= x\n"
    "    return p\n```"
)
PRODUCT_RIGHT = (
    "```python\ndef product(xs):\n    if not xs:\n        raise ValueError('empty')\n"
    "    p = 1\n    for x in xs:\n        p *= x\n    return p\n```"
)
VAGUE = "Check that the list is not empty before multiplying."


async def test_a_validated_lesson_is_stored_with_the_failing_tests_expected_and_actual(
    needs_bwrap: None,
) -> None:
    # The reflector's lesson is vague (a weak model's usual); what taught the fix was the
    # failing test's feedback, so the stored lesson carries it for the family's later tasks.
    memory = InProcessMemoryStore(embedder="hashing")
    roles = Roles(actor=[PRODUCT_WRONG, PRODUCT_RIGHT], reflector=VAGUE)
    result = await run_graph("reflexion", PRODUCT, model=roles.client(), memory=memory)
    assert result.stop_reason is StopReason.SOLVED and result.rounds == 2
    assert result.extra["lessons"] == [VAGUE]  # the run itself saw the lesson as written
    [stored] = await memory.list(kind="lesson")
    assert stored.text.startswith(VAGUE)
    assert "product([]) returned 1; expected ValueError" in stored.text
    assert "Traceback" not in stored.text and len(stored.text) <= len(VAGUE) + 250

    # A sibling task of the family gets the evidence in its first prompt.
    sibling = PRODUCT.model_copy(update={"name": "product2", "tests": PRODUCT.tests[:1]})
    later = Roles(actor=[PRODUCT_RIGHT])
    await run_graph("reflexion", sibling, model=later.client(), memory=memory)
    prompt = "\n".join(m.content for m in later.calls("actor")[0])
    assert "product([]) returned 1; expected ValueError" in prompt


async def test_the_stored_evidence_is_trimmed_and_names_the_failing_assert(
    needs_bwrap: None,
) -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    long_tests = [f"assert add({i}, 1) == {i + 1}" for i in range(1, 30)]
    task = ADD.model_copy(update={"tests": long_tests})
    roles = Roles(actor=[WRONG, RIGHT], reflector=LESSON)
    await run_graph("reflexion", task, model=roles.client(), memory=memory)
    [stored] = await memory.list(kind="lesson")
    evidence = stored.text.removeprefix(LESSON)
    assert "assert add(1, 1) == 2: got 0, expected 2" in evidence
    assert len(evidence) <= 250 and evidence.endswith("...")


async def test_the_stored_evidence_comes_from_the_verdicts_test_results() -> None:
    # A verifier whose prose names no test: the evidence is read from the results themselves.
    def verdict(code: str) -> Verdict:
        if "a + b" in code:
            return Verdict(status=VerdictStatus.PASSED, score=1.0)
        failed = TestResult(name="test_0", source="assert add(2, 2) == 4",
                            outcome=Outcome.FAILED, actual="0", expected="4")
        return Verdict(status=VerdictStatus.FAILED, tests=[failed], feedback="Wrong.")

    memory = InProcessMemoryStore(embedder="hashing")
    roles = Roles(actor=[WRONG, RIGHT], reflector=LESSON)
    await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory,
        verifier=lambda task, tests: FunctionVerifier(verdict),
    )
    assert "Wrong." in "\n".join(m.content for m in roles.calls("reflector")[0])
    assert [e.text for e in await memory.list(kind="lesson")] == [
        f"{LESSON}\nThe failing test it fixed: assert add(2, 2) == 4: got 0, expected 4"
    ]


async def test_persist_lessons_all_stores_every_reflection() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    verifier = FunctionVerifier(lambda code: False)
    roles = Roles(actor=[WRONG], reflector=LESSON)
    await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory, persist_lessons="all",
        verifier=lambda task, tests: verifier, max_rounds=2,
    )
    assert [e.text for e in await memory.list(kind="lesson")] == [LESSON]


async def test_long_lessons_are_trimmed_and_their_code_dropped_before_anyone_sees_them() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    verifier = FunctionVerifier(lambda code: "a + b" in code)
    rambling = (
        "The result had the wrong sign. Use addition for a sum. Subtraction flips it. "
        "Here is the corrected code:\n```python\ndef add(a, b):\n    return a + b\n```"
    )
    roles = Roles(actor=[WRONG, RIGHT], reflector=rambling)
    await run_graph(
        "reflexion", ADD, model=roles.client(), memory=memory,
        verifier=lambda task, tests: verifier, max_rounds=2,
    )
    short = "The result had the wrong sign. Use addition for a sum."
    assert [e.text for e in await memory.list(kind="lesson")] == [short]
    second_prompt = "\n".join(m.content for m in roles.calls("actor")[1])
    assert short in second_prompt and "Subtraction flips it" not in second_prompt
    assert "return a + b" not in second_prompt  # the code block never reached the actor


async def test_an_unknown_lesson_policy_is_refused() -> None:
    roles = Roles()
    with pytest.raises(
        ConfigError, match="persist_lessons='sometimes' .* must be one of 'validated', 'all'"
    ):
        await run_graph("reflexion", ADD, model=roles.client(), persist_lessons="sometimes")
    assert roles.model.call_count == 0
    with pytest.raises(GraphError, match="persist_lessons"):
        reflexion_graph(
            actor=FunctionActor(lambda *args: ""), reflector=FunctionReflector(lambda *args: ""),
            persist_lessons="sometimes",  # type: ignore[arg-type]
        )


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


def _stuck_then_explored(
    memory: InProcessMemoryStore | None = None, **options: Any
) -> tuple[Any, list[tuple[int, list[str]]]]:
    """A greedy actor that rewrites the same 2-of-3 program, and an explorer that gets it right;
    returns the graph and what the explorer was shown (history length, lessons)."""
    seen: list[tuple[int, list[str]]] = []

    def explore(task: Task, history: Sequence[Attempt], lessons: Sequence[str]) -> str:
        seen.append((len(history), list(lessons)))
        return RIGHT_ADD

    graph = reflexion_graph(
        actor=FunctionActor(lambda task, history, lessons: HALF_ADD),
        explorer=FunctionActor(explore),
        reflector=FunctionReflector(lambda task, candidate, feedback: "Add, do not multiply."),
        verifier=lambda t, s: FunctionVerifier(lambda code: 1.0 if "a + b" in code else 2 / 3),
        memory=memory, max_rounds=5, patience=3, **options,
    )
    return graph, seen


HALF_ADD, RIGHT_ADD = "def add(a, b):\n    return a * b", "def add(a, b):\n    return a + b"


async def test_after_a_round_without_progress_the_explorer_starts_over_from_the_task() -> None:
    graph, seen = _stuck_then_explored()
    result = await run_graph(graph, ADD)
    assert result.stop_reason is StopReason.SOLVED
    # Round 1 sets the best, round 2 repeats it (no progress), round 3 is the explorer's: a
    # fresh start from the task alone, neither the failed program nor the lessons that did not
    # help it.
    assert [c.text for c in result.candidates] == [HALF_ADD, HALF_ADD, RIGHT_ADD]
    assert seen == [(0, [])]


async def test_the_explorer_can_be_shown_the_runs_lessons() -> None:
    graph, seen = _stuck_then_explored(explorer_lessons=True)
    await run_graph(graph, ADD)
    assert seen == [(0, ["Add, do not multiply."])]  # said twice, shown once


@pytest.mark.parametrize("explorer_lessons", [False, True])
async def test_only_a_lesson_the_passing_attempt_saw_is_validated(explorer_lessons: bool) -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    graph, _ = _stuck_then_explored(memory, explorer_lessons=explorer_lessons)
    await run_graph(graph, ADD)
    stored = [entry.text for entry in await memory.list(kind="lesson")]
    # The explorer's pass vouches for the lesson only if the explorer was shown it.
    assert stored == (["Add, do not multiply."] if explorer_lessons else [])
