"""agentloop: agents that get better from feedback.

`import agentloop` is light: it loads none of torch, transformers, chromadb, docker,
llama_cpp, gradio, ray or litellm. Those are imported where they are used.
"""

import importlib
import typing

from agentloop._budget import Budget, BudgetUsage
from agentloop._memory import MemoryEntry, MemoryKind, MemoryStore, ScoredEntry
from agentloop._messages import Completion, Message, Role, Usage, assistant, system, user
from agentloop._registry import register, registered, resolve
from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus, Verifier
from agentloop._version import __version__
from agentloop.errors import AgentloopError, BudgetExhausted, ConfigError, ToolError
from agentloop.tracing import SpanKind, configure_tracing, span, traced

if typing.TYPE_CHECKING:
    from agentloop.graphs import RunResult, run_graph, run_graph_sync
    from agentloop.memory import open_memory, retrieve_for_prompt
    from agentloop.model import GenerateConfig, ModelClient, ResponseCache, RetryPolicy
    from agentloop.roles import Task
    from agentloop.sandbox import LocalSandbox, PythonTestVerifier

# Names whose modules pull in litellm, langgraph or pydantic-heavy graphs on first use: they are
# imported when first touched, so `import agentloop` stays light.
_LAZY = {
    "GenerateConfig": "agentloop.model",
    "ModelClient": "agentloop.model",
    "ResponseCache": "agentloop.model",
    "RetryPolicy": "agentloop.model",
    "Task": "agentloop.roles",
    "RunResult": "agentloop.graphs",
    "run_graph": "agentloop.graphs",
    "run_graph_sync": "agentloop.graphs",
    "LocalSandbox": "agentloop.sandbox",
    "PythonTestVerifier": "agentloop.sandbox",
    "open_memory": "agentloop.memory",
    "retrieve_for_prompt": "agentloop.memory",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentloop' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AgentloopError",
    "Budget",
    "BudgetExhausted",
    "BudgetUsage",
    "Completion",
    "ConfigError",
    "GenerateConfig",
    "LocalSandbox",
    "MemoryEntry",
    "MemoryKind",
    "MemoryStore",
    "Message",
    "ModelClient",
    "PythonTestVerifier",
    "ResponseCache",
    "RetryPolicy",
    "Role",
    "RunResult",
    "ScoredEntry",
    "SpanKind",
    "Task",
    "TestOutcome",
    "TestResult",
    "ToolError",
    "Usage",
    "Verdict",
    "VerdictStatus",
    "Verifier",
    "assistant",
    "configure_tracing",
    "open_memory",
    "register",
    "registered",
    "resolve",
    "retrieve_for_prompt",
    "run_graph",
    "run_graph_sync",
    "span",
    "system",
    "traced",
    "user",
    "__version__",
]
