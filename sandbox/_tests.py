"""Split a test suite (assert lines, HumanEval `check`, pytest functions) into single tests.

The tests are trusted input (they come from the task, not the model), so they are parsed here on
the host; only the candidate is confined to the sandbox.
"""

from __future__ import annotations

import ast
import textwrap
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agentloop.errors import ConfigError

__all__ = ["TestPlan", "TestStep", "TestStyle", "plan_tests"]

TestStyle = Literal["auto", "asserts", "check", "pytest"]

_COMPARE_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}


class TestStep(BaseModel):
    """One step of the plan: setup code run in order, or a test reported on its own."""

    model_config = ConfigDict(frozen=True)
    __test__ = False

    kind: Literal["setup", "test"]
    source: str
    """What the user sees: the statement or function as written."""
    code: str
    """What runs: for a test function, a call to it."""
    name: str = ""
    left: str | None = None
    """For `assert a OP b`: the two sides, evaluated apart so both values can be reported."""
    right: str | None = None
    op: str | None = None
    actual_side: Literal["left", "right"] = "left"
    message: str | None = None
    """For `assert x, "msg"`: the message expression."""


class TestPlan(BaseModel):
    """A whole suite, ready for the harness."""

    model_config = ConfigDict(frozen=True)
    __test__ = False

    style: Literal["asserts", "check", "pytest"]
    entry_point: str | None
    steps: list[TestStep]

    @property
    def tests(self) -> list[TestStep]:
        return [step for step in self.steps if step.kind == "test"]

    def payload(self) -> list[dict[str, Any]]:
        return [step.model_dump() for step in self.steps]


def _segment(source: str, node: ast.AST) -> str:
    # ast.get_source_segment re-splits the whole source on every call; slice our own lines.
    lines = _lines(source)
    start: int | None = getattr(node, "lineno", None)
    end: int | None = getattr(node, "end_lineno", None)
    if start is None or end is None:
        return ast.unparse(node)
    first: int = getattr(node, "col_offset", 0)
    last: int = getattr(node, "end_col_offset", 0)
    if start == end:
        return lines[start - 1].encode()[first:last].decode()
    head = lines[start - 1].encode()
    parts = [head[first:].decode(), *lines[start:end - 1], lines[end - 1].encode()[:last].decode()]
    if not isinstance(node, ast.stmt):
        return "".join(parts)  # inside brackets, indentation does not matter
    # A statement nested in a function keeps its body's indentation relative to its first line.
    return textwrap.dedent(" " * first + "".join(parts))


@lru_cache(maxsize=32)
def _lines(source: str) -> list[str]:
    # Split on "\n" only, as the parser counts lines (str.splitlines also splits on \x0c...).
    return [line + "\n" for line in source.split("\n")]


def _calls(node: ast.AST, names: set[str]) -> bool:
    return any(
        isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in names
        for sub in ast.walk(node)
    )


def _assert_step(source: str, node: ast.Assert, index: int, targets: set[str]) -> TestStep | None:
    if isinstance(node.test, ast.Constant) and node.test.value:
        return None  # `assert True, "..."`: HumanEval's banners, not tests
    text = _segment(source, node)
    message = _segment(source, node.msg) if node.msg is not None else None
    step: dict[str, Any] = {
        "kind": "test", "source": text, "code": text, "name": f"test_{index}", "message": message,
    }
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _COMPARE_OPS:
        left, right = test.left, test.comparators[0]
        step.update(
            left=_segment(source, left),
            right=_segment(source, right),
            op=_COMPARE_OPS[type(test.ops[0])],
            # The side that calls the code under test is "actual"; the other is "expected".
            actual_side="right" if _calls(right, targets) and not _calls(left, targets) else "left",
        )
    return TestStep(**step)


def _has_assert(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Assert) for sub in ast.walk(node))


def _split_statements(
    source: str, body: list[ast.stmt], targets: set[str], steps: list[TestStep], start: int
) -> None:
    for node in body:
        if isinstance(node, ast.Assert):
            step = _assert_step(source, node, start + len(steps), targets)
            if step is not None:
                steps.append(step)
        elif _has_assert(node) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            text = _segment(source, node)
            steps.append(
                TestStep(kind="test", source=text, code=text, name=f"test_{start + len(steps)}")
            )
        else:
            text = _segment(source, node)
            steps.append(TestStep(kind="setup", source=text, code=text))


def _detect(tree: ast.Module) -> Literal["asserts", "check", "pytest"]:
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if "check" in functions:
        return "check"
    if any(name.startswith("test") for name in functions):
        return "pytest"
    return "asserts"


def plan_tests(
    tests: str, *, entry_point: str | None = None, style: TestStyle = "auto"
) -> TestPlan:
    """Parse `tests` into one step per test (see the module docstring for the styles)."""
    try:
        tree = ast.parse(tests)
    except SyntaxError as exc:
        raise ConfigError(
            f"the tests themselves do not parse (line {exc.lineno}): {exc.msg}"
        ) from None
    chosen = _detect(tree) if style == "auto" else style
    targets = {"candidate", *([entry_point] if entry_point else [])}
    steps: list[TestStep] = []
    if chosen == "check":
        check = next(
            (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None
        )
        if check is None:
            raise ConfigError("style='check' needs the tests to define `def check(candidate):`")
        if entry_point is None:
            raise ConfigError("HumanEval-style tests need entry_point= (the function to check)")
        for node in tree.body:
            if node is not check:
                text = _segment(tests, node)
                steps.append(TestStep(kind="setup", source=text, code=text))
        parameter = check.args.args[0].arg if check.args.args else "candidate"
        steps.append(
            TestStep(kind="setup", source="", code=f"{parameter} = {entry_point}")
        )
        _split_statements(tests, check.body, targets | {parameter}, steps, 0)
    elif chosen == "pytest":
        for node in tree.body:
            text = _segment(tests, node)
            steps.append(TestStep(kind="setup", source=text, code=text))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                steps.append(
                    TestStep(kind="test", source=text, code=f"{node.name}()", name=node.name)
                )
    else:
        _split_statements(tests, tree.body, targets, steps, 0)
    numbered: list[TestStep] = []
    count = 0
    for step in steps:
        if step.kind == "test":
            count += 1
            if step.name.startswith("test_") and step.name[5:].isdigit():
                step = step.model_copy(update={"name": f"test {count}"})
        numbered.append(step)
    return TestPlan(style=chosen, entry_point=entry_point, steps=numbered)
