"""Structured output: the prompts that ask for JSON, and reading JSON back out of prose."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

__all__ = ["REASK_PROMPT", "SCHEMA_PROMPT", "parse_structured"]

T = TypeVar("T")

SCHEMA_PROMPT = (
    "Answer with one JSON value that validates against this JSON schema, and nothing else:\n"
    "{schema}"
)
"""Appended to the last user message of a structured request."""

REASK_PROMPT = (
    "That answer was not valid:\n{error}\n"
    "Answer again with only the corrected JSON, valid against the schema given before."
)
"""Sent after an invalid answer, with the validation error."""

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def _json_candidates(text: str) -> list[Any]:
    """JSON values in `text`: the whole text, then code fences, then embedded objects/arrays."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    pieces = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for piece in pieces:
        try:
            found.append(json.loads(piece))
        except json.JSONDecodeError:
            continue
    # Models without a JSON mode wrap the value in prose: try each opening bracket in turn.
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        found.append(value)
    return found


def parse_structured(text: str, adapter: TypeAdapter[T]) -> T:
    """The first JSON value in `text` that validates; else `ValueError` saying what is wrong."""
    first_error: ValidationError | None = None
    for candidate in _json_candidates(text):
        try:
            return adapter.validate_python(candidate)
        except ValidationError as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise ValueError(str(first_error))
    raise ValueError("no JSON value found in the answer")
