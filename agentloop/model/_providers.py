"""In-process models (`local/...`, `scripted/...`) as litellm custom providers.

They go through `litellm.acompletion` like any remote model, so retries, budget, cache and
traces treat them the same. litellm (1.110) hands a custom provider `n` in `optional_params`
and routes `stream=True` to its `astreaming`, so the providers produce n samples and stream
themselves; the client does not loop over samples.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

__all__ = ["CUSTOM_PROVIDERS", "ensure_providers"]

CUSTOM_PROVIDERS: dict[str, str] = {
    "scripted": "agentloop.testing._provider:ScriptedProvider",
    "local": "agentloop.model._local:LocalProvider",
}
"""Provider prefix -> "module:CustomLLM subclass", imported on the first call to that prefix."""

_lock = threading.Lock()
_registered: list[Any] | None = None
"""The `litellm.custom_provider_map` list our prefixes were last found in (or put in)."""


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _lazy_handler(prefix: str, target: str) -> Any:
    """A CustomLLM that imports the real provider on first use.

    `local` needs llama-cpp-python, which must not load just because some other model was
    called, and its module may be absent in a partial install.
    """
    from litellm.llms.custom_llm import CustomLLM

    from agentloop.errors import ConfigError

    class _LazyProvider(CustomLLM):
        def __init__(self) -> None:
            super().__init__()
            self._real: Any = None

        def _handler(self) -> Any:
            if self._real is None:
                try:
                    self._real = _load(target)()
                except ImportError as exc:
                    raise ConfigError(
                        f"{prefix}/ models need a package that is not installed ({exc.name}); "
                        "install it with: pip install 'agentloop[local]'"
                    ) from exc
            return self._real

        def completion(self, *args: Any, **kwargs: Any) -> Any:
            return self._handler().completion(*args, **kwargs)

        def streaming(self, *args: Any, **kwargs: Any) -> Any:
            return self._handler().streaming(*args, **kwargs)

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return await self._handler().acompletion(*args, **kwargs)

        def astreaming(self, *args: Any, **kwargs: Any) -> Any:
            # litellm iterates the result with `async for`; an async generator method of the
            # real provider returns that iterator without being awaited.
            return self._handler().astreaming(*args, **kwargs)

    return _LazyProvider()


def ensure_providers() -> None:
    """Register the `scripted` and `local` prefixes with litellm (idempotent, thread-safe)."""
    global _registered
    import litellm

    # Every model call comes through here: once the prefixes are in the map, a check that the
    # map is still that very list is all it takes (setting a new map re-registers them).
    if litellm.custom_provider_map is _registered:
        return
    from litellm.types.llms.custom_llm import CustomLLMItem

    with _lock:
        present = {item["provider"] for item in litellm.custom_provider_map}
        missing = [p for p in CUSTOM_PROVIDERS if p not in present]
        if not missing:
            _registered = litellm.custom_provider_map
            return
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            *(
                CustomLLMItem(provider=p, custom_handler=_lazy_handler(p, CUSTOM_PROVIDERS[p]))
                for p in missing
            ),
        ]
        # litellm also runs this at the start of every call; running it now makes the prefixes
        # known to helpers such as get_llm_provider before the first call.
        from litellm.utils import custom_llm_setup

        custom_llm_setup()  # type: ignore[no-untyped-call]
        _registered = litellm.custom_provider_map
