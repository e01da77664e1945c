"""The only place that imports litellm, and the translation of its errors into ours."""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from agentloop.errors import (
    AgentloopError,
    ContextWindowError,
    MissingCredentialsError,
    ModelAuthError,
    ModelConnectionError,
    ModelError,
    ModelRequestError,
    ModelServerError,
    ModelTimeoutError,
    RateLimitedError,
    UnknownModelError,
)
from agentloop.model._providers import ensure_providers

__all__ = ["import_litellm", "provider_finished", "translate_error"]


_litellm: ModuleType | None = None
"""litellm once set up: every model call asks for it, so the set-up runs once."""


def import_litellm() -> ModuleType:
    """litellm, imported on first use (it takes seconds) and set up for agentloop."""
    global _litellm
    if _litellm is not None:
        ensure_providers()  # a cheap identity check once the prefixes are registered
        return _litellm
    # litellm fetches its cost map from GitHub at import unless told otherwise; the copy it ships
    # is enough, and a network fetch at import time stalls offline machines.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # Its "Provider List: ..." banners go to stdout; our errors already say what to fix.
    litellm.suppress_debug_info = True
    ensure_providers()
    _litellm = litellm
    return litellm


def provider_finished(stream: Any) -> bool:
    """Whether the provider itself ended a litellm stream with a finish reason.

    litellm closes every stream with a finish reason, "stop" when the provider sent none (a
    200 whose body was no event stream at all): only its own record tells the two apart.
    """
    received = getattr(stream, "received_finish_reason", True)
    return received is not None or getattr(stream, "intermittent_finish_reason", None) is not None


def _unwrap_ours(exc: BaseException) -> AgentloopError | None:
    """An agentloop error raised inside a custom provider, which litellm wraps in its own."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AgentloopError):
            return current
        seen.add(id(current))
        original = getattr(current, "original_exception", None)
        if isinstance(original, BaseException) and id(original) not in seen:
            current = original
            continue
        current = current.__cause__ or current.__context__
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 16:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _underlying_transport_error(
    exc: BaseException,
) -> tuple[type[ModelTimeoutError] | type[ModelConnectionError], str] | None:
    """A timeout or refused connection that litellm reports as a 500 "Connection error."."""
    import httpx

    for cause in _chain(exc)[1:]:
        if isinstance(cause, httpx.TimeoutException | TimeoutError):
            return ModelTimeoutError, f"no answer in time ({type(cause).__name__})"
        if isinstance(cause, httpx.ConnectError | ConnectionError):
            return ModelConnectionError, f"could not connect ({cause})"
    return None


def _headers(exc: BaseException) -> Mapping[str, str]:
    # exception_mapping_utils attaches the provider's response headers as
    # `litellm_response_headers`; openai-style errors also keep the raw httpx response.
    headers = getattr(exc, "litellm_response_headers", None)
    if headers:
        return {str(k).lower(): str(v) for k, v in dict(headers).items()}
    response = getattr(exc, "response", None)
    raw = getattr(response, "headers", None)
    if raw:
        return {str(k).lower(): str(v) for k, v in dict(raw).items()}
    return {}


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if "retry-after-ms" in headers:
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_CREDENTIAL_WORDS = ("credential", "api key", "api_key", "apikey", "unauthorized", "authentic")


def _missing_credentials(
    exc: BaseException, model: str, api_key: str | None, api_base: str | None
) -> MissingCredentialsError | None:
    """The error to raise when a call failed for want of a key the environment lacks.

    Asked only after a failure that speaks of credentials: litellm's list of the variables a
    provider needs is not the only way to authenticate (ollama needs none, bedrock can use a
    profile), so it must not stop a call before it is tried.
    """
    if api_key:
        return None
    chain = _chain(exc)
    said = " ".join(str(e).lower() for e in chain)
    if not any(word in said for word in _CREDENTIAL_WORDS) and not any(
        getattr(e, "status_code", None) == 401 for e in chain
    ):
        return None
    try:
        found = import_litellm().validate_environment(model=model, api_base=api_base)
    except Exception:  # a model litellm cannot place: the original error says more
        return None
    missing = [str(k) for k in found.get("missing_keys") or []]
    if not missing:
        return None
    return MissingCredentialsError(
        f"{model}: no API key: set {' and '.join(missing)} in the environment "
        "(or pass api_key= to ModelClient)",
        model=model,
        env_vars=missing,
    )


def translate_error(
    exc: BaseException, model: str, *, api_key: str | None = None, api_base: str | None = None
) -> BaseException:
    """The agentloop error for a failed litellm call (or `exc` itself when it is not litellm's).

    `api_key` / `api_base`: the call's own, to tell a missing key (a configuration error, never
    retried) from a refused or unreachable server.
    """
    ours = _unwrap_ours(exc)
    if ours is not None:
        return ours
    missing = _missing_credentials(exc, model, api_key, api_base)
    if missing is not None:
        return missing
    underlying = _underlying_transport_error(exc)
    if underlying is not None:
        kind, detail = underlying
        return kind(f"{model}: {detail}", model=model)
    from litellm import exceptions as litellm

    message = f"{model}: {getattr(exc, 'message', None) or exc}"
    classes: list[tuple[Any, type[ModelError]]] = [
        (litellm.ContextWindowExceededError, ContextWindowError),
        (litellm.AuthenticationError, ModelAuthError),
        (litellm.PermissionDeniedError, ModelAuthError),
        (litellm.Timeout, ModelTimeoutError),
        (litellm.InternalServerError, ModelServerError),
        (litellm.ServiceUnavailableError, ModelServerError),
        (litellm.BadGatewayError, ModelServerError),
    ]
    if isinstance(exc, litellm.RateLimitError):
        return RateLimitedError(
            f"{message} (rate limited; the client retries after the server's Retry-After)",
            model=model,
            retry_after=parse_retry_after(_headers(exc)),
        )
    if isinstance(exc, litellm.LiteLLMUnknownProvider) or (
        isinstance(exc, litellm.BadRequestError) and "LLM Provider NOT provided" in str(exc)
    ):
        return UnknownModelError(
            f"unknown model {model!r}: prefix it with a litellm provider "
            "(openai/..., anthropic/..., ollama/..., hosted_vllm/...) "
            "or use local/<name or .gguf path>"
        )
    for litellm_class, ours_class in classes:
        if isinstance(exc, litellm_class):
            return ours_class(message, model=model)
    status = getattr(exc, "status_code", None)
    if isinstance(exc, litellm.APIConnectionError):
        # litellm reports some provider-side failures as connection errors with a 5xx status.
        return ModelConnectionError(message, model=model)
    if isinstance(exc, litellm.BadRequestError | litellm.NotFoundError):
        return ModelRequestError(message, model=model)
    if isinstance(status, int):
        if status in (401, 403):
            return ModelAuthError(message, model=model)
        if status == 429:
            retry_after = parse_retry_after(_headers(exc))
            return RateLimitedError(message, model=model, retry_after=retry_after)
        if status >= 500:
            return ModelServerError(message, model=model)
        if status == 408:
            return ModelTimeoutError(message, model=model)
        if 400 <= status < 500:
            return ModelRequestError(message, model=model)
    if isinstance(exc, litellm.APIError):
        return ModelServerError(message, model=model)
    return exc
