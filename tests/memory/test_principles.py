"""Principles from feedback: related feedback grouped, one principle each, evidence kept."""

from __future__ import annotations

import json

import pytest

from agentloop._messages import Message
from agentloop.memory import (
    Feedback,
    InProcessMemoryStore,
    MiniLMEmbedder,
    cluster_feedback,
    distill_principles,
)
from agentloop.model import ModelClient
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio

FEEDBACK = [
    Feedback(id="s1", text="The answer is far too long; I only wanted a yes or no."),
    Feedback(id="s2", text="Please be more concise and skip the lengthy explanation."),
    Feedback(id="s3", text="Way too verbose. A short answer would do."),
    Feedback(id="s4", text="You state a statistic without citing any source for it."),
    Feedback(id="s5", text="Which source is this figure from? Cite a reference."),
    Feedback(id="s6", text="No citation given for the percentage you quote."),
    Feedback(id="s7", text="The code is indented with tabs; our style guide wants four spaces."),
]
# MiniLM puts paraphrased complaints only 0.15-0.4 apart, so group loosely.
GROUPING = 0.2


def _principle_for(messages: list[Message]) -> str:
    # A stand-in for the model that writes a principle from what the prompt shows it.
    prompt = messages[-1].content
    if "concise" in prompt and "verbose" in prompt:
        rule = "Answer briefly: give the result first and explain only when asked."
    elif "source" in prompt and "citation" in prompt:
        rule = "Cite a source for every figure or statistic you state."
    else:
        rule = "Follow the user's formatting conventions."
    return json.dumps({"principle": rule})


@pytest.mark.slow
def test_related_feedback_clusters_together(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed([f.text for f in FEEDBACK])
    groups = cluster_feedback(FEEDBACK, vectors, similarity=GROUPING)
    ids = sorted(sorted(f.id for f in group) for group in groups)
    assert ["s1", "s2", "s3"] in ids
    assert ["s4", "s5", "s6"] in ids
    assert ["s7"] in ids


@pytest.mark.slow
async def test_distills_one_principle_per_theme_with_its_evidence(minilm: MiniLMEmbedder) -> None:
    model = ScriptedModel(fn=_principle_for)
    client = ModelClient(model.model)
    store = InProcessMemoryStore(embedder=minilm)
    principles = await distill_principles(
        FEEDBACK, model=client, embedder=minilm, store=store, cluster_similarity=GROUPING,
        task_family="qa",
    )
    by_text = {p.text: p for p in principles}
    assert set(by_text) == {
        "Answer briefly: give the result first and explain only when asked.",
        "Cite a source for every figure or statistic you state.",
    }  # the lone formatting complaint has too little support
    brief = by_text["Answer briefly: give the result first and explain only when asked."]
    assert sorted(brief.evidence) == ["s1", "s2", "s3"]
    assert brief.kind == "principle" and brief.task_family == "qa"
    assert brief.extra["support"] == 3
    assert len(model.calls) == 2
    assert "far too long" in model.calls[0].messages[-1].content
    stored = await store.list(kind="principle")
    assert {p.id for p in stored} == {p.id for p in principles}

    # Distilling the same feedback again finds the principles already kept.
    again = await distill_principles(
        FEEDBACK, model=client, embedder=minilm, store=store, cluster_similarity=GROUPING
    )
    assert {p.id for p in again} == {p.id for p in principles}
    assert len(await store.list(kind="principle")) == 2


async def test_no_feedback_calls_no_model() -> None:
    model = ScriptedModel(replies=[])
    assert await distill_principles([], model=ModelClient(model.model)) == []
    assert model.calls == []
