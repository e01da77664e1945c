"""Sandboxes that run untrusted code in isolation, and verifiers that turn runs into verdicts.

Verdicts are labels: they decide what an agent keeps and, through the training export, what a
model learns. So **nothing that decides a verdict lives where the candidate's code runs.**
`PythonTestVerifier` runs, inside the sandbox, a trusted test driver in one process and the
candidate in another, which never held the tests:

- the test driver, the tests' code, the expected values, the comparison and the report channel
  are all in the driver's process, which the candidate can neither read (it is not dumpable),
  nor write to, nor signal out of existence without the report coming out incomplete;
- the candidate's process is forked by the driver before the driver reads its payload, from a
  runner that passes stdin through without holding it (restarts after a kill are fresh
  interpreters), so the tests were never in its memory;
- the candidate's functions appear in the tests as proxies: arguments go to the candidate's
  process and return values come back as plain data (None, bool, int, float, complex, str, bytes,
  list, tuple, set, frozenset, dict, nested), decoded by the driver into fresh builtin values. A
  subclass crosses as the builtin value it holds, read without running its code, so an object
  that lies about equality cannot cross; anything else (a generator, an object of the
  candidate's own class) is the verdict `unsupported_value`, never a pass. Exceptions cross as
  their nearest builtin class. Arguments are passed by value: a test that relies on the
  candidate mutating its argument in place sees no change;
- the host reads the driver's report strictly: a missing, duplicated, reordered or malformed
  record is a `verifier_error`; tests that ran none (`no_tests`) or could not be set up
  (`setup_error`) are not verified. None of these is ever a pass.

What this cannot protect: tests that call a helper the candidate's own code defines (HumanEval/32
calls `poly` from its prompt) trust that helper, since it is the candidate's.

What `SandboxLimits.memory_bytes` guarantees depends on the backend; it always covers a command's
whole process tree, never one process alone:

- `LocalSandbox` with a cgroup (a cgroup v1 `memory` hierarchy, with `pids` when mounted, or a
  cgroup v2 tree with both controllers, that this process may write: typically as root): every
  process of a command is charged to one cgroup, the kernel never lets them hold more than the
  limit together (files the episode's commands wrote to its tmpfs count as well), its OOM killer
  acts at the limit, and the sandbox then kills the rest of the tree and reports
  `ExecStopReason.MEMORY`. `pids.max` caps the tree's processes and threads at `processes`.
- `LocalSandbox` without one (found at start-up, nothing to configure): the sandbox sums the
  resident memory of the command's processes from /proc every 20 ms and kills the tree when the
  sum passes the limit. This is best effort: a fast allocation can overshoot for up to one
  interval, and memory that forked processes still share counts once for each.
- In both, each process also runs under `RLIMIT_AS` = `memory_bytes`, so a single allocation
  beyond the limit fails at once (in Python a `MemoryError`, reported as `MEMORY`).
- `DockerSandbox`: the container's memory limit (memory+swap equal, so no swap), which holds every
  process of the episode and its tmpfs together; the kernel OOM-kills inside the container.
"""

import typing

from agentloop.sandbox._docker import DockerSandbox, gc_containers
from agentloop.sandbox._local import LocalSandbox
from agentloop.sandbox._protocol import ExecResult, ExecStopReason, Sandbox, SandboxLimits
from agentloop.sandbox._tests import TestPlan, TestStep, plan_tests
from agentloop.sandbox._verifier import PythonTestVerifier

__all__ = [
    "DockerSandbox",
    "ExecResult",
    "ExecStopReason",
    "LocalSandbox",
    "PythonTestVerifier",
    "Sandbox",
    "SandboxLimits",
    "TestPlan",
    "TestStep",
    "gc_containers",
    "plan_tests",
]


def __getattr__(name: str) -> typing.Any:
    # Renamed so that it is not confused with the graphs' `StopReason` (why a run ended).
    if name == "StopReason":
        import warnings

        warnings.warn(
            "agentloop.sandbox.StopReason is deprecated; use agentloop.sandbox.ExecStopReason",
            DeprecationWarning,
            stacklevel=2,
        )
        return ExecStopReason
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
