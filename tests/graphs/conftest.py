"""Graph test helpers: a scripted model that plays every role, told apart by the role's own
system prompt (the request a role sends starts with it), never by guessing."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from pydantic import TypeAdapter

from agentloop import Budget, Message
from agentloop.model import ModelClient
from agentloop.roles import (
    ActorPrompts,
    CriticPrompts,
    JudgePrompts,
    PairwiseJudgement,
    PointwiseJudgement,
    ReflectorPrompts,
    Task,
    TestWriterPrompts,
)
from agentloop.testing import ScriptedModel

ADD = Task(
    name="add",
    prompt='def add(a, b):\n    """Return a + b."""\n',
    tests=["assert add(1, 2) == 3", "assert add(0, 0) == 0", "assert add(2, 2) == 4"],
)
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"  # passes 1 of 3 (0 - 0)
HALF = "```python\ndef add(a, b):\n    return a * b\n```"  # passes 2 of 3 (0*0, 2*2)
RIGHT = "```python\ndef add(a, b):\n    return a + b\n\nprint(add(1, 2))\n```"

POEM = Task(name="poem", kind="writing", prompt="Write a line about rain.", rubric=["Rhymes."])


def _routes() -> dict[str, str]:
    """Each role's system prompt, as the role itself defines it, to the role's name."""
    pairs = [
        (ActorPrompts().system_code, "actor"),
        (ActorPrompts().system_writing, "actor"),
        (CriticPrompts().system, "critic"),
        (ReflectorPrompts().system, "reflector"),
        (TestWriterPrompts().system, "test_writer"),
        (JudgePrompts().system, "judge"),
    ]
    routes = dict(pairs)
    assert len(routes) == len(pairs), "two roles share a system prompt: requests are ambiguous"
    return routes


ROUTES = _routes()

# The judge's two requests share a system prompt; each carries the JSON schema of the reply it
# asks for (`ModelClient.structured` puts it in the prompt).
_JUDGEMENTS = {
    "pointwise": json.dumps(TypeAdapter(PointwiseJudgement).json_schema(), ensure_ascii=False),
    "pairwise": json.dumps(TypeAdapter(PairwiseJudgement).json_schema(), ensure_ascii=False),
}


def role_of(messages: list[Message]) -> str:
    """Which role a request is for: the role whose system prompt the request starts with;
    a judge's request is "pointwise" or "pairwise" by the reply it asks for.

    Any other request fails the test (`pytest.fail`, a BaseException: no model-error handling
    on the way turns it into a failed model call that the graph might survive).
    """
    system = messages[0].content if messages and messages[0].role == "system" else None
    role = ROUTES.get(system) if system is not None else None
    if role is None:
        pytest.fail(f"no role has this system prompt: {system!r}")
    if role != "judge":
        return role
    kinds = [
        kind for kind, schema in _JUDGEMENTS.items() if any(schema in m.content for m in messages)
    ]
    if len(kinds) != 1:
        pytest.fail(f"a judge request that asks for {kinds or 'no known judgement'}")
    return kinds[0]


class Roles:
    """A scripted model answering each role from its own script.

    `actor` replies are used in order (the last one repeats); the others are functions of the
    request's messages or fixed strings.
    """

    def __init__(
        self,
        *,
        actor: Iterable[str] = (WRONG,),
        critic: str | Callable[[list[Message]], str] = "Not yet.\nSCORE: 3\nVERDICT: REVISE",
        reflector: str | Callable[[list[Message]], str] = "Use + instead of -.",
        pointwise: str | Callable[[list[Message]], str] = '{"rationale": "ok", "score": 5}',
        pairwise: str | Callable[[list[Message]], str] = '{"rationale": "same", "winner": "tie"}',
        test_writer: str = "assert add(1, 2) == 3",
        latency: float = 0.0,
    ) -> None:
        replies = list(actor)
        self._actor = itertools.chain(replies, itertools.repeat(replies[-1]))
        self._scripts: dict[str, Any] = {
            "critic": critic, "reflector": reflector, "pointwise": pointwise,
            "pairwise": pairwise, "test_writer": test_writer,
        }
        self.model = ScriptedModel(fn=self._reply, latency=latency)
        self.log: list[tuple[str, list[Message]]] = []

    def _reply(self, messages: list[Message]) -> str:
        role = role_of(messages)
        self.log.append((role, messages))
        if role == "actor":
            return next(self._actor)
        script = self._scripts[role]
        return script(messages) if callable(script) else script

    def calls(self, role: str) -> list[list[Message]]:
        return [messages for r, messages in self.log if r == role]

    def client(self, budget: Budget | None = None, *, max_concurrency: int = 8) -> ModelClient:
        return ModelClient(self.model.model, budget=budget, max_concurrency=max_concurrency)


@pytest.fixture
def needs_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("the local sandbox needs bubblewrap (apt-get install bubblewrap)")
