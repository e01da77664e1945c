"""Code out of model output: the one extraction every strategy and benchmark shares.

Small models wrap code in prose and fences, and append their own example calls, prints and
asserts after the function. Keeping that top-level code can fail a correct solution (an example
assert that is wrong, a print that floods stdout); dropping too much loses a needed helper.
`extract_code` keeps imports, functions, classes and constant assignments, and drops the rest.
"""

from __future__ import annotations

import ast
import re
import textwrap

__all__ = ["extract_code", "fenced_blocks", "function_names"]

# An opening fence with an optional language tag, up to the closing fence or the end of the text
# (a reply cut off by max_tokens has no closing fence).
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_LANGS = {"", "python", "py", "python3"}


def fenced_blocks(text: str) -> list[str]:
    """The Python (or untagged) fenced code blocks in `text`, in order."""
    return [body for lang, body in _FENCE.findall(text) if lang.lower() in _CODE_LANGS]


def function_names(code: str) -> list[str]:
    """Names of the top-level functions `code` defines; empty when it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def extract_code(text: str, *, entry_point: str | None = None, prompt: str | None = None) -> str:
    """The program in a model's reply, ready to run against tests.

    Args:
        text: the model's raw reply.
        entry_point: the function the tests call; picks the fenced block that defines it.
        prompt: the code the task started from (a signature with its docstring, imports and
            helpers); a reply that is only a function body is completed with it, and imports
            and helpers the reply left out are taken from it.
    """
    code = _choose_block(text, entry_point)
    code = _parseable(code)
    if prompt is not None and entry_point is not None:
        code = _complete_from_prompt(code, prompt, entry_point)
    return _keep_definitions(code).strip() + "\n"


def _choose_block(text: str, entry_point: str | None) -> str:
    blocks = fenced_blocks(text)
    if not blocks:
        return text
    if entry_point is not None:
        pattern = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.MULTILINE)
        for block in blocks:
            if pattern.search(block):
                return block
    # The block with the most definitions is the solution; the others are usually examples.
    return max(blocks, key=lambda b: (len(re.findall(r"^\s*def\s", b, re.MULTILINE)), len(b)))


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _parseable(code: str) -> str:
    """Trim prose before the code and a truncated tail after it, as long as that makes it parse."""
    if _parses(code):
        return code
    lines = code.splitlines()
    # Prose before the code: start at the first line that looks like Python.
    starts = [
        i for i, line in enumerate(lines)
        if re.match(r"(from\s+\w|import\s+\w|def\s|async\s+def\s|class\s|@)", line)
    ]
    for start in starts[:3]:
        candidate = "\n".join(lines[start:])
        if _parses(candidate):
            return candidate
    # A reply cut off mid-statement: drop lines from the end until the rest parses.
    begin = starts[0] if starts else 0
    for end in range(len(lines) - 1, begin, -1):
        candidate = "\n".join(lines[begin:end])
        if _parses(candidate) and function_names(candidate):
            return candidate
    return code


def _complete_from_prompt(code: str, prompt: str, entry_point: str) -> str:
    if entry_point not in function_names(code):
        if code.strip() and not re.search(r"^\s*(async\s+)?def\s", code, re.MULTILINE):
            # A bare function body, as completion-style models write it.
            joined = prompt.rstrip("\n") + "\n" + _indent_body(code)
            if entry_point in function_names(joined):
                return joined
        return code
    try:
        prompt_tree = ast.parse(prompt)
        code_tree = ast.parse(code)
    except SyntaxError:
        return code
    defined = {
        node.name
        for node in code_tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    code_imports = {ast.unparse(node) for node in code_tree.body if _is_import(node)}
    missing: list[str] = []
    for node in prompt_tree.body:
        if _is_import(node) and ast.unparse(node) not in code_imports:
            missing.append(ast.get_source_segment(prompt, node) or ast.unparse(node))
        elif (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name not in defined
            and node.name != entry_point
        ):
            # A helper the prompt defines and the reply relies on without restating it.
            missing.append(ast.get_source_segment(prompt, node) or ast.unparse(node))
    if not missing:
        return code
    return "\n".join(missing) + "\n\n" + code


def _indent_body(code: str) -> str:
    lines = code.splitlines()
    if lines and lines[0] and not lines[0][0].isspace():
        return textwrap.indent(code, "    ")
    return code


def _is_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.Import | ast.ImportFrom)


def _keep_definitions(code: str) -> str:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        # Let the verifier report the syntax error on the model's own text.
        return code
    callables = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    lines = code.splitlines()
    kept: list[str] = []
    for node in tree.body:
        if _is_definition(node, callables):
            # Slice whole lines so decorators and comments inside the body come along.
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            kept.append("\n".join(lines[first - 1 : node.end_lineno or node.lineno]))
    if not kept:
        return code
    return "\n\n".join(kept)


def _is_definition(node: ast.stmt, callables: set[str]) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom | ast.ClassDef):
        return True
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        # A constant or table the functions use; but not `result = f(3)`, an example call.
        value = node.value
        if value is None:
            return True
        return not any(
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id in callables
            for sub in ast.walk(value)
        )
    return False
