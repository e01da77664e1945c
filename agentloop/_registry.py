"""Backends by name, for every kind: `sandbox="docker"`, `open_memory("chroma")`,
`run_graph("reflexion")`, `local/...` models. One registry, looked up and imported lazily.

A backend is registered under a kind and a name, in this process with the decorator::

    @register("sandbox", "firecracker")
    class FirecrackerSandbox: ...

or, for other installed packages, with an entry point in the group `agentloop.<kind>`
(`agentloop.sandbox`, `agentloop.memory`, `agentloop.graph`, `agentloop.model_provider`,
`agentloop.tool`), named after the backend::

    [project.entry-points."agentloop.sandbox"]
    firecracker = "agentloop_firecracker:FirecrackerSandbox"

`resolve(kind, name)` looks among the built-ins and what `register` added first, then among the
installed entry points; either is imported only when its name is resolved (the built-ins are
"module:attribute" strings, so that `import agentloop` stays light). An entry point never
replaces a built-in or a name registered in this process.

What a backend of each kind is:

- sandbox: a `Sandbox` class, built as `cls(limits=...)`;
- memory: a callable `(**options) -> MemoryStore` (a store class);
- graph: a function `(model, task, *, budget, config, memory, verifier, checkpointer,
  **options)` returning a compiled graph (see `agentloop.graphs.build_graph`); its options are
  its other keyword-only parameters;
- model_provider: a litellm `CustomLLM` subclass (or a function returning one),
  reached as model `<name>/<model>`;
- tool: a tool (for `agentloop.tools`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, TypeVar, get_args, overload

from agentloop.errors import ConfigError, UnknownBackendError

__all__ = ["KINDS", "Kind", "builtin_names", "generation", "register", "registered", "resolve"]

Kind = Literal["sandbox", "memory", "graph", "model_provider", "tool"]
KINDS: tuple[Kind, ...] = get_args(Kind)

_LABELS: dict[str, str] = {
    "sandbox": "sandbox backend",
    "memory": "memory backend",
    "graph": "graph",
    "model_provider": "model provider",
    "tool": "tool",
}

# kind -> name -> a "module:attribute" string (imported when resolved) or the backend itself.
_REGISTRY: dict[str, dict[str, object]] = {
    "sandbox": {
        "local": "agentloop.sandbox:LocalSandbox",
        "docker": "agentloop.sandbox:DockerSandbox",
    },
    "memory": {
        "inprocess": "agentloop.memory:InProcessMemoryStore",
        "chroma": "agentloop.memory:ChromaMemoryStore",
        "chroma-server": "agentloop.memory:ChromaServerMemoryStore",
    },
    "graph": {
        "reflexion": "agentloop.graphs._catalog:CATALOG_REFLEXION",
        "self_refine": "agentloop.graphs._catalog:CATALOG_SELF_REFINE",
        "best_of_n": "agentloop.graphs._catalog:CATALOG_BEST_OF_N",
        "lats": "agentloop.graphs._catalog:CATALOG_LATS",
        "try_again": "agentloop.graphs._catalog:CATALOG_TRY_AGAIN",
    },
    "model_provider": {
        "scripted": "agentloop.testing._provider:ScriptedProvider",
        "local": "agentloop.model._local:LocalProvider",
    },
    "tool": {},
}

_BUILTIN: dict[str, tuple[str, ...]] = {kind: tuple(names) for kind, names in _REGISTRY.items()}

_EXTRAS: dict[tuple[str, str], str] = {
    ("sandbox", "docker"): "docker",
    ("memory", "chroma"): "memory",
    ("memory", "chroma-server"): "memory",
    ("model_provider", "local"): "local",
}
"""The extra that installs what a built-in backend imports, where it needs one."""

_generation = 0

T = TypeVar("T")


def _checked(kind: str) -> str:
    if kind not in _REGISTRY:
        raise ConfigError(f"unknown registry kind {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


@overload
def register(kind: Kind, name: str) -> Callable[[T], T]: ...


@overload
def register(kind: Kind, name: str, target: object) -> None: ...


def register(kind: Kind, name: str, target: object = None) -> Callable[[T], T] | None:
    """Register a backend as `name` for `kind`: as a decorator (`@register("sandbox", "mine")`),
    or with `target`, the backend itself or a "module:attribute" string imported on first use.

    A name registered again is replaced: the last registration wins.
    """
    _checked(kind)

    def add(backend: T) -> T:
        global _generation
        _REGISTRY[kind][name] = backend
        _generation += 1
        return backend

    if target is not None:
        add(target)
        return None
    return add


def registered(kind: Kind) -> list[str]:
    """Every name `kind` has: built-ins, registered ones and installed entry points (read, not
    imported)."""
    return sorted({*_REGISTRY[_checked(kind)], *_installed().get(kind, {})})


def builtin_names(kind: Kind) -> tuple[str, ...]:
    """The names agentloop itself ships for `kind`, in the order it lists them."""
    return _BUILTIN[_checked(kind)]


def generation() -> int:
    """A number that changes whenever `register` adds or replaces a name: a cache of what is
    registered is stale when it has moved."""
    return _generation


def resolve(kind: Kind, name: str) -> Any:
    """The backend registered as `name` for `kind`, imported on first use.

    Raises `UnknownBackendError` (listing the known names) for a name nothing registered, and
    `ConfigError` (saying what to install) when the backend's module cannot be imported.
    """
    target = _REGISTRY[_checked(kind)].get(name)
    if target is None:
        entry_point = _installed().get(kind, {}).get(name)
        if entry_point is None:
            known = ", ".join(registered(kind)) or "none"
            raise UnknownBackendError(f"unknown {_LABELS[kind]} {name!r}; known: {known}")
        return _load_entry_point(kind, name, entry_point)
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        extra = _EXTRAS.get((kind, name))
        fix = f"pip install 'agentloop[{extra}]'" if extra else f"install what {target} imports"
        raise ConfigError(
            f"{_LABELS[kind]} {name!r} needs a package that is not installed ({exc.name}); {fix}"
        ) from exc
    return getattr(module, attribute)


def _load_entry_point(kind: str, name: str, entry_point: EntryPoint) -> Any:
    try:
        backend = entry_point.load()
    except ImportError as exc:
        owner = entry_point.dist.name if entry_point.dist is not None else "its package"
        raise ConfigError(
            f"{_LABELS[kind]} {name!r} (entry point {entry_point.value} of {owner}) could not "
            f"be imported: {exc}"
        ) from exc
    # Kept, so that the next lookup neither reads the entry points nor imports again.
    _REGISTRY[kind].setdefault(name, backend)
    return backend


@functools.cache
def _installed() -> dict[str, dict[str, EntryPoint]]:
    """kind -> name -> the entry point an installed package declares, read once per process
    (reading every distribution's metadata takes tens of milliseconds)."""
    installed = entry_points()  # one pass over the metadata for every kind
    found: dict[str, dict[str, EntryPoint]] = {}
    for kind in KINDS:
        for entry_point in installed.select(group=f"agentloop.{kind}"):
            # Two packages claiming one name: the first found keeps it.
            found.setdefault(kind, {}).setdefault(entry_point.name, entry_point)
    return found
