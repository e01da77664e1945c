"""`agentloop.roles` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.roles
from tests.public_surface import public_names

EXPECTED = {
    # Each role: its Protocol, its LLM-backed class, its prompts, its plain-function adapter.
    "Actor", "LLMActor", "ActorPrompts", "FunctionActor",
    "Critic", "LLMCritic", "CriticPrompts", "FunctionCritic", "Critique", "parse_critique",
    "Judge", "LLMJudge", "JudgePrompts", "FunctionJudge", "JudgeScore",
    "PairwiseJudgement", "PointwiseJudgement", "Preference", "combine_preferences",
    "Reflector", "LLMReflector", "ReflectorPrompts", "FunctionReflector",
    "TestWriter", "LLMTestWriter", "TestWriterPrompts", "FunctionTestWriter",
    "DocstringTestWriter", "parse_asserts", "screen_tests", "stub_solution", "visible_tests",
    "FunctionVerifier", "VerifierFactory", "sandbox_verifier", "verifier_factory",
    # Tasks, and the model a role talks to.
    "Task", "TaskKind", "Attempt",
    "ChatModel", "resolve_model",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.roles.__all__) == EXPECTED
    assert public_names(agentloop.roles) == EXPECTED
