"""Code extraction from model replies: the one every strategy and the benchmark share."""

from __future__ import annotations

from agentloop.code import extract_code, fenced_blocks, function_names

PROMPT = '''from typing import List


def helper(x: int) -> int:
    return x + 1


def inc_all(xs: List[int]) -> List[int]:
    """Add one to each.
    >>> inc_all([1])
    [2]
    """
'''


def test_the_fenced_solution_is_kept_and_trailing_example_code_dropped() -> None:
    reply = (
        "Here is the solution:\n\n```python\n"
        "import math\n\nLIMIT = 10\n\n"
        "def inc_all(xs):\n    return [x + 1 for x in xs]\n\n"
        "print(inc_all([1, 2]))\nassert inc_all([1]) == [2]\nresult = inc_all([3])\n"
        "if __name__ == '__main__':\n    inc_all([4])\n"
        "```\nThis works because..."
    )
    assert extract_code(reply, entry_point="inc_all") == (
        "import math\n\nLIMIT = 10\n\ndef inc_all(xs):\n    return [x + 1 for x in xs]\n"
    )


def test_helpers_and_imports_from_the_prompt_are_added_when_the_reply_uses_them() -> None:
    reply = (
        "```python\ndef inc_all(xs: List[int]) -> List[int]:\n"
        "    return [helper(x) for x in xs]\n```"
    )
    code = extract_code(reply, entry_point="inc_all", prompt=PROMPT)
    assert code.startswith("from typing import List\n")
    assert function_names(code) == ["helper", "inc_all"]
    namespace: dict[str, object] = {}
    exec(compile(code, "<candidate>", "exec"), namespace)  # trusted: the test's own code
    assert namespace["inc_all"]([1, 2]) == [2, 3]  # type: ignore[operator]


def test_a_bare_function_body_is_completed_with_the_prompt() -> None:
    code = extract_code(
        "    return [helper(x) for x in xs]\n", entry_point="inc_all", prompt=PROMPT
    )
    assert "def inc_all(xs: List[int])" in code and code.rstrip().endswith(
        "return [helper(x) for x in xs]"
    )


def test_the_block_defining_the_entry_point_wins_over_example_blocks() -> None:
    reply = (
        "Usage:\n```python\nprint(f(2))\n```\nCode:\n```python\ndef f(x):\n    return x\n```\n"
        "Shell:\n```bash\npython f.py\n```"
    )
    assert extract_code(reply, entry_point="f") == "def f(x):\n    return x\n"
    assert fenced_blocks(reply) == ["print(f(2))\n", "def f(x):\n    return x\n"]


def test_prose_around_unfenced_code_and_a_truncated_tail_are_trimmed() -> None:
    reply = "Sure! Here it is\ndef f(a):\n    return a * 2\nf(2)\n\ndef g(\n"
    assert extract_code(reply, entry_point="f") == "def f(a):\n    return a * 2\n"
    unclosed = "```python\ndef f(a):\n    return a\n"  # cut off by max_tokens: no closing fence
    assert extract_code(unclosed, entry_point="f") == "def f(a):\n    return a\n"


def test_code_that_never_parses_is_returned_for_the_verifier_to_report() -> None:
    reply = "```python\ndef f(a)\n    return a\n```"
    assert extract_code(reply, entry_point="f") == "def f(a)\n    return a\n"


def test_decorators_and_classes_are_kept() -> None:
    reply = (
        "```python\nimport functools\n\n@functools.cache\ndef fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nclass Box:\n    pass\n\n"
        "fib(10)\n```"
    )
    code = extract_code(reply, entry_point="fib")
    assert "@functools.cache\ndef fib(n):" in code and "class Box:" in code
    assert "fib(10)\n" not in code.split("fib(n - 2)")[1]
