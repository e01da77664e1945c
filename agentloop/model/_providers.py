"""The registry's model providers (built in: the in-process `local/...` and `scripted/...`) as
litellm custom providers.

They go through `litellm.acompletion` like any remote model, so retries, budget, cache and
traces treat them the same. litellm (1.110) hands a custom provider `n` in `optional_params`
and routes `stream=True` to its `astreaming`, so the providers produce n samples and stream
themselves; the client does not loop over samples.
"""

from __future__ import annotations

import threading
from typing import Any

from agentloop._registry import generation, registered, resolve

__all__ = ["ensure_providers"]

# The prefixes are the registry's "model_provider" names: `scripted` and `local` are built in,
# and a package adds its own with `agentloop.register("model_provider", PREFIX)` or an entry
# point in the group `agentloop.model_provider`.

_lock = threading.Lock()
_registered: tuple[list[Any], int] | None = None
"""The `litellm.custom_provider_map` list our prefixes were last found in (or put in), and the
registry's generation then."""


def _lazy_handler(prefix: str) -> Any:
    """A CustomLLM that resolves the real provider in the registry on first use.

    `local` needs llama-cpp-python, which must not load just because some other model was
    called, and its module may be absent in a partial install (the registry's error then says
    which extra to install).
    """
    from litellm.llms.custom_llm import CustomLLM

    class _LazyProvider(CustomLLM):
        def __init__(self) -> None:
            super().__init__()
            self._real: Any = None

        def _handler(self) -> Any:
            if self._real is None:
                self._real = resolve("model_provider", prefix)()
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
    """Register every model provider of the registry with litellm as a prefix (idempotent,
    thread-safe)."""
    global _registered
    import litellm

    # Every model call comes through here: once the prefixes are in the map, a check that the
    # map is still that very list and that nothing was registered since is all it takes
    # (setting a new map, or registering a provider, re-registers them).
    seen = _registered
    if seen is not None and seen[0] is litellm.custom_provider_map and seen[1] == generation():
        return
    from litellm.types.llms.custom_llm import CustomLLMItem

    with _lock:
        now = generation()
        present = {item["provider"] for item in litellm.custom_provider_map}
        missing = [p for p in registered("model_provider") if p not in present]
        if not missing:
            _registered = (litellm.custom_provider_map, now)
            return
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            *(CustomLLMItem(provider=p, custom_handler=_lazy_handler(p)) for p in missing),
        ]
        # litellm also runs this at the start of every call; running it now makes the prefixes
        # known to helpers such as get_llm_provider before the first call.
        from litellm.utils import custom_llm_setup

        custom_llm_setup()  # type: ignore[no-untyped-call]
        _registered = (litellm.custom_provider_map, now)
