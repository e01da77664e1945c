"""Visible tests from a docstring's own examples: `>>>` doctests and the inline styles
(`f(x) == y`, `f(x) ➞ y`, `f(x) => y`, `f(x) returns y`, ...).

A graph may turn the examples the task shows into tests; only examples whose call arguments and
expected value are Python literals become asserts, so prose that mentions the function is skipped.
"""

from __future__ import annotations

import ast
import re

from agentloop._code import function_names

__all__ = ["docstring_tests"]

# Separators between a call and its expected value in free-form docstrings, longest first so that
# "==>" is not read as "==" followed by ">".
_SEPARATOR = re.compile(
    r"^\s*(?:#\s*)?(?:==>|=>|➞|->|==|=|should\s+return|returns?)\s*", re.IGNORECASE
)


def _docstring_lines(prompt: str, entry_point: str) -> list[str]:
    """The lines of the entry point's docstring (other functions' docstrings are not examples)."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return prompt.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry_point:
            return (ast.get_docstring(node, clean=True) or "").splitlines()
    return []


def _literal(text: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _expected_value(rhs: str) -> tuple[bool, object]:
    """Parse the expected value after a separator, tolerating prose around it."""
    rhs = rhs.strip()
    if rhs.lower() in {"true", "false"}:
        return True, rhs.lower() == "true"
    # "should return 16." ends a sentence: try without the full stop first, so 16 stays an int.
    candidates = [rhs.rstrip(".").rstrip(), rhs]
    # "19 - 5 - 6 = 8": the value is the last piece of a worked derivation.
    if " = " in rhs:
        candidates.append(rhs.rsplit(" = ", 1)[1].rstrip(".").strip())
    # "'No' (the name should ...)" and "[1, 5] # explanation": the value is the first piece.
    for cut in (" #", " ("):
        if cut in rhs:
            candidates.append(rhs.split(cut, 1)[0].rstrip(".").strip())
    for candidate in candidates:
        ok, value = _literal(candidate)
        if ok and candidate:
            return True, value
    return False, None


def _call_end(line: str, open_paren: int) -> int | None:
    """Index just past the parenthesis matching `open_paren`, skipping string literals."""
    depth = 0
    quote: str | None = None
    i = open_paren
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _literal_call(call: str, entry_point: str) -> bool:
    """True when `call` is `entry_point(<literals>)`: prose like `f(n)` is not an example."""
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return False
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id != entry_point or node.keywords:
        return False
    return all(_literal(ast.unparse(arg))[0] for arg in node.args)


def _assertion(expr: str, expected: object) -> str:
    if expected is None:
        return f"assert {expr} is None"
    if isinstance(expected, float):
        # Docstrings print rounded floats; exact equality would fail correct solutions.
        return f"assert abs({expr} - {expected!r}) < 1e-6"
    return f"assert {expr} == {expected!r}"


def _doctest_examples(lines: list[str], entry_point: str) -> list[str]:
    tests: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            i += 1
            continue
        source = stripped[3:].strip()
        i += 1
        output: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            output.append(lines[i].strip())
            i += 1
        try:
            expr = ast.parse(source, mode="eval").body
        except SyntaxError:
            continue  # a statement such as `>>> x = f(1)` checks nothing by itself
        if not any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == entry_point
            for n in ast.walk(expr)
        ):
            continue
        if not output:
            if isinstance(expr, ast.Compare):
                # Written as `>>> f(x) == y` with no output line: the comparison is the test.
                tests.append(f"assert {ast.unparse(expr)}")
            elif isinstance(expr, ast.Call):
                # doctest prints nothing for None.
                tests.append(_assertion(ast.unparse(expr), None))
            # Anything else (e.g. `f(x) [1, 2]`, a missing `==`) is a typo: too ambiguous to use.
            continue
        ok, value = _literal(" ".join(output))
        if ok:
            tests.append(_assertion(ast.unparse(expr), value))
    return tests


def _inline_examples(lines: list[str], entry_point: str) -> list[str]:
    """Examples written as `f(x) == y`, `f(x) ➞ y`, `f(x) => y`, `f(x) returns y`, ..."""
    tests: list[str] = []
    call_start = re.compile(rf"(?<![\w.]){re.escape(entry_point)}\(")
    for line in lines:
        if line.strip().startswith(">>>"):
            continue
        for match in call_start.finditer(line):
            end = _call_end(line, match.end() - 1)
            if end is None:
                continue  # the call spans lines: too ambiguous to parse safely
            call = line[match.start() : end]
            if not _literal_call(call, entry_point):
                continue
            sep = _SEPARATOR.match(line[end:])
            if sep is None:
                continue
            ok, value = _expected_value(line[end + sep.end() :])
            if ok:
                tests.append(_assertion(call, value))
    return tests


def docstring_tests(prompt: str, entry_point: str | None = None) -> list[str]:
    """Assert statements built from the examples in the entry point's docstring, deduplicated,
    doctests first.

    `entry_point` defaults to the last function the prompt declares. Returns [] when nothing
    parseable is found (about 30 HumanEval problems), and callers must cope with that.
    """
    if entry_point is None:
        names = function_names(prompt)
        if not names:
            return []
        entry_point = names[-1]
    lines = _docstring_lines(prompt, entry_point)
    tests = _doctest_examples(lines, entry_point) + _inline_examples(lines, entry_point)
    return list(dict.fromkeys(tests))  # de-duplicate, keep order
