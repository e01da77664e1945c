"""The embedded local model: GGUF files run in-process on llama-cpp-python, as a litellm provider.

`local/<name or path.gguf>` reaches `LocalProvider` through `litellm.acompletion` (custom provider
prefix "local"), so local models get the same retries, budget, cache and traces as remote ones.

One `Llama` per model file is loaded on first use and shared by every caller in the process.
A `Llama` is not thread-safe, so each generation holds that model's lock; concurrent callers
queue on it. Generation runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread

# Before litellm's first import (which this module may be): its cost map would otherwise be
# fetched from the network at import time, stalling offline machines for seconds.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from litellm.llms.custom_llm import CustomLLM  # noqa: E402
from litellm.types.utils import ModelResponse  # noqa: E402

from agentloop.errors import (  # noqa: E402
    ConfigError,
    ContextWindowError,
    ModelError,
    ModelRequestError,
)
from agentloop.model._custom_provider import (  # noqa: E402
    fill_response,
    final_chunk,
    text_chunk,
)
from agentloop.model._gguf import LOCAL_PREFIX, resolve_gguf  # noqa: E402

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_THREADS",
    "LocalProvider",
    "count_prompt_tokens",
    "loaded_model",
]

DEFAULT_THREADS = 1
"""llama.cpp threads spin at a barrier: one thread keeps a shared 2-core machine usable."""
DEFAULT_CONTEXT = 4096
"""Context window when the model allows it (smaller models' own maximum otherwise)."""

# Parameters passed on to llama-cpp-python's create_chat_completion as they are.
_PASSTHROUGH = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "max_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "response_format",
)


@dataclass
class _LoadedModel:
    """One `Llama` and the lock that serialises its use."""

    path: Path
    llama: Any
    formatter: Any
    """The GGUF's own chat template (for counting prompt tokens of streamed calls), or None."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: int = DEFAULT_THREADS

    def use_threads(self, threads: int) -> None:
        """Switch the thread count (caller holds `lock`)."""
        if threads != self.threads:
            # Prompt processing gets the same count: its default (all cores) spins as hard.
            self.llama._ctx.set_n_threads(threads, threads)
            self.threads = threads


_models: dict[Path, _LoadedModel] = {}
_models_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free the models while the interpreter is whole: llama.cpp's own __del__ runs too late at
    # shutdown, after the C bindings it calls are gone, and prints a TypeError.
    with _models_lock:
        for loaded in _models.values():
            with loaded.lock:
                loaded.llama.close()
        _models.clear()


def _load(path: Path, *, threads: int, n_ctx: int) -> _LoadedModel:
    try:
        import llama_cpp
        from llama_cpp import llama_chat_format
    except ImportError as exc:
        raise ConfigError(
            "local/ models need llama-cpp-python: pip install 'agentloop[local]'"
        ) from exc
    try:
        llama = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise ConfigError(
            f"could not load {str(path)!r} as a GGUF model ({exc}); check that the file is a "
            "complete GGUF file (e.g. compare its sha256 with the published one)"
        ) from exc
    arch = llama.metadata.get("general.architecture")
    train_ctx = int(llama.metadata.get(f"{arch}.context_length") or 0)
    if 0 < train_ctx < n_ctx:
        # A model trained on a shorter context: reload at its own maximum.
        del llama
        return _load(path, threads=threads, n_ctx=train_ctx)
    formatter = None
    template = llama.metadata.get("tokenizer.chat_template")
    if template:
        eos, bos = llama.token_eos(), llama.token_bos()
        formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )
    return _LoadedModel(path=path, llama=llama, formatter=formatter, threads=threads)


def loaded_model(
    model: str, *, threads: int = DEFAULT_THREADS, n_ctx: int = DEFAULT_CONTEXT
) -> _LoadedModel:
    """The process-wide loaded instance of a local model, loading it on first use."""
    path = resolve_gguf(model)
    with _models_lock:
        loaded = _models.get(path)
        if loaded is None:
            loaded = _models[path] = _load(path, threads=threads, n_ctx=n_ctx)
        return loaded


@dataclass(frozen=True)
class _Request:
    """What one call asks of the model, read from litellm's `optional_params`."""

    n: int
    seed: int | None
    threads: int | None
    params: dict[str, Any]

    @classmethod
    def parse(cls, optional_params: dict[str, Any]) -> _Request:
        n = int(optional_params.get("n") or 1)
        if n < 1:
            raise ModelRequestError(f"n must be at least 1, got {n}")
        threads = optional_params.get("n_threads")
        params = {k: optional_params[k] for k in _PASSTHROUGH if optional_params.get(k) is not None}
        if isinstance(params.get("stop"), str):
            params["stop"] = [params["stop"]]
        return cls(
            n=n,
            seed=optional_params.get("seed"),
            threads=int(threads) if threads is not None else None,
            params=params,
        )

    def sample_seed(self, index: int) -> int | None:
        """Seed of sample `index`: distinct per sample so that n samples differ (unless greedy).

        Without a seed, llama-cpp-python draws the next seed from its own chain, which also
        differs per sample.
        """
        return None if self.seed is None else self.seed + index


def _translate(exc: Exception, model: str) -> Exception:
    if isinstance(exc, ModelError | ConfigError):
        return exc
    text = str(exc)
    if "exceed context window" in text:
        return ContextWindowError(f"{LOCAL_PREFIX}{model}: {text}", model=model)
    return ModelError(f"{LOCAL_PREFIX}{model}: llama.cpp failed: {type(exc).__name__}: {text}")


class LocalProvider(CustomLLM):
    """litellm provider for `local/...`: llama-cpp-python in-process, shared per model file.

    Args:
        n_threads: llama.cpp threads when a call does not pass `n_threads`.
        n_ctx: context window (capped at the model's own).
    """

    def __init__(self, *, n_threads: int = DEFAULT_THREADS, n_ctx: int = DEFAULT_CONTEXT) -> None:
        super().__init__()
        self.n_threads = n_threads
        self.n_ctx = n_ctx

    def _model(self, model: str) -> _LoadedModel:
        return loaded_model(model, threads=self.n_threads, n_ctx=self.n_ctx)

    # -- blocking work (runs in a worker thread) ----------------------------------------------

    def _complete_blocking(
        self,
        model: str,
        messages: list[dict[str, Any]],
        request: _Request,
        cancelled: threading.Event | None = None,
    ) -> tuple[list[str], list[str | None], int, int]:
        loaded = self._model(model)
        texts: list[str] = []
        reasons: list[str | None] = []
        prompt_tokens = completion_tokens = 0
        stop_when = {} if cancelled is None else {"logits_processor": _stop_when(cancelled)}
        with loaded.lock:
            loaded.use_threads(request.threads or self.n_threads)
            for index in range(request.n):
                try:
                    out = loaded.llama.create_chat_completion(
                        messages=messages,
                        seed=request.sample_seed(index),
                        **request.params,
                        **stop_when,
                    )
                except Exception as exc:
                    raise _translate(exc, model) from exc
                choice = out["choices"][0]
                texts.append(choice["message"]["content"] or "")
                reasons.append(choice["finish_reason"])
                prompt_tokens = out["usage"]["prompt_tokens"]
                completion_tokens += out["usage"]["completion_tokens"]
        return texts, reasons, prompt_tokens, completion_tokens

    def _stream_blocking(
        self,
        model: str,
        messages: list[dict[str, Any]],
        request: _Request,
        emit: Any,
        cancelled: threading.Event,
    ) -> None:
        """Generate one streamed sample, handing each piece to `emit` (from this thread)."""
        loaded = self._model(model)
        with loaded.lock:
            loaded.use_threads(request.threads or self.n_threads)
            prompt_tokens = _count_prompt_tokens(loaded, messages)
            pieces = 0
            finish: str | None = None
            stream = loaded.llama.create_chat_completion(
                messages=messages, seed=request.sample_seed(0), stream=True, **request.params
            )
            try:
                for chunk in stream:
                    if cancelled.is_set():
                        return
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        # llama-cpp-python yields one chunk per generated token.
                        pieces += 1
                        emit(("text", text))
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
            finally:
                with contextlib.suppress(Exception):
                    stream.close()
        emit(("end", (finish or "stop", prompt_tokens, pieces)))

    # -- litellm entry points -----------------------------------------------------------------

    def _fill(
        self,
        model_response: ModelResponse,
        model: str,
        result: tuple[list[str], list[str | None], int, int],
    ) -> ModelResponse:
        texts, reasons, prompt_tokens, completion_tokens = result
        return fill_response(
            model_response,
            model=f"{LOCAL_PREFIX}{model}",
            texts=texts,
            finish_reasons=reasons,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    def completion(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        model_response: ModelResponse,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> ModelResponse:
        request = _Request.parse(optional_params)
        return self._fill(model_response, model, self._complete_blocking(model, messages, request))

    async def acompletion(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        model_response: ModelResponse,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> ModelResponse:
        request = _Request.parse(optional_params)
        cancelled = threading.Event()
        try:
            # A cancelled call (its timeout, its budget's wall time) returns at once; the
            # worker stops at its next token and frees the model for the next caller.
            result = await anyio.to_thread.run_sync(
                self._complete_blocking, model, messages, request, cancelled,
                abandon_on_cancel=True,
            )
        finally:
            cancelled.set()
        return self._fill(model_response, model, result)

    def streaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        request = _single_sample(_Request.parse(optional_params))
        events: list[tuple[str, Any]] = []
        self._stream_blocking(model, messages, request, events.append, threading.Event())
        # Synchronous callers get the pieces once generation is done (litellm.completion is a
        # convenience path; the async one below streams as tokens arrive).
        yield from (_chunk(kind, value) for kind, value in events)

    async def astreaming(  # type: ignore[override]
        self,
        model: str,
        messages: list[dict[str, Any]],
        *args: Any,
        optional_params: dict[str, Any],
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        request = _single_sample(_Request.parse(optional_params))
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()

        def emit(event: tuple[str, Any]) -> None:
            # Never blocks the generating thread: the event loop picks the piece up when free.
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def produce() -> None:
            try:
                self._stream_blocking(model, messages, request, emit, cancelled)
            except Exception as exc:
                emit(("error", _translate(exc, model)))

        # A plain thread rather than anyio.to_thread: an async generator cannot keep a task
        # group open across its yields, and the consumer may stop early (then `cancelled` ends
        # generation at the next token and releases the model's lock).
        thread = threading.Thread(target=produce, name=f"agentloop-local-{model}")
        thread.start()
        try:
            while True:
                kind, value = await queue.get()
                # Pieces that queued up while the consumer was busy go out as one chunk: each
                # chunk costs litellm's stream wrapper ~0.5 ms of Python, taken from generation.
                pending: tuple[str, Any] | None = None
                while kind == "text" and not queue.empty():
                    more = queue.get_nowait()
                    if more[0] != "text":
                        pending = more
                        break
                    value += more[1]
                for event_kind, event_value in [(kind, value), *([pending] if pending else [])]:
                    if event_kind == "error":
                        raise event_value
                    yield _chunk(event_kind, event_value)
                    if event_kind == "end":
                        return
        finally:
            cancelled.set()


def _single_sample(request: _Request) -> _Request:
    if request.n != 1:
        raise ModelRequestError(
            f"local models stream one sample at a time (got n={request.n}): "
            "call without stream for n samples"
        )
    return request


def _chunk(kind: str, value: Any) -> dict[str, Any]:
    """A litellm GenericStreamingChunk for a text piece or the final event."""
    if kind == "text":
        return text_chunk(value)
    finish, prompt_tokens, completion_tokens = value
    return final_chunk(finish, prompt_tokens, completion_tokens)


class _Cancelled(Exception):
    """Raised inside llama.cpp's sampling loop to end a generation nobody waits for."""


def _stop_when(cancelled: threading.Event) -> Any:
    """A llama.cpp logits processor that ends generation once `cancelled` is set."""
    from llama_cpp import LogitsProcessorList

    def check(input_ids: Any, scores: Any) -> Any:
        if cancelled.is_set():
            raise _Cancelled
        return scores

    return LogitsProcessorList([check])


def count_prompt_tokens(model: str, messages: list[dict[str, Any]]) -> int:
    """The tokens `messages` make for the local `model` (loading it on first use), chat template
    included: the number a call's usage will report."""
    return _count_prompt_tokens(loaded_model(model), messages)


def _count_prompt_tokens(loaded: _LoadedModel, messages: list[dict[str, Any]]) -> int:
    """Prompt tokens of a streamed call (llama-cpp-python reports usage only without streaming).

    Renders the GGUF's chat template as llama-cpp-python's default handler does; for a model
    without a template it counts the message contents (an estimate).
    """
    llama = loaded.llama
    if loaded.formatter is None:
        text = "\n".join(str(m.get("content") or "") for m in messages)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=True, special=True))
    rendered = loaded.formatter(messages=messages)
    return len(
        llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
    )
