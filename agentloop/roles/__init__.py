"""Roles in a refinement loop: actor, critic, judge, reflector, test writer and verifiers.

Each role is a small Protocol with an LLM-backed class (`LLMActor`, ...) whose prompts are a
frozen model you can override (`ActorPrompts`, ...), and a plain-function adapter
(`FunctionActor`, ...) for your own code.
"""

from agentloop.roles._actor import Actor, ActorPrompts, FunctionActor, LLMActor
from agentloop.roles._critic import (
    Critic,
    CriticPrompts,
    Critique,
    FunctionCritic,
    LLMCritic,
    parse_critique,
)
from agentloop.roles._judge import (
    FunctionJudge,
    Judge,
    JudgePrompts,
    JudgeScore,
    LLMJudge,
    PairwiseJudgement,
    PointwiseJudgement,
    Preference,
    combine_preferences,
)
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._reflector import (
    FunctionReflector,
    LLMReflector,
    Reflector,
    ReflectorPrompts,
)
from agentloop.roles._task import Attempt, Task, TaskKind
from agentloop.roles._test_writer import (
    DocstringTestWriter,
    FunctionTestWriter,
    LLMTestWriter,
    TestWriter,
    TestWriterPrompts,
    parse_asserts,
    screen_tests,
    stub_solution,
    visible_tests,
)
from agentloop.roles._verifier import (
    FunctionVerifier,
    VerifierFactory,
    sandbox_verifier,
    verifier_factory,
)

__all__ = [
    "Actor",
    "ActorPrompts",
    "Attempt",
    "ChatModel",
    "Critic",
    "CriticPrompts",
    "Critique",
    "DocstringTestWriter",
    "FunctionActor",
    "FunctionCritic",
    "FunctionJudge",
    "FunctionReflector",
    "FunctionTestWriter",
    "FunctionVerifier",
    "Judge",
    "JudgePrompts",
    "JudgeScore",
    "LLMActor",
    "LLMCritic",
    "LLMJudge",
    "LLMReflector",
    "LLMTestWriter",
    "PairwiseJudgement",
    "PointwiseJudgement",
    "Preference",
    "Reflector",
    "ReflectorPrompts",
    "Task",
    "TaskKind",
    "TestWriter",
    "TestWriterPrompts",
    "VerifierFactory",
    "combine_preferences",
    "parse_asserts",
    "parse_critique",
    "resolve_model",
    "sandbox_verifier",
    "screen_tests",
    "stub_solution",
    "verifier_factory",
    "visible_tests",
]
