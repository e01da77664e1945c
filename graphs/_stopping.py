"""When a run stops: the stop policy of the one-candidate-per-round loops, and the budget check
that every router makes before starting work."""

from __future__ import annotations

from dataclasses import dataclass

from agentloop._budget import Budget
from agentloop.graphs._state import Candidate, StopReason

__all__ = ["RoundLimits", "budget_left", "cut_short_by", "decide_stop"]


def budget_left(budget: Budget | None) -> bool:
    """False once a limit is reached: routers stop before starting work that cannot be paid."""
    return budget is None or budget.exceeded() is None


def cut_short_by(stop: StopReason | None) -> str:
    """What ended a phase of a run early, in words ("the budget ran out")."""
    return "a model call failed" if stop is StopReason.ERROR else "the budget ran out"


def decide_stop(
    checked: Candidate,
    previous_best: Candidate | None,
    *,
    round: int,
    max_rounds: int,
    stale_rounds: int,
    patience: int | None,
    budget: Budget | None,
) -> tuple[StopReason | None, int]:
    """For a loop that makes one candidate per round: whether to stop, and the new stale count.

    A verifier's pass settles it (`solved`); a critic's acceptance counts only where no verifier
    ran, since execution outranks opinion.
    """
    better = previous_best is None or (checked.score or 0.0) > (previous_best.score or 0.0)
    stale = 0 if better else stale_rounds + 1
    if checked.passed:
        return StopReason.SOLVED, stale
    if checked.accepted and checked.passed is None:
        return StopReason.ACCEPTED, stale
    if round >= max_rounds:
        return StopReason.MAX_DEPTH, stale
    if patience is not None and stale >= patience:
        return StopReason.NO_PROGRESS, stale
    if not budget_left(budget):
        return StopReason.BUDGET, stale
    return None, stale


@dataclass(frozen=True)
class RoundLimits:
    """The limits of a loop that makes one candidate per round (see `decide_stop`)."""

    max_rounds: int
    patience: int | None = None
    """Rounds without a better score before stopping; None: never."""
    budget: Budget | None = None

    def decide(
        self, checked: Candidate, previous_best: Candidate | None, *, round: int,
        stale_rounds: int = 0,
    ) -> tuple[StopReason | None, int]:
        """`decide_stop` under these limits: whether to stop, and the new stale count."""
        return decide_stop(
            checked, previous_best, round=round, max_rounds=self.max_rounds,
            stale_rounds=stale_rounds, patience=self.patience, budget=self.budget,
        )
