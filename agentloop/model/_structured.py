"""Structured output: the prompts that ask for JSON, and reading JSON back out of prose."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from agentloop._messages import Completion, Message, assistant, user
from agentloop.errors import ConfigError, StructuredOutputError
from agentloop.model._config import GenerateConfig
from agentloop.tracing import SpanKind, span

__all__ = ["REASK_PROMPT", "SCHEMA_PROMPT", "ask_structured", "parse_structured"]

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


async def ask_structured(
    complete: Callable[[list[Message], GenerateConfig], Awaitable[Completion]],
    messages: list[Message],
    output_type: type[T],
    *,
    model: str,
    max_reasks: int,
    config: GenerateConfig | None,
    json_mode: bool,
) -> T:
    """Ask through `complete` until the answer validates as `output_type`, at most
    `max_reasks` re-asks, each carrying the previous validation error."""
    if max_reasks < 0:
        raise ConfigError(f"max_reasks must be 0 or more, got {max_reasks}")
    adapter: TypeAdapter[T] = TypeAdapter(output_type)
    schema = adapter.json_schema()
    type_name = getattr(output_type, "__name__", str(output_type))
    # The schema always goes in the prompt: most local and many hosted models have no JSON mode.
    instruction = SCHEMA_PROMPT.format(schema=json.dumps(schema, ensure_ascii=False))
    msgs = list(messages)
    if msgs[-1].role == "user":
        msgs[-1] = msgs[-1].model_copy(update={"content": f"{msgs[-1].content}\n\n{instruction}"})
    else:
        msgs.append(user(instruction))
    cfg = config or GenerateConfig()
    if json_mode:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": type_name, "schema": schema},
        }
        cfg = cfg.merge(GenerateConfig(extra={"response_format": response_format}))
    with span(f"structured {type_name}", kind=SpanKind.INTERNAL) as live:
        last_output = error = ""
        for attempt in range(1, max_reasks + 2):
            live.set_attribute("agentloop.attempts", attempt)
            last_output = (await complete(msgs, cfg)).text
            try:
                return parse_structured(last_output, adapter)
            except ValueError as exc:
                error = str(exc)
            msgs = [*msgs, assistant(last_output), user(REASK_PROMPT.format(error=error))]
        raise StructuredOutputError(
            f"{model} gave no valid {type_name} in {max_reasks + 1} attempts; last error: {error}",
            model=model,
            last_output=last_output,
            attempts=max_reasks + 1,
        )
