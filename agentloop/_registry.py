"""Backends by name: `sandbox="docker"`, `memory="chroma"`, looked up and imported lazily."""

from __future__ import annotations

import importlib
from typing import Any

from agentloop.errors import ConfigError

__all__ = ["register", "registered", "resolve"]

# kind -> name -> "module:attribute"; the module is imported only when the name is resolved.
_REGISTRY: dict[str, dict[str, str]] = {
    "sandbox": {
        "local": "agentloop.sandbox:LocalSandbox",
        "docker": "agentloop.sandbox:DockerSandbox",
    },
    "memory": {
        "inprocess": "agentloop.memory:InProcessMemoryStore",
        "chroma": "agentloop.memory:ChromaMemoryStore",
        "chroma-server": "agentloop.memory:ChromaServerMemoryStore",
    },
}


def register(kind: str, name: str, target: str | Any) -> None:
    """Register a backend: `target` is an object or a lazy "module:attribute" string."""
    _REGISTRY.setdefault(kind, {})[name] = target


def registered(kind: str) -> list[str]:
    """The names registered for `kind`."""
    return sorted(_REGISTRY.get(kind, {}))


def resolve(kind: str, name: str) -> Any:
    """The backend registered as `name` for `kind`, imported on first use."""
    try:
        target = _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(registered(kind)) or "none"
        raise ConfigError(f"unknown {kind} backend {name!r}; known: {known}") from None
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{kind} backend {name!r} needs a package that is not installed ({exc.name}); "
            f"install the matching extra, e.g. pip install 'agentloop[{_extra_for(kind, name)}]'"
        ) from exc
    return getattr(module, attribute)


def _extra_for(kind: str, name: str) -> str:
    if kind == "memory":
        return "memory"
    if name == "docker":
        return "docker"
    return "all"
