"""GenerateConfig merging and RetryPolicy waits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agentloop.errors import ModelAuthError, ModelServerError, RateLimitedError
from agentloop.model import GenerateConfig, RetryPolicy


def test_merge_lets_the_other_configs_set_fields_win() -> None:
    base = GenerateConfig(temperature=0.2, max_tokens=100, extra={"a": 1, "b": 2})
    merged = base.merge(GenerateConfig(max_tokens=10, temperature=None, extra={"b": 3}))
    assert merged.max_tokens == 10
    assert merged.temperature is None  # explicitly set to None: it wins too
    assert merged.extra == {"a": 1, "b": 3}
    assert base.merge(GenerateConfig(seed=4)).temperature == 0.2
    assert base.merge(None) is base


def test_request_params_leave_out_unset_fields_and_the_timeout() -> None:
    params = GenerateConfig(max_tokens=5, timeout=3.0, extra={"top_k": 2}).request_params()
    assert params == {"max_tokens": 5, "top_k": 2}


def test_config_is_frozen_and_validated() -> None:
    with pytest.raises(ValidationError):
        GenerateConfig(temperature=-1)
    with pytest.raises(ValidationError):
        GenerateConfig(max_tokens=0)
    with pytest.raises(ValidationError):
        GenerateConfig(tempreature=0.5)  # type: ignore[call-arg]


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=5.0, jitter=0.0)
    server = ModelServerError("5xx")
    assert [policy.wait_before(a, server) for a in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.wait_before(1, RateLimitedError("429", retry_after=7.5)) == 7.5
    jittery = RetryPolicy(initial_wait=1.0, jitter=0.5)
    waits = {jittery.wait_before(1, server) for _ in range(20)}
    assert all(1.0 <= w <= 1.5 for w in waits) and len(waits) > 1


def test_only_retryable_errors_within_the_attempt_bound_are_retried() -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_after=60)
    assert policy.should_retry(1, ModelServerError("x"))
    assert not policy.should_retry(3, ModelServerError("x"))
    assert not policy.should_retry(1, ModelAuthError("x"))
    assert not policy.should_retry(1, ValueError("x"))
    assert not policy.should_retry(1, RateLimitedError("x", retry_after=600))
