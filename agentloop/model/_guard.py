"""A switch that makes model calls which would leave the machine fail (for unit tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from agentloop.errors import NetworkModelBlocked

__all__ = ["OFFLINE_PROVIDERS", "block_network_models", "check_network_allowed"]

OFFLINE_PROVIDERS = frozenset({"local", "scripted"})
"""Model prefixes that run in this process and never touch the network."""

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

_lock = threading.Lock()
_depth = 0


@contextmanager
def block_network_models() -> Iterator[None]:
    """While active, any model call that is not local, scripted or on loopback raises
    `NetworkModelBlocked`.

    Works as a context manager and as the body of a pytest fixture::

        @pytest.fixture(autouse=True)
        def _offline():
            with block_network_models():
                yield
    """
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1


def check_network_allowed(model: str, api_base: str | None) -> None:
    """Raise `NetworkModelBlocked` if the guard is on and `model` would reach the network."""
    if _depth == 0:
        return
    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider in OFFLINE_PROVIDERS:
        return
    if api_base is not None and urlparse(api_base).hostname in _LOOPBACK_HOSTS:
        return
    raise NetworkModelBlocked(
        f"model {model!r} would reach the network inside block_network_models(); use a "
        "scripted model (agentloop.testing.ScriptedModel), a local model, or a loopback api_base"
    )
