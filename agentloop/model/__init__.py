"""The model client: every model call in agentloop goes through `ModelClient`."""

from agentloop.model._cache import ResponseCache
from agentloop.model._client import ModelClient
from agentloop.model._config import GenerateConfig
from agentloop.model._gguf import DEFAULT_MODEL
from agentloop.model._retry import RetryPolicy
from agentloop.model._sampling import current_sample_index, sample_index

__all__ = [
    "DEFAULT_MODEL",
    "GenerateConfig",
    "ModelClient",
    "ResponseCache",
    "RetryPolicy",
    "current_sample_index",
    "sample_index",
]
