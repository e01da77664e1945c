"""Budget: limits checked before calls, charged after, shared safely between threads."""

from __future__ import annotations

import threading
import time

import pytest

from agentloop import Budget, BudgetExhausted, Usage


def test_fresh_budget_has_room_and_no_limits_means_never_exhausted() -> None:
    budget = Budget()
    budget.charge(Usage(input_tokens=10**9, output_tokens=10**9, cost_usd=10**6), calls=10**6)
    budget.check()
    assert budget.exceeded() is None


@pytest.mark.parametrize(
    ("limits", "usage", "name"),
    [
        ({"max_input_tokens": 10}, Usage(input_tokens=10), "input_tokens"),
        ({"max_output_tokens": 5}, Usage(output_tokens=6), "output_tokens"),
        ({"max_tokens": 10}, Usage(input_tokens=6, output_tokens=4), "tokens"),
        ({"max_usd": 0.01}, Usage(cost_usd=0.02), "usd"),
    ],
)
def test_each_limit_stops_with_its_name_and_what_was_spent(
    limits: dict[str, float], usage: Usage, name: str
) -> None:
    budget = Budget(**limits)  # type: ignore[arg-type]
    budget.check()
    budget.charge(usage)
    with pytest.raises(BudgetExhausted) as caught:
        budget.check()
    assert caught.value.limit == name
    assert caught.value.spent.calls == 1
    assert caught.value.spent.input_tokens == usage.input_tokens


def test_call_and_wall_time_limits() -> None:
    calls = Budget(max_calls=2)
    calls.charge(Usage())
    calls.check()
    calls.charge(Usage())
    assert calls.exceeded() == "calls"

    clock = Budget(max_seconds=0.05)
    clock.check()
    time.sleep(0.06)
    assert clock.exceeded() == "seconds"
    clock.start()
    assert clock.exceeded() is None


def test_concurrent_charges_are_not_lost() -> None:
    budget = Budget()

    def spend() -> None:
        for _ in range(1000):
            budget.charge(Usage(input_tokens=1, output_tokens=2, cost_usd=0.001))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = budget.spent
    assert (spent.calls, spent.input_tokens, spent.output_tokens) == (8000, 8000, 16000)
    assert spent.cost_usd == pytest.approx(8.0)


def test_the_first_limit_reached_is_named_in_a_fixed_order() -> None:
    budget = Budget(max_output_tokens=1, max_tokens=1, max_usd=0.01, max_calls=1, max_seconds=60)
    budget.charge(Usage(output_tokens=5, cost_usd=1.0))
    assert budget.exceeded() == "output_tokens"
    with pytest.raises(BudgetExhausted) as caught:
        budget.check()
    assert caught.value.limit == "output_tokens"
    assert caught.value.spent.output_tokens == 5
    assert caught.value.spent.cost_usd == 1.0
    assert Budget(max_usd=0.5, max_calls=1).exceeded() is None
