"""Reading example inputs and outputs out of docstring prose: literal values, expected values,
`Input:`/`Output:` blocks and "For x = 1 the output should be 2" sentences.

Examples that name their inputs (`arr = [1, 2], k = 1`) are bound to the entry point's signature;
an example whose names cannot be bound without guessing is skipped, because a wrong visible test
makes a correct solution look failing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = [
    "Signature",
    "expected_value",
    "for_sentence_examples",
    "input_output_examples",
    "literal",
]

# (call arguments as source, expected value)
Example = tuple[str, object]

_INPUT = re.compile(r"^\s*input\s*:\s*(.*)$", re.IGNORECASE)
_OUTPUT = re.compile(r"^\s*output\s*:\s*(.*)$", re.IGNORECASE)
# `grid : [[0, 1], [1, 0]]`, one name per line (HumanEval/115).
_COLON_PAIR = re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*(\S.*)$")
# An input spread over more lines than this is prose, not an argument list.
_MAX_INPUT_LINES = 6
# "For lst = [1, 2] the output should be 3"; the arguments start with `name =`, so "For example,"
# and "For each i" are not read as arguments.
_FOR_SENTENCE = re.compile(
    r"(?<!\w)for\s+(?P<args>[A-Za-z_]\w*\s*=(?!=).*?)\s+the\s+(?:output|result)\s+"
    r"(?:should|will)\s+be\s+(?P<value>\S.*?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Signature:
    """The entry point's parameters that can be passed by position."""

    positional: tuple[str, ...]
    """Parameter names in declaration order (positional-only ones included)."""
    required: int
    """How many leading parameters have no default."""

    @classmethod
    def of(cls, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature | None:
        """None when a required keyword-only parameter means no example call could be complete."""
        args = function.args
        if any(default is None for default in args.kw_defaults):
            return None
        positional = tuple(a.arg for a in [*args.posonlyargs, *args.args])
        return cls(positional=positional, required=len(positional) - len(args.defaults))


def literal(text: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _redundantly_parenthesized(text: str) -> bool:
    """`("Venus")` is a string in Python, but its author most likely meant a one-item tuple."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    try:
        node = ast.parse(text, mode="eval").body
        ast.parse(text[1:-1], mode="eval")  # "(1) + (2)" is not wrapped as a whole
    except SyntaxError:
        return False
    return not isinstance(node, ast.Tuple)


def expected_value(rhs: str) -> tuple[bool, object]:
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
        if _redundantly_parenthesized(candidate):
            return False, None  # an ambiguous value is no value: the test would be a guess
        ok, value = literal(candidate)
        if ok and candidate:
            return True, value
    return False, None


def _literal_nodes(nodes: list[ast.expr]) -> bool:
    return all(literal(ast.unparse(node))[0] for node in nodes)


def _parsed_arguments(text: str) -> ast.Call | None:
    """`text` read as the inside of a call's parentheses, without `*` or `**` unpacking."""
    try:
        node = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"):
        return None
    if any(k.arg is None for k in node.keywords) or any(
        isinstance(a, ast.Starred) for a in node.args
    ):
        return None
    return node


def _literal_arguments(call: ast.Call | None) -> ast.Call | None:
    if call is None or not _literal_nodes([*call.args, *(k.value for k in call.keywords)]):
        return None
    return call


def _bind(
    pairs: list[tuple[str, ast.expr]], signature: Signature, *, allow_one_rename: bool
) -> str | None:
    """Named example inputs as positional call arguments, or None when the binding is a guess.

    Arguments are passed by position so that a solution which renames a parameter still passes.
    With `allow_one_rename`, a single name that is no parameter (`bucket_capacity` for
    `capacity`) binds to the single parameter left over, when the counts match exactly.
    """
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        return None
    by_name = dict(pairs)
    unknown = [name for name in names if name not in signature.positional]
    if unknown:
        leftover = [p for p in signature.positional if p not in by_name]
        if not (allow_one_rename and len(unknown) == 1 and len(leftover) == 1):
            return None
        by_name[leftover[0]] = by_name.pop(unknown[0])
    count = len(by_name)
    if count < signature.required or set(signature.positional[:count]) != set(by_name):
        return None  # a required parameter is missing, or a gap would need keywords
    return ", ".join(ast.unparse(by_name[p]) for p in signature.positional[:count])


def _colon_pairs(lines: list[str]) -> list[tuple[str, ast.expr]] | None:
    """`name : value` lines, a value possibly continued on the following lines."""
    raw: list[list[str]] = []
    for line in lines:
        match = _COLON_PAIR.match(line)
        if match:
            raw.append([match[1], match[2].strip()])
        elif raw:
            raw[-1][1] += " " + line.strip()
        else:
            return None
    pairs: list[tuple[str, ast.expr]] = []
    for name, text in raw:
        ok, _ = literal(text)
        if not ok:
            return None
        pairs.append((name, ast.parse(text, mode="eval").body))
    return pairs


def _input_arguments(lines: list[str], signature: Signature) -> str | None:
    parsed = _parsed_arguments(" ".join(line.strip() for line in lines))
    if parsed is None:
        pairs = _colon_pairs(lines)
        return None if pairs is None else _bind(pairs, signature, allow_one_rename=True)
    call = _literal_arguments(parsed)
    if call is None:
        return None
    if call.keywords and not call.args:
        pairs = [(k.arg, k.value) for k in call.keywords if k.arg is not None]
        return _bind(pairs, signature, allow_one_rename=True)
    if len(call.args) == 1 and not call.keywords and len(signature.positional) == 1:
        return ast.unparse(call.args[0])
    return None  # several bare values, or a mix: which parameter gets which is a guess


def input_output_examples(lines: list[str], signature: Signature) -> list[Example]:
    """Examples written as an `Input:` line (or lines) directly followed by an `Output:` line."""
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        start = _INPUT.match(lines[i])
        if start is None:
            i += 1
            continue
        body = [start[1]] if start[1].strip() else []
        j = i + 1
        # A blank line or another `Input:` before any `Output:` leaves the example unfinished.
        while (
            j < len(lines)
            and lines[j].strip()
            and not _OUTPUT.match(lines[j])
            and not _INPUT.match(lines[j])
        ):
            body.append(lines[j])
            j += 1
        output = _OUTPUT.match(lines[j]) if j < len(lines) else None
        i = j
        if output is None or not body or len(body) > _MAX_INPUT_LINES:
            continue
        arguments = _input_arguments(body, signature)
        ok, value = expected_value(output[1])
        if arguments is not None and ok:
            examples.append((arguments, value))
    return examples


def _top_level_prefixes(text: str) -> list[str]:
    """`text` and its prefixes that end before a comma, longest first (commas inside brackets
    and strings give prefixes that do not parse, so they fall out later)."""
    cuts = [i for i, ch in enumerate(text) if ch == ","]
    return [text, *(text[:i] for i in reversed(cuts))]


def for_sentence_examples(lines: list[str], signature: Signature) -> list[Example]:
    """Examples written as "For x = 1, y = 2 the output (or result) should be 3".

    The arguments are the longest comma-separated run of `name = value`: in "For N = 1000, the
    sum of digits will be 1 the output should be "1"" the clause after the comma is prose. Every
    value must be a literal and every name a parameter, or the sentence is skipped (in
    "For n = 5, a = [1, 3, 7] ..." `a` may be a value worked out from `n`).
    """
    examples: list[Example] = []
    for line in lines:
        match = _FOR_SENTENCE.search(line)
        if match is None:
            continue
        ok, value = expected_value(match["value"])
        prefixes = _top_level_prefixes(match["args"].rstrip(", "))
        parsed = (_parsed_arguments(prefix) for prefix in prefixes)
        call = _literal_arguments(next((c for c in parsed if c is not None), None))
        if not ok or call is None or call.args:
            continue
        pairs = [(k.arg, k.value) for k in call.keywords if k.arg is not None]
        arguments = _bind(pairs, signature, allow_one_rename=False)
        if arguments is not None:
            examples.append((arguments, value))
    return examples
