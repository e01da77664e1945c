"""Budget: limits checked before calls, charged after, shared safely between threads."""

from __future__ import annotations

import threading
import time

import pytest

from agentloop import Budget, BudgetExhausted, BudgetUsage, Usage


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


def test_a_call_slot_is_reserved_atomically_and_released_by_a_call_that_spent_nothing() -> None:
    budget = Budget(max_calls=1)
    first = budget.reserve()
    assert first is not None
    # The one slot is held: a concurrent call waits (None), it does not pass the check too.
    assert budget.reserve() is None
    first.settle(None)  # the call failed before it cost anything: the slot is free again
    second = budget.reserve()
    assert second is not None
    second.settle(Usage(input_tokens=3, output_tokens=2))
    assert budget.spent.calls == 1
    with pytest.raises(BudgetExhausted) as caught:
        budget.reserve()
    assert caught.value.limit == "calls"


def test_a_token_reservation_caps_the_answer_and_settles_to_what_was_used() -> None:
    budget = Budget(max_tokens=100)
    first = budget.reserve(prompt_tokens=30, answer_tokens=50)
    assert first is not None and first.answer_tokens == 50
    # 100 - (30 + 50) held = 20 left: the next call's answer is capped after its prompt.
    second = budget.reserve(prompt_tokens=2, answer_tokens=50)
    assert second is not None and second.answer_tokens == 18
    assert budget.reserve(prompt_tokens=2, answer_tokens=50) is None  # fits once others settle
    first.settle(Usage(input_tokens=25, output_tokens=5))
    second.settle(Usage(input_tokens=2, output_tokens=18))
    assert budget.spent.total_tokens == 50
    third = budget.reserve(prompt_tokens=10)  # no max_tokens of its own: all that is left
    assert third is not None and third.answer_tokens == 40
    third.settle(Usage(input_tokens=10, output_tokens=40))
    assert budget.exceeded() == "tokens"


def test_a_prompt_that_leaves_too_little_for_an_answer_is_refused_before_the_call() -> None:
    budget = Budget(max_tokens=100)
    budget.charge(Usage(input_tokens=60))
    with pytest.raises(BudgetExhausted, match="cannot cover a prompt of ~30 tokens") as caught:
        budget.reserve(prompt_tokens=30, answer_tokens=256)
    assert caught.value.limit == "tokens"
    # A call that asks for fewer answer tokens than MIN_ANSWER_TOKENS needs only those.
    small = budget.reserve(prompt_tokens=30, answer_tokens=5)
    assert small is not None and small.answer_tokens == 5


def test_restore_counts_an_earlier_part_of_a_run_wall_time_included() -> None:
    budget = Budget(max_calls=6, max_seconds=100.0)
    budget.restore(BudgetUsage(input_tokens=7, output_tokens=3, calls=4, wall_seconds=40.0))
    spent = budget.spent
    assert (spent.total_tokens, spent.calls) == (10, 4) and spent.wall_seconds >= 40.0
    for _ in range(2):
        reservation = budget.reserve()
        assert reservation is not None
        reservation.settle(Usage())
    with pytest.raises(BudgetExhausted, match="calls"):
        budget.reserve()
