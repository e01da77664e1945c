"""agentloop: agents that get better from feedback.

`import agentloop` is light: it loads none of torch, transformers, chromadb, docker,
llama_cpp, gradio, ray or litellm. Those are imported where they are used.
"""

from agentloop._budget import Budget, BudgetUsage
from agentloop._memory import MemoryEntry, MemoryKind, MemoryStore, ScoredEntry
from agentloop._messages import Completion, Message, Role, Usage, assistant, system, user
from agentloop._registry import register, registered, resolve
from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus, Verifier
from agentloop._version import __version__
from agentloop.errors import AgentloopError, BudgetExhausted, ConfigError, ToolError

__all__ = [
    "AgentloopError",
    "Budget",
    "BudgetExhausted",
    "BudgetUsage",
    "Completion",
    "ConfigError",
    "MemoryEntry",
    "MemoryKind",
    "MemoryStore",
    "Message",
    "Role",
    "ScoredEntry",
    "TestOutcome",
    "TestResult",
    "ToolError",
    "Usage",
    "Verdict",
    "VerdictStatus",
    "Verifier",
    "__version__",
    "assistant",
    "register",
    "registered",
    "resolve",
    "system",
    "user",
]
