"""The one door to every model: an async client over `litellm.acompletion`."""

from __future__ import annotations

import asyncio
import copy
import functools
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
from anyio.lowlevel import RunVar

from agentloop._budget import Budget
from agentloop._messages import Completion, Message, Usage, message_dict, user
from agentloop.errors import (
    BudgetExhausted,
    ConfigError,
    IncompleteResponseError,
    ModelServerError,
    ModelTimeoutError,
    RetryableModelError,
)
from agentloop.model._cache import ResponseCache, request_key
from agentloop.model._chat_span import chat_request_attributes, chat_result_attributes
from agentloop.model._config import LOCAL_TIMEOUT, REMOTE_TIMEOUT, GenerateConfig
from agentloop.model._gguf import DEFAULT_MODEL
from agentloop.model._guard import OFFLINE_PROVIDERS, check_network_allowed
from agentloop.model._litellm import import_litellm, provider_finished, translate_error
from agentloop.model._retry import RetryPolicy
from agentloop.model._sampling import current_sample_index
from agentloop.model._spending import (
    Spend,
    budgets_for,
    cut_at_deadline,
    earliest_deadline,
    estimate_prompt_tokens,
)
from agentloop.model._structured import ask_structured
from agentloop.tracing import Span, SpanKind, span

__all__ = ["ModelClient"]

T = TypeVar("T")
R = TypeVar("R")

_NO_USAGE = Usage()
"""Frozen, so one instance serves every call as the sum's start."""

_UNPRICED: set[tuple[str, int]] = set()
"""(model, size of litellm's cost map) pairs that litellm's `cost_per_token` could not price."""


def _as_messages(messages: Sequence[Message] | str) -> list[Message]:
    if isinstance(messages, str):
        return [user(messages)]
    if not messages:
        raise ConfigError("a model call needs at least one message")
    return list(messages)


def _cacheable(reasons: Sequence[str | None], capped: bool) -> bool:
    """Whether an answer may be replayed for its request: finished, and not cut short by a
    budget that lowered the request's `max_tokens` (the request asked for more)."""
    return all(r is not None for r in reasons) and not (capped and "length" in reasons)


def _seeded_for(cfg: GenerateConfig, sample: int) -> GenerateConfig:
    """The config that asks for sample `sample` of a seeded request: seed + sample."""
    if not sample or cfg.seed is None:
        return cfg
    return cfg.model_copy(update={"seed": cfg.seed + sample})


class _LastLimiter:
    """A one-entry cache in front of the per-loop `RunVar` of limiters."""

    __slots__ = ("entry",)

    def __init__(self) -> None:
        # The loop is held weakly: a finished `complete_sync` loop must not be kept alive.
        self.entry: tuple[weakref.ref[asyncio.AbstractEventLoop], anyio.CapacityLimiter] | None
        self.entry = None

    # A cache: a pickled or copied client (a process pool, Ray) starts with an empty one.
    def __reduce__(self) -> tuple[type[_LastLimiter], tuple[()]]:
        return (_LastLimiter, ())

    def __deepcopy__(self, memo: dict[int, object]) -> _LastLimiter:
        return _LastLimiter()


def _no_running_loop(method: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise ConfigError(
        f"{method}_sync() was called inside a running event loop; use `await client.{method}(...)`"
    )


class ModelClient:
    """An async model client: retries, budget, concurrency limit, response cache and traces.

    Any litellm model string works (`openai/gpt-4o-mini`, `ollama/llama3`, `hosted_vllm/...`),
    as do the in-process `local/<name or .gguf path>` and `scripted/<name>` models.

    Args:
        model: the litellm model string.
        config: default generation settings; a call's `config` is merged over it.
        budget: every call reserves its share before it starts and settles after; share one
            across a run. Calls inside `run_graph` also spend from the run's budget.
        max_concurrency: most calls of this client (and its `with_budget` copies) in flight.
        retry: when to retry retryable failures; the client is the only retry layer.
        cache: a `ResponseCache` or a path to one, for exact replays with no model calls.
        api_base / api_key: passed to litellm (e.g. an OpenAI-compatible server on loopback).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        config: GenerateConfig | None = None,
        budget: Budget | None = None,
        max_concurrency: int = 4,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | str | Path | None = None,
        api_base: str | None = None,
        api_key: str | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.model = model
        self.config = config or GenerateConfig()
        self.budget = budget
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.cache = ResponseCache(cache) if isinstance(cache, str | Path) else cache
        self.api_base = api_base
        self.api_key = api_key
        # One limiter per event loop: the sync wrappers run each call in a fresh loop, and an
        # anyio limiter belongs to the loop it was first used in.
        self._limiter_var: RunVar[anyio.CapacityLimiter] = RunVar(f"agentloop-limiter-{id(self)}")
        # The last (asyncio loop, its limiter) looked up; shared with `with_budget` copies.
        self._last_limiter = _LastLimiter()

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else ""

    @property
    def default_timeout(self) -> float | None:
        """Seconds per attempt when the config sets no `timeout` (None: scripted test models)."""
        provider = self.provider
        if provider == "scripted":
            return None
        return LOCAL_TIMEOUT if provider == "local" else REMOTE_TIMEOUT

    def with_budget(self, budget: Budget | None) -> ModelClient:
        """The same client (concurrency limit and cache shared) charging another budget."""
        clone = copy.copy(self)
        clone.budget = budget
        return clone

    def _limiter(self) -> anyio.CapacityLimiter:
        # `RunVar.get` asks sniffio which library runs the loop, on every call (benchmark P1);
        # under asyncio the running loop itself says whether the last limiter is this loop's.
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): the RunVar alone
            loop = None
        last = self._last_limiter.entry  # one read: other threads may replace it meanwhile
        if loop is not None and last is not None and last[0]() is loop:
            return last[1]
        try:
            limiter = self._limiter_var.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.max_concurrency)
            self._limiter_var.set(limiter)
        if loop is not None:
            self._last_limiter.entry = (weakref.ref(loop), limiter)
        return limiter

    # -- the call itself -------------------------------------------------------------------

    def _request(self, messages: list[Message], cfg: GenerateConfig, **more: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [message_dict(m) for m in messages],
            **cfg.request_params(),
            **more,
            # This client is the only retry layer: litellm's own retries, and the
            # openai SDK's underneath it, would multiply attempts and hide Retry-After waits.
            "num_retries": 0,
            "max_retries": 0,
            # One GenerateConfig serves every provider; parameters a provider lacks are dropped.
            "drop_params": True,
        }
        timeout = cfg.timeout if cfg.timeout is not None else self.default_timeout
        if timeout is not None:
            request["timeout"] = timeout
        if self.api_base is not None:
            request["api_base"] = self.api_base
        if self.api_key is not None:
            request["api_key"] = self.api_key
        return request

    async def _with_retries(
        self,
        attempt_fn: Callable[[], Awaitable[R]],
        timeout: float | None,
        live: Span,
        budgets: tuple[Budget, ...],
        *,
        take_slot: bool = True,
    ) -> R:
        """Attempts until one succeeds, a failure is not worth retrying, or the policy stops.

        The first attempt runs bare: it is the only one almost every call makes, and it should
        cost nothing beyond the call itself (benchmark P1). tenacity takes over after a
        retryable failure.
        """
        try:
            return await self._attempt(attempt_fn, timeout, live, budgets, take_slot=take_slot)
        except Exception as error:
            if not self.retry.should_retry(1, error):
                raise
            first_error = error
        # Outside the `except`: the slot is not held while backing off, and the next attempt's
        # error does not chain to this one.
        return await self._retry_after(first_error, attempt_fn, timeout, live, budgets, take_slot)

    async def _retry_after(
        self,
        first_error: Exception,
        attempt_fn: Callable[[], Awaitable[R]],
        timeout: float | None,
        live: Span,
        budgets: tuple[Budget, ...],
        take_slot: bool,
    ) -> R:
        """Attempts 2, 3, ... under tenacity, waiting and stopping as the `RetryPolicy` says."""
        import tenacity

        policy = self.retry

        def failed(state: tenacity.RetryCallState) -> BaseException:
            error = state.outcome.exception() if state.outcome is not None else None
            assert error is not None  # tenacity asks only after a failed attempt
            return error

        # tenacity counts from 1 at its own first attempt, which is our second.
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type(RetryableModelError),
            stop=lambda state: not policy.should_retry(state.attempt_number + 1, failed(state)),
            wait=lambda state: policy.wait_before(state.attempt_number + 1, failed(state)),
            sleep=anyio.sleep,
            reraise=True,
        )
        await anyio.sleep(policy.wait_before(1, first_error))
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    attempt_fn, timeout, live, budgets, take_slot=take_slot
                )
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _attempt(
        self,
        attempt_fn: Callable[[], Awaitable[R]],
        timeout: float | None,
        live: Span,
        budgets: tuple[Budget, ...],
        *,
        take_slot: bool,
    ) -> R:
        # Cumulative over the calls of one span (a server that ignores `n` takes several).
        live.set_attribute("agentloop.attempts", int(live.attributes["agentloop.attempts"]) + 1)
        # The slot is held for the attempt only, never while backing off. A free slot is taken
        # without a trip through the event loop (anyio's `acquire` always makes one).
        limiter = self._limiter() if take_slot else None
        if limiter is not None:
            try:
                limiter.acquire_nowait()
            except anyio.WouldBlock:
                await limiter.acquire()
        try:
            # Checked again once a slot is free: other calls may have spent the budget (its
            # dollars, its time) while this one waited or backed off.
            for budget in budgets:
                budget.check()
            if timeout is None or self.provider not in OFFLINE_PROVIDERS:
                # Remote calls time out in litellm's HTTP client, which counts only the wait
                # for the server (not litellm's own first-call set-up).
                return await attempt_fn()
            # In-process providers may ignore litellm's timeout: enforce it here.
            with anyio.fail_after(timeout):
                return await attempt_fn()
        except TimeoutError as exc:
            raise ModelTimeoutError(
                f"{self.model}: no answer within {timeout}s", model=self.model
            ) from exc
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            if limiter is not None:
                limiter.release()

    def _translate(self, exc: BaseException) -> BaseException:
        return translate_error(exc, self.model, api_key=self.api_key, api_base=self.api_base)

    async def _prompt_tokens(self, messages: list[Message]) -> int:
        """The prompt's tokens, exactly for a local model, else estimated on the high side."""
        dicts = [message_dict(m) for m in messages]
        if self.provider == "local":
            from agentloop.model._local import count_prompt_tokens

            return await anyio.to_thread.run_sync(count_prompt_tokens, self.model, dicts)
        counted = import_litellm().token_counter(model=self.model, messages=dicts)
        return estimate_prompt_tokens(messages, int(counted))

    async def _spend(
        self, budgets: tuple[Budget, ...], messages: list[Message], cfg: GenerateConfig, n: int
    ) -> tuple[Spend | None, dict[str, Any]]:
        """The request's hold on `budgets`, and the `max_tokens` they allow where it is lower."""
        if not budgets:
            return None, {}
        spend = await Spend.reserve(
            budgets,
            prompt_tokens=lambda: self._prompt_tokens(messages),
            answer_tokens=cfg.max_tokens,
            samples=n,
        )
        if spend.answer_tokens is not None and spend.answer_tokens != cfg.max_tokens:
            return spend, {"max_tokens": spend.answer_tokens}
        return spend, {}

    def _usage(self, raw: Any, response: Any, messages: list[Message], texts: list[str]) -> Usage:
        """Usage from the response's `usage` block (or counted) and its cost.

        `response` is litellm's response, for its cost (None for a stream).
        """
        input_tokens = getattr(raw, "prompt_tokens", None)
        output_tokens = getattr(raw, "completion_tokens", None)
        # Some OpenAI-compatible servers send no usage: count with litellm's tokenizer instead.
        if input_tokens is None:
            input_tokens = import_litellm().token_counter(
                model=self.model, messages=[message_dict(m) for m in messages]
            )
        if output_tokens is None:
            litellm = import_litellm()
            output_tokens = sum(litellm.token_counter(model=self.model, text=t) for t in texts)
        return Usage(
            input_tokens=int(input_tokens),
            output_tokens=int(output_tokens),
            cost_usd=self._cost(response, int(input_tokens), int(output_tokens)),
        )

    def _cost(self, response: Any, input_tokens: int, output_tokens: int) -> float:
        if self.provider in OFFLINE_PROVIDERS:
            return 0.0
        litellm = import_litellm()
        # Read only here: a private attribute of litellm's pydantic response is a slow look-up.
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is not None:
            return float(cost)
        # A model litellm cannot price fails the same way on every call, and the look-up costs
        # ~0.3 ms; registering models grows the cost map, which asks again.
        unpriced = (self.model, len(litellm.model_cost))
        if unpriced in _UNPRICED:
            return 0.0
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=self.model, prompt_tokens=input_tokens, completion_tokens=output_tokens
            )
        except Exception:  # a model missing from litellm's cost map costs what we can tell: 0
            _UNPRICED.add(unpriced)
            return 0.0
        return float(prompt_cost + completion_cost)

    # -- cache -----------------------------------------------------------------------------

    def _keys(
        self, messages: list[Message], cfg: GenerateConfig, n: int, *, first: int = 0
    ) -> list[str]:
        params = cfg.request_params()
        return [
            request_key(
                model=self.model, messages=messages, params=params, sample=i, api_base=self.api_base
            )
            for i in range(first, first + n)
        ]

    async def _replay(self, keys: list[str], budgets: tuple[Budget, ...]) -> Completion | None:
        assert self.cache is not None
        replayed = await self.cache.replay(keys, model=self.model)
        if replayed is not None:
            # A replay charges what the original call spent, so that a run whose control flow
            # depends on its budget stops at the same step and replays exactly (a replay that
            # charged nothing would run past the original's end and make fresh model calls).
            for budget in budgets:
                budget.charge(replayed.usage)
        return replayed

    # -- public API ------------------------------------------------------------------------

    async def complete(
        self,
        messages: Sequence[Message] | str,
        *,
        config: GenerateConfig | None = None,
        n: int = 1,
    ) -> Completion:
        """One call to the model, `n` samples; `texts` has n entries."""
        if n < 1:
            raise ConfigError(f"n must be at least 1, got {n}")
        msgs = _as_messages(messages)
        cfg = self.config.merge(config)
        # Inside `sample_index(j)` this call's samples are j*n .. j*n+n-1 of the request.
        first = current_sample_index() * n
        budgets = budgets_for(self.budget)
        for budget in budgets:
            budget.check()
        litellm = import_litellm()  # before the clock starts: the first import takes seconds
        with span(f"chat {self.model}", kind=SpanKind.CHAT) as live:
            live.set_attributes(chat_request_attributes(self.model, msgs, cfg))
            started = time.monotonic()
            keys: list[str] = []
            if self.cache is not None:  # hashing the request costs ~20 us: only for a cache
                keys = self._keys(msgs, cfg, n, first=first)
                replayed = await self._replay(keys, budgets)
                if replayed is not None:
                    live.set_attributes(chat_result_attributes(replayed, attempts=0))
                    return replayed
            check_network_allowed(self.model, self.api_base)

            async def generate() -> Completion:
                return await self._generate(litellm, msgs, cfg, n, first, budgets, live, started)

            deadline = earliest_deadline(budgets)
            if deadline is None:
                completion = await generate()
            else:
                completion = await cut_at_deadline(deadline, generate)
            if self.cache is not None and _cacheable(
                completion.finish_reasons, bool(live.attributes.get("agentloop.budget_capped"))
            ):
                await self.cache.store(keys, completion)
            live.set_attributes(
                chat_result_attributes(completion, int(live.attributes["agentloop.attempts"]))
            )
            return completion

    async def _generate(
        self,
        litellm: Any,
        msgs: list[Message],
        cfg: GenerateConfig,
        n: int,
        first: int,
        budgets: tuple[Budget, ...],
        live: Span,
        started: float,
    ) -> Completion:
        texts: list[str] = []
        reasons: list[str | None] = []
        usage = _NO_USAGE
        # Some OpenAI-compatible servers ignore `n` and answer one choice: ask again for the
        # missing samples, so that `texts` always has n entries.
        while len(texts) < n:
            want = n - len(texts)
            spend, more = await self._spend(budgets, msgs, cfg, want)
            if more:
                live.set_attribute("agentloop.budget_capped", True)
            if want > 1:
                more["n"] = want
            # Sample i of a seeded request uses seed + i, as the local provider does for n.
            request = self._request(msgs, _seeded_for(cfg, first + len(texts)), **more)
            call = functools.partial(litellm.acompletion, **request)
            try:
                response = await self._with_retries(call, cfg.timeout, live, budgets)
                choices = list(response.choices)[:want]
                if not choices:
                    raise ModelServerError(
                        f"{self.model} answered with no choices", model=self.model
                    )
                new_texts = [c.message.content or "" for c in choices]
                raw_usage = getattr(response, "usage", None)
                round_usage = self._usage(raw_usage, response, msgs, new_texts)
            except BaseException:
                if spend is not None:
                    spend.settle(None)
                raise
            if spend is not None:
                spend.settle(round_usage)
            # Almost every call takes one round: its usage is the total, no sum to build.
            usage = usage + round_usage if texts else round_usage
            texts += new_texts
            reasons += [c.finish_reason for c in choices]
        return Completion(
            model=self.model,
            texts=texts,
            finish_reasons=reasons,
            usage=usage,
            latency_s=time.monotonic() - started,
        )

    async def stream(
        self, messages: Sequence[Message] | str, *, config: GenerateConfig | None = None
    ) -> AsyncGenerator[str, None]:
        """Text deltas of one answer as they arrive; usage is charged and traced at the end.

        Only opening the stream is retried: once text has been yielded, a failure surfaces,
        as an `IncompleteResponseError` that carries what the partial answer cost (charged).
        """
        msgs = _as_messages(messages)
        cfg = self.config.merge(config)
        first = current_sample_index()
        budgets = budgets_for(self.budget)
        for budget in budgets:
            budget.check()
        litellm = import_litellm()
        with span(f"chat {self.model}", kind=SpanKind.CHAT) as live:
            live.set_attributes(chat_request_attributes(self.model, msgs, cfg))
            live.set_attribute("agentloop.stream", True)
            started = time.monotonic()
            keys: list[str] = []
            if self.cache is not None:
                keys = self._keys(msgs, cfg, 1, first=first)
                replayed = await self._replay(keys, budgets)
                if replayed is not None:
                    live.set_attributes(chat_result_attributes(replayed, attempts=0))
                    yield replayed.text
                    return
            check_network_allowed(self.model, self.api_base)
            deadline = earliest_deadline(budgets)

            async def within_deadline(fn: Callable[[], Awaitable[T]]) -> T:
                # Per step: a cancel scope must not stay open across this generator's yields.
                return await (fn() if deadline is None else cut_at_deadline(deadline, fn))

            spend, more = await within_deadline(lambda: self._spend(budgets, msgs, cfg, 1))
            request = self._request(
                msgs,
                _seeded_for(cfg, first),
                stream=True,
                stream_options={"include_usage": True},
                **more,
            )

            async def open_stream() -> Any:
                return await litellm.acompletion(**request)

            pieces: list[str] = []
            finish_reason: str | None = None
            raw_usage: Any = None
            opened = False

            def spent() -> Usage | None:
                """What the stream cost so far: nothing if it never opened."""
                if not opened:
                    return None
                return self._usage(raw_usage, None, msgs, ["".join(pieces)])

            try:
                # The model generates while the stream is read, so the slot is held until its
                # end (through retries of the opening too: a stream is one call).
                async with self._limiter():
                    stream = await within_deadline(
                        lambda: self._with_retries(
                            open_stream, cfg.timeout, live, budgets, take_slot=False
                        )
                    )
                    opened = True
                    chunks = stream.__aiter__()
                    while True:
                        try:
                            chunk = await within_deadline(chunks.__anext__)
                        except StopAsyncIteration:
                            break
                        if getattr(chunk, "usage", None) is not None:
                            raw_usage = chunk.usage
                        if not chunk.choices:
                            continue
                        choice = chunk.choices[0]
                        finish_reason = choice.finish_reason or finish_reason
                        delta = choice.delta.content
                        if delta:
                            pieces.append(delta)
                            yield delta
            except GeneratorExit:
                # The reader stopped early: what was generated so far is still spent.
                live.set_attribute("agentloop.stream_abandoned", True)
                if spend is not None:
                    spend.settle(spent())
                return
            except BaseException as exc:
                usage = spent()
                if spend is not None:
                    spend.settle(usage)
                if not isinstance(exc, Exception):
                    raise  # cancelled from outside: what it cost is charged
                translated = self._translate(exc)
                if usage is not None and not isinstance(
                    translated, BudgetExhausted | IncompleteResponseError
                ):
                    raise self._incomplete(usage, pieces, f"it broke off: {translated}") from exc
                if translated is exc:
                    raise
                raise translated from exc
            usage = self._usage(raw_usage, None, msgs, ["".join(pieces)])
            if spend is not None:
                spend.settle(usage)
            if finish_reason is None or not provider_finished(stream):
                # A 200 whose body was no event stream, or a stream that just stopped: not an
                # answer, whatever text came before.
                raise self._incomplete(usage, pieces, "it ended without a finish reason")
            completion = Completion(
                model=self.model,
                texts=["".join(pieces)],
                finish_reasons=[finish_reason],
                usage=usage,
                latency_s=time.monotonic() - started,
            )
            if self.cache is not None and _cacheable([finish_reason], bool(more)):
                await self.cache.store(keys, completion)
            live.set_attributes(
                chat_result_attributes(completion, int(live.attributes["agentloop.attempts"]))
            )

    def _incomplete(self, usage: Usage, pieces: list[str], why: str) -> IncompleteResponseError:
        text = "".join(pieces)
        return IncompleteResponseError(
            f"{self.model}: the streamed answer is incomplete ({len(text)} characters "
            f"received; {why}); its usage was charged",
            model=self.model,
            usage=usage,
            partial_text=text,
        )

    async def structured(
        self,
        messages: Sequence[Message] | str,
        output_type: type[T],
        *,
        max_reasks: int = 2,
        config: GenerateConfig | None = None,
    ) -> T:
        """An answer parsed and validated as `output_type` (a pydantic model or any type
        pydantic validates), re-asking with the validation error up to `max_reasks` times.

        The schema goes in the prompt, so models with no JSON mode work too (JSON is read out of
        prose and code fences); where litellm says the model supports response schemas, the
        schema is also sent as `response_format`.
        """
        return await ask_structured(
            lambda msgs, cfg: self.complete(msgs, config=cfg),
            _as_messages(messages),
            output_type,
            model=self.model,
            max_reasks=max_reasks,
            config=config,
            json_mode=self._supports_response_schema(),
        )

    def _supports_response_schema(self) -> bool:
        if self.provider in OFFLINE_PROVIDERS:
            return False
        litellm = import_litellm()
        try:
            return bool(litellm.supports_response_schema(model=self.model))
        except Exception:  # unknown to litellm's model map: assume no JSON mode
            return False

    # -- sync wrappers for scripts ---------------------------------------------------------

    def complete_sync(
        self,
        messages: Sequence[Message] | str,
        *,
        config: GenerateConfig | None = None,
        n: int = 1,
    ) -> Completion:
        """`complete` for scripts, in a fresh event loop; not for use inside async code."""
        _no_running_loop("complete")
        return anyio.run(functools.partial(self.complete, messages, config=config, n=n))

    def structured_sync(
        self,
        messages: Sequence[Message] | str,
        output_type: type[T],
        *,
        max_reasks: int = 2,
        config: GenerateConfig | None = None,
    ) -> T:
        """`structured` for scripts, in a fresh event loop; not for use inside async code."""
        _no_running_loop("structured")
        return anyio.run(
            functools.partial(
                self.structured, messages, output_type, max_reasks=max_reasks, config=config
            )
        )

    def __repr__(self) -> str:
        return f"ModelClient({self.model!r}, max_concurrency={self.max_concurrency})"
