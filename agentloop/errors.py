"""Every error agentloop raises, in one place.

```
AgentloopError
├── ConfigError                  bad input from the user: fix the call, the flag or the file
│   ├── UnknownModelError        a model string no provider understands
│   ├── UnknownBackendError      a backend name (sandbox, memory, graph, ...) not registered
│   ├── MissingCredentialsError  no API key for the provider (also a ModelAuthError)
│   └── ModelFileNotFoundError   a local GGUF file (or its package) is missing
├── ModelError                   a model call failed
│   ├── RetryableModelError      worth another attempt (the client retries these itself)
│   │   ├── RateLimitedError       429; carries the server's Retry-After
│   │   ├── ModelServerError       5xx
│   │   │   └── IncompleteResponseError  a malformed or cut-off answer; carries its usage
│   │   ├── ModelTimeoutError      no answer in time
│   │   └── ModelConnectionError   could not reach the server
│   ├── ModelAuthError           401/403: fix the key
│   ├── ModelRequestError        400: the request itself is wrong
│   ├── ContextWindowError       the prompt does not fit the model
│   └── StructuredOutputError    the model never produced valid structured output
├── BudgetExhausted              a budget limit was reached; carries what was spent
├── NetworkModelBlocked          a unit test tried to reach a network model
├── SandboxError                 the sandbox itself failed (not the code inside it)
│   └── SandboxUnavailable       the backend cannot run here (bwrap missing, no Docker daemon)
├── TraceStoreError              the trace store cannot be opened, read or written
├── MemoryStoreError             the memory store cannot be opened, read or written
└── GraphError                   a graph was built or resumed wrongly
ToolError                        raised inside a tool: goes back to the model, does not end the run
```

Errors the model should see (`ToolError`) stand apart from the ones that end a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentloop._budget import BudgetUsage
    from agentloop._messages import Usage

__all__ = [
    "AgentloopError",
    "BudgetExhausted",
    "ConfigError",
    "ContextWindowError",
    "GraphError",
    "IncompleteResponseError",
    "MemoryStoreError",
    "MissingCredentialsError",
    "ModelAuthError",
    "ModelConnectionError",
    "ModelError",
    "ModelFileNotFoundError",
    "ModelRequestError",
    "ModelServerError",
    "ModelTimeoutError",
    "NetworkModelBlocked",
    "RateLimitedError",
    "RetryableModelError",
    "SandboxError",
    "SandboxUnavailable",
    "StructuredOutputError",
    "ToolError",
    "TraceStoreError",
    "UnknownBackendError",
    "UnknownModelError",
]


class AgentloopError(Exception):
    """Base of every error that ends an agentloop operation."""


class ConfigError(AgentloopError):
    """Bad input from the user; the message says what to fix."""


class UnknownModelError(ConfigError):
    """A model string that no provider understands."""


class UnknownBackendError(ConfigError):
    """A backend name (sandbox, memory, graph, model provider, tool) that nothing registered;
    the message lists the names that are."""


class ModelFileNotFoundError(ConfigError):
    """A local model's weights (a GGUF file or the package shipping it) are missing."""


class ModelError(AgentloopError):
    """A model call failed."""

    def __init__(self, message: str, *, model: str | None = None) -> None:
        super().__init__(message)
        self.model = model


class RetryableModelError(ModelError):
    """A failure worth another attempt; the model client retries these itself."""


class RateLimitedError(RetryableModelError):
    """The server answered 429."""

    def __init__(
        self, message: str, *, model: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, model=model)
        self.retry_after = retry_after


class ModelServerError(RetryableModelError):
    """The server answered 5xx."""


class IncompleteResponseError(ModelServerError):
    """The server's answer was malformed or cut off; `usage` is what it still cost."""

    def __init__(
        self, message: str, *, model: str | None = None, usage: Usage, partial_text: str = ""
    ) -> None:
        super().__init__(message, model=model)
        self.usage = usage
        self.partial_text = partial_text


class ModelTimeoutError(RetryableModelError):
    """The server did not answer in time."""


class ModelConnectionError(RetryableModelError):
    """The server could not be reached."""


class ModelAuthError(ModelError):
    """The server refused the credentials (401/403)."""


class MissingCredentialsError(ConfigError, ModelAuthError):
    """No API key for the model's provider: set the environment variable the message names."""

    def __init__(self, message: str, *, model: str | None = None, env_vars: list[str]) -> None:
        super().__init__(message, model=model)
        self.env_vars = env_vars


class ModelRequestError(ModelError):
    """The server rejected the request as malformed (400)."""


class ContextWindowError(ModelError):
    """The prompt does not fit the model's context window."""


class StructuredOutputError(ModelError):
    """The model never produced output that validates against the requested type."""

    def __init__(
        self, message: str, *, model: str | None = None, last_output: str = "", attempts: int = 0
    ) -> None:
        super().__init__(message, model=model)
        self.last_output = last_output
        self.attempts = attempts


class BudgetExhausted(AgentloopError):
    """A budget limit was reached; `spent` says what had been used."""

    def __init__(self, message: str, *, limit: str, spent: BudgetUsage) -> None:
        super().__init__(message)
        self.limit = limit
        self.spent = spent


class NetworkModelBlocked(AgentloopError):
    """A test under `agentloop.testing.block_network_models` tried to reach a network model."""


class SandboxError(AgentloopError):
    """The sandbox itself failed (not the code running inside it)."""


class SandboxUnavailable(SandboxError):
    """The sandbox backend cannot run on this machine; the message says what to install."""


class TraceStoreError(AgentloopError):
    """The trace store cannot be opened, read or written."""


class MemoryStoreError(AgentloopError):
    """The memory store cannot be opened, read or written."""


class GraphError(AgentloopError):
    """A graph was built, configured or resumed wrongly."""


class ToolError(Exception):
    """Raised inside a tool: its message goes back to the model and the run goes on."""
