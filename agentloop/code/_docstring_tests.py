"""Visible tests from a docstring's own examples: `>>>` doctests, the inline styles
(`f(x) == y`, `f(x) ➞ y`, `f(x) => y`, `f(x) returns y`, ...), `Input:`/`Output:` blocks and
"For x = 1 the output should be 2" sentences.

A graph may turn the examples the task shows into tests; only examples whose arguments and
expected value are Python literals become asserts, so prose that mentions the function is skipped.
A wrong visible test makes a correct solution look failing, so whenever a docstring shows signs
that its examples were never run, or an example can be read two ways, the example is dropped.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re

from agentloop.code._docstring_io import (
    Signature,
    expected_value,
    for_sentence_examples,
    input_output_examples,
    literal,
)
from agentloop.code._extract import function_names

__all__ = ["docstring_tests"]

_Function = ast.FunctionDef | ast.AsyncFunctionDef

# Separators between a call and its expected value in free-form docstrings, longest first so that
# "==>" is not read as "==" followed by ">".
_SEPARATOR = re.compile(
    r"^\s*(?:#\s*)?(?P<sep>==>|=>|➞|->|==|=|should\s+return|returns?)\s*", re.IGNORECASE
)
_ANY_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\(")
_BUILTINS = frozenset(dir(builtins))


def _entry_function(tree: ast.Module, entry_point: str) -> _Function | None:
    for node in ast.walk(tree):
        if isinstance(node, _Function) and node.name == entry_point:
            return node
    return None


def _docstring(function: _Function) -> str:
    """The docstring, or the first bare string of the body when a statement such as
    `import math` comes before it (Python then sees no docstring, but the author wrote one)."""
    docstring = ast.get_docstring(function, clean=True)
    if docstring is not None:
        return docstring
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            if isinstance(statement.value.value, str):
                return ast.get_docstring(ast.Module(body=[statement], type_ignores=[])) or ""
    return ""


def _assertion(expr: str, expected: object) -> str:
    if expected is None:
        return f"assert {expr} is None"
    if isinstance(expected, float):
        # Docstrings print rounded floats; exact equality would fail correct solutions.
        return f"assert abs({expr} - {expected!r}) < 1e-6"
    return f"assert {expr} == {expected!r}"


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


def _literal_call(call: str, name: str) -> ast.Call | None:
    """`call` parsed when it is `name(<literals>)`: prose like `f(n)` is not an example."""
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id != name or node.keywords:
        return None
    return node if all(literal(ast.unparse(arg))[0] for arg in node.args) else None


def _calls(line: str, name: str) -> list[tuple[str, str]]:
    """(call source, text after it) for each complete `name(...)` call on the line."""
    found: list[tuple[str, str]] = []
    for match in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", line):
        end = _call_end(line, match.end() - 1)
        if end is not None:  # a call spanning lines is too ambiguous to parse safely
            found.append((line[match.start() : end], line[end:]))
    return found


def _doctests(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(source after `>>>`, its output lines) for each doctest."""
    found: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        i += 1
        if not stripped.startswith(">>>"):
            continue
        output: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            output.append(lines[i].strip())
            i += 1
        found.append((stripped[3:].strip(), output))
    return found


def _doctest_examples(lines: list[str], entry_point: str) -> list[str]:
    tests: list[str] = []
    for source, output in _doctests(lines):
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
        ok, value = literal(" ".join(output))
        if ok:
            tests.append(_assertion(ast.unparse(expr), value))
    return tests


def _has_unrun_doctests(lines: list[str], entry_point: str) -> bool:
    """True when no doctest shows an output line and one reads `>>> f(x) [1, 2]`, a call and its
    value with the `==` between them missing.

    Such doctests were never run (doctest would print `True` for each comparison, and choke on
    the typo), so the values beside the typo are as likely to be wrong: HumanEval/116 shows
    expected lists that its own rule does not give. A docstring whose doctests show outputs
    keeps them, and only its typo is dropped.
    """
    doctests = _doctests(lines)
    if any(output for _, output in doctests):
        return False
    for source, _ in doctests:
        for call, rest in _calls(source, entry_point):
            if (
                re.match(r"\s+[\[('\"\w]", rest)
                and _literal_call(call, entry_point) is not None
                and literal(rest.strip())[0]
            ):
                return True
    return False


def _inline_examples(lines: list[str], name: str) -> list[tuple[str, object]]:
    """(call, expected) for examples written as `f(x) == y`, `f(x) ➞ y`, `f(x) returns y`, ...

    A docstring that defines the function with `=` (`tri(n) = 1 + n / 2`, or
    `tri(3) = tri(2) + tri(1)`) uses `=` for mathematics: its `=` lines up to the last
    definition describe the sequence, not what the function returns, and are skipped.
    """
    found: list[tuple[int, str, str, object]] = []  # (line index, separator, call, expected)
    last_definition = -1
    for index, line in enumerate(lines):
        if line.strip().startswith(">>>"):
            continue
        for call, rest in _calls(line, name):
            sep = _SEPARATOR.match(rest)
            if sep is None:
                continue
            rhs = rest[sep.end() :]
            is_literal = _literal_call(call, name) is not None
            if sep["sep"] == "=" and (not is_literal or _calls(rhs, name)):
                last_definition = index
                continue
            if not is_literal:
                continue
            ok, value = expected_value(rhs)
            if ok:
                found.append((index, sep["sep"], call, value))
    return [
        (call, value)
        for index, sep, call, value in found
        if not (sep == "=" and index <= last_definition)
    ]


def _name_words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()
    return {word for word in re.split(r"[^a-z]+", spaced) if len(word) >= 3}


def _related(name: str, entry_point: str) -> bool:
    """Names share a word (`list_sort` and `sorted_list_sum` share "list")."""
    return any(
        a.startswith(b) or b.startswith(a)
        for a in _name_words(name)
        for b in _name_words(entry_point)
    )


def _misnamed_examples(
    tree: ast.Module, lines: list[str], entry_point: str, signature: Signature
) -> list[tuple[str, object]]:
    """Examples that call the entry point by another name (`grade_equation(...)` in the
    docstring of `numerical_letter_grade`), renamed to the entry point.

    Used only when the docstring has no example of the entry point itself, and only when exactly
    one such name appears: it must be defined nowhere in the prompt, be no builtin, share a word
    with the entry point, and each call must have an argument count the entry point accepts.
    """
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    names = {
        match[1]
        for line in lines
        for match in _ANY_CALL.finditer(line)
        if match[1] not in defined
        and match[1] not in _BUILTINS
        and not keyword.iskeyword(match[1])
        and _related(match[1], entry_point)
    }
    by_name = {name: examples for name in names if (examples := _inline_examples(lines, name))}
    if len(by_name) != 1:
        return []
    [(name, examples)] = by_name.items()
    renamed: list[tuple[str, object]] = []
    for call, value in examples:
        node = _literal_call(call, name)
        if node is None or not signature.required <= len(node.args) <= len(signature.positional):
            return []
        renamed.append((entry_point + call[len(name) :], value))
    return renamed


def docstring_tests(prompt: str, entry_point: str | None = None) -> list[str]:
    """Assert statements built from the examples in the entry point's docstring, deduplicated,
    doctests first.

    `entry_point` defaults to the last function the prompt declares. Returns [] when nothing
    usable is found (8 of HumanEval's 164 problems), and callers must cope with that.
    """
    if entry_point is None:
        names = function_names(prompt)
        if not names:
            return []
        entry_point = names[-1]
    tree: ast.Module | None = None
    signature: Signature | None = None
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        # No signature to bind named inputs to: only calls written out in full are read.
        lines = prompt.splitlines()
    else:
        function = _entry_function(tree, entry_point)
        if function is None:
            return []
        lines = _docstring(function).splitlines()
        signature = Signature.of(function)
    if _has_unrun_doctests(lines, entry_point):
        return []
    examples = _inline_examples(lines, entry_point)
    if signature is not None:
        for arguments, value in [
            *input_output_examples(lines, signature),
            *for_sentence_examples(lines, signature),
        ]:
            examples.append((f"{entry_point}({arguments})", value))
    tests = _doctest_examples(lines, entry_point)
    if not tests and not examples and tree is not None and signature is not None:
        examples = _misnamed_examples(tree, lines, entry_point, signature)
    tests += [_assertion(call, value) for call, value in examples]
    return list(dict.fromkeys(tests))  # de-duplicate, keep order
