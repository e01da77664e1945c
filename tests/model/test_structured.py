"""Structured output: JSON asked in the prompt, validated, re-asked with the error, bounded."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, TypeAdapter

from agentloop.errors import StructuredOutputError
from agentloop.model import ModelClient
from agentloop.model._structured import parse_structured
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio


class Plan(BaseModel):
    steps: list[str]
    confidence: float


async def test_invalid_then_valid_answer_is_reasked_with_the_error() -> None:
    model = ScriptedModel(
        replies=[
            '{"steps": ["a"]}',  # confidence missing
            'Here you go:\n```json\n{"steps": ["a", "b"], "confidence": 0.9}\n```',
        ]
    )
    plan = await ModelClient(model.model).structured("make a plan", Plan)
    assert plan == Plan(steps=["a", "b"], confidence=0.9)
    assert model.call_count == 2
    first, second = model.calls
    # The schema went into the prompt (this model has no JSON mode).
    assert '"confidence"' in first.messages[-1].content
    # The re-ask shows the model its own answer and what was wrong with it.
    assert second.messages[-2].content == '{"steps": ["a"]}'
    assert "confidence" in second.messages[-1].content
    assert "Field required" in second.messages[-1].content


async def test_never_valid_raises_with_the_attempts_and_last_output() -> None:
    model = ScriptedModel(fn=lambda messages: "I cannot do JSON, sorry.")
    with pytest.raises(StructuredOutputError) as caught:
        await ModelClient(model.model).structured("plan", Plan, max_reasks=2)
    assert caught.value.attempts == 3
    assert caught.value.last_output == "I cannot do JSON, sorry."
    assert model.call_count == 3


async def test_zero_reasks_means_one_attempt() -> None:
    model = ScriptedModel(fn=lambda messages: "{}")
    with pytest.raises(StructuredOutputError):
        await ModelClient(model.model).structured("plan", Plan, max_reasks=0)
    assert model.call_count == 1


def test_structured_sync_for_scripts() -> None:
    model = ScriptedModel(replies=['{"steps": [], "confidence": 1}'])
    assert ModelClient(model.model).structured_sync("p", Plan).confidence == 1.0


@pytest.mark.parametrize(
    "text",
    [
        '{"steps": ["x"], "confidence": 0.5}',
        'Sure! The plan is {"steps": ["x"], "confidence": 0.5} as requested.',
        '```\n{"steps": ["x"], "confidence": 0.5}\n```',
        'First {"not": "it"} then {"steps": ["x"], "confidence": 0.5}',
    ],
)
def test_json_is_found_in_prose_and_fences(text: str) -> None:
    assert parse_structured(text, TypeAdapter(Plan)) == Plan(steps=["x"], confidence=0.5)


def test_non_model_types_validate_too() -> None:
    assert parse_structured("the list: [1, 2, 3]", TypeAdapter(list[int])) == [1, 2, 3]
