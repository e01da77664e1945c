"""Hidden-test scoring runs the dataset's `check` out of process, on the extracted program."""

from __future__ import annotations

import anyio
import pytest

from benchmarks._humaneval_code import candidate_program, scoring_program
from benchmarks._humaneval_scoring import SandboxScorer, Scorer, SubprocessScorer
from benchmarks._humaneval_tasks import HiddenCheck, VisibleProblem

PROBLEM = VisibleProblem(
    task_id="T/0",
    prompt='from typing import List\n\n\ndef add(xs: List[int]) -> int:\n    """Sum xs."""\n',
    entry_point="add",
    visible_tests=("assert add([1, 2]) == 3",),
)
HIDDEN = HiddenCheck(
    task_id="T/0",
    test="def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n",
    entry_point="add",
)


@pytest.fixture(params=["sandbox", "subprocess"])
def scorer(request: pytest.FixtureRequest, bwrap_available: bool) -> Scorer:
    if request.param == "sandbox":
        if not bwrap_available:
            pytest.skip("bubblewrap is not installed")
        return SandboxScorer(timeout_s=2)
    return SubprocessScorer(timeout_s=2)


def _score(scorer: Scorer, answer: str) -> tuple[bool, str]:
    program = candidate_program(PROBLEM, answer)
    result = anyio.run(scorer.score, program, HIDDEN)
    return result.passed, result.status


def test_a_correct_answer_passes_even_with_a_wrong_demo_assert_after_it(scorer: Scorer) -> None:
    # Small models append their own example asserts; a wrong one must not fail a right function.
    answer = "```python\ndef add(xs):\n    return sum(xs)\n\nassert add([1]) == 2\n```"
    assert _score(scorer, answer) == (True, "passed")


def test_a_bare_function_body_is_completed_from_the_prompt(scorer: Scorer) -> None:
    assert _score(scorer, "    return sum(xs)\n") == (True, "passed")


def test_a_wrong_answer_fails_and_a_crash_is_not_a_failure(scorer: Scorer) -> None:
    assert _score(scorer, "def add(xs):\n    return 0\n") == (False, "failed")
    assert _score(scorer, "def add(xs):\n    return undefined_name\n") == (False, "crashed")


def test_an_endless_answer_times_out(scorer: Scorer) -> None:
    assert _score(scorer, "def add(xs):\n    while True:\n        pass\n") == (False, "timeout")


def test_candidate_code_does_not_see_the_harness_environment(
    scorer: Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    leak = "len(os.environ.get('OPENAI_API_KEY', ''))"
    answer = f"import os\n\ndef add(xs):\n    return sum(xs) + {leak}\n"
    assert _score(scorer, answer) == (True, "passed")


def test_scoring_program_ends_with_the_hidden_check() -> None:
    source = scoring_program("def add(xs):\n    return sum(xs)\n", HIDDEN)
    assert source.rstrip().endswith("check(add)")
    assert HIDDEN.test in source
